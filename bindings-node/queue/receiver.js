'use strict';
// The receiving half of the hand-off (QueueReceiver): verify, claim, enqueue,
// answer 202.

const { WebhookError } = require('../webhooks.js');
const { describe } = require('../support.js');
const { StoreUnavailableError, bodyHash } = require('../integrations/stores.js');
const { queueLayout, QueueUnavailableError, positiveMs, isStore, logConflict } = require('./common.js');
const { makeEnvelope, schemeFor } = require('./envelope.js');

/**
 * The receiving half: `receive(body, headers)` verifies the delivery,
 * claims its key in `dedupe` (MemoryStore, RedisStore, or any store) for
 * `lease` seconds (default 600, longer than a message waits and is
 * retried), adds its envelope to `queue`, and resolves to
 * `{ status: 202, body: { queued: true }, headers: {} }` without running any
 * handler. Otherwise: 200 `{ duplicate: true }`, 409 `delivery_in_flight`
 * with Retry-After, 409 `delivery_conflict` (the key seen with another
 * body: logged with both hashes), 503 `store_unavailable` or
 * `queue_unavailable` (the claim released) with Retry-After, or the refusal
 * of verification. Options: `scheme` ('visit' for visits), `lease`,
 * `retryAfter` (seconds, 30), `logger` (default console).
 */
class QueueReceiver {
  constructor(verifier, queue, dedupe, options) {
    if (!isStore(dedupe)) throw new TypeError(`dedupe must be a store (claim, complete, release), got ${describe(dedupe)}`);
    const { scheme, lease = queueLayout().leaseMs / 1000, retryAfter = 30, logger = console } = options ?? {};
    this.logger = logger;
    this.verifier = verifier;
    this.queue = queue;
    this.dedupe = dedupe;
    this.scheme = schemeFor(verifier, scheme);
    this.leaseMs = positiveMs(lease, 'lease');
    this.retryAfter = String(Math.max(1, Math.round(positiveMs(retryAfter, 'retryAfter') / 1000)));
  }

  async receive(body, headers) {
    let envelope;
    try {
      envelope = makeEnvelope(this.verifier, body, headers, { scheme: this.scheme });
    } catch (error) {
      if (error instanceof WebhookError) return { status: error.status, body: { error: error.code }, headers: {} };
      throw error;
    }
    const hash = bodyHash(envelope.body);
    let claim;
    try {
      claim = await this.dedupe.claim(envelope.key, hash, this.leaseMs);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError || error?.code === 'store_unavailable')) throw error;
      return { status: 503, body: { error: 'store_unavailable' }, headers: { 'Retry-After': this.retryAfter } };
    }
    if (claim.outcome === 'duplicate') return { status: 200, body: { duplicate: true }, headers: {} };
    if (claim.outcome === 'conflict') {
      logConflict(this.logger, envelope.key, hash, claim, 'answered 409 delivery_conflict');
      return { status: 409, body: { error: 'delivery_conflict' }, headers: {} };
    }
    if (claim.outcome === 'in_flight') {
      return { status: 409, body: { error: 'delivery_in_flight' }, headers: { 'Retry-After': String(claim.retryAfter ?? 1) } };
    }
    try {
      await this.queue.enqueue(envelope, claim.token);
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      // A message that may be in the queue keeps its claim: releasing it
      // would let a copy be queued (and handled) a second time. The claim
      // then ends when a worker marks the key done, or with its lease.
      if (!error.maybeSent) this.#release(envelope.key, claim.token);
      return { status: 503, body: { error: 'queue_unavailable' }, headers: { 'Retry-After': this.retryAfter } };
    }
    return { status: 202, body: { queued: true }, headers: {} };
  }

  /**
   * Release the claim of a delivery that was not queued, in the background:
   * when the store fails too (one Redis down for both), tried again 50 ms
   * doubling to 1 s until the lease would end anyway (else every copy would
   * get 409 for the whole lease).
   */
  #release(key, token) {
    const deadline = Date.now() + this.leaseMs;
    const attempt = (delay) => {
      Promise.resolve()
        .then(() => this.dedupe.release(key, token))
        .catch(() => {
          if (Date.now() + delay >= deadline) return;
          setTimeout(() => attempt(Math.min(delay * 2, 1000)), delay).unref();
        });
    };
    attempt(50);
  }
}

module.exports = { QueueReceiver };
