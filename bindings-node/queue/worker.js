'use strict';
// The processing half of the Redis Streams hand-off (QueueWorker): read,
// run each message through the DeliveryRunner, acknowledge, retry or
// dead-letter.

const os = require('node:os');
const { describe } = require('../support.js');
const { addon, queueLayout, QueueUnavailableError, positiveMs, isStore, logError } = require('./common.js');
const { DeliveryRunner } = require('./runner.js');

/**
 * The processing half: reads `queue` as `consumer` (default host-pid), and
 * for each message opens its envelope with `verifier` (verified again;
 * tolerance from received-at), checks the claim in `dedupe` (a delivery
 * already done is acknowledged without running the handler), awaits
 * `handler(event)`, completes the claim and acknowledges the message. A
 * handler that throws is tried again after `retryDelay` seconds, doubling up
 * to `maxRetryDelay`; after `maxAttempts` the message goes to the dead
 * letters with the error as its reason, and its claim is released. An
 * envelope that cannot be opened is dead-lettered at once. A message
 * another worker has held for `claimIdle` seconds is taken over (keep it
 * longer than the slowest handler). Options also: `lease`, `retention`
 * (seconds), `block` (seconds a read waits), `batch`, `logger`.
 */
class QueueWorker {
  constructor(verifier, queue, dedupe, handler, options) {
    if (!isStore(dedupe)) throw new TypeError(`dedupe must be a store (claim, complete, release), got ${describe(dedupe)}`);
    if (typeof handler !== 'function') throw new TypeError(`handler must be a function, got ${describe(handler)}`);
    const L = queueLayout();
    const {
      consumer = `${os.hostname()}-${process.pid}`,
      maxAttempts = L.maxAttempts,
      retryDelay = L.retryDelayMs / 1000,
      maxRetryDelay = L.maxRetryDelayMs / 1000,
      claimIdle = L.claimIdleMs / 1000,
      lease = L.leaseMs / 1000,
      retention = 24 * 60 * 60,
      block = 1,
      batch = 10,
      logger = console,
    } = options ?? {};
    if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) throw new TypeError(`maxAttempts must be a positive integer, got ${describe(maxAttempts)}`);
    Object.assign(this, { verifier, queue, dedupe, handler, consumer: String(consumer), maxAttempts, batch, logger });
    this.retryDelayMs = positiveMs(retryDelay, 'retryDelay');
    this.maxRetryDelayMs = positiveMs(maxRetryDelay, 'maxRetryDelay');
    this.claimIdleMs = positiveMs(claimIdle, 'claimIdle');
    this.leaseMs = positiveMs(lease, 'lease');
    this.retentionMs = positiveMs(retention, 'retention');
    this.blockMs = positiveMs(block, 'block');
    this.counts = { handled: 0, duplicates: 0, retried: 0, dead: 0, reclaimed: 0 };
    this.runner = new DeliveryRunner(verifier, dedupe, handler, {
      leaseMs: this.leaseMs,
      retentionMs: this.retentionMs,
      runLeaseMs: this.claimIdleMs,
      logger,
    });
  }

  /** Process messages until `signal` (an AbortSignal) aborts; a queue that fails is tried again each second. */
  async run(signal) {
    while (!signal?.aborted) {
      try {
        await this.runOnce();
      } catch (error) {
        if (!(error instanceof QueueUnavailableError)) throw error;
        this.logger.warn(`bullseye-webhooks: the queue failed (${error.message}); trying again in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** One round: due retries back, idle messages taken over, new ones read; each processed. Resolves to how many. */
  async runOnce() {
    await this.queue.promote();
    let messages = await this.queue.reclaim(this.consumer, this.claimIdleMs, this.batch);
    this.counts.reclaimed += messages.length;
    if (messages.length === 0) messages = await this.queue.read(this.consumer, this.batch, this.blockMs);
    for (const message of messages) await this.process(message);
    return messages.length;
  }

  /** Process one message: 'handled', 'duplicate', 'retry', 'dead' or 'gone'. */
  async process(message) {
    if (message.deliveries > this.maxAttempts) {
      return this.#dead(message, `lost by workers ${message.deliveries} times (crashed or too slow)`, null, null);
    }
    const outcome = await this.runner.run(message.envelope, message.token);
    if (outcome.kind === 'invalid') return this.#dead(message, outcome.reason, outcome.key, outcome.token);
    if (outcome.kind === 'failed') return this.#retry(message, outcome.reason, outcome.key, outcome.token);
    await this.queue.ack(message);
    if (outcome.kind === 'duplicate') this.counts.duplicates += 1;
    else this.counts.handled += 1;
    return outcome.kind;
  }

  async #retry(message, reason, key, token) {
    const delayMs = addon().retryDelayMs(message.attempt, this.retryDelayMs, this.maxRetryDelayMs);
    const outcome = await this.queue.fail(message, reason, { maxAttempts: this.maxAttempts, delayMs });
    if (outcome === 'retry') {
      this.counts.retried += 1;
      this.logger.warn(`bullseye-webhooks: delivery ${key} failed on attempt ${message.attempt} of ${this.maxAttempts} (${reason}); trying again in ${delayMs} ms`);
    } else if (outcome === 'dead') {
      await this.#deadLettered(message, reason, key, token);
    }
    return outcome;
  }

  async #dead(message, reason, key, token) {
    const outcome = await this.queue.fail(message, reason, { maxAttempts: 0, delayMs: 0 });
    if (outcome === 'dead') await this.#deadLettered(message, reason, key, token);
    return outcome;
  }

  async #deadLettered(message, reason, key, token) {
    this.counts.dead += 1;
    logError(this.logger, `bullseye-webhooks: delivery ${key} moved to the dead letters after attempt ${message.attempt}: ${reason}`);
    await this.runner.release(key, token);
  }
}

module.exports = { QueueWorker };
