'use strict';
// BullMQ as the queue of the hand-off: a thin adapter over the same envelope
// and worker steps as the Redis Streams worker (queue/). The user brings
// BullMQ (its Queue and Worker); this package does not depend on it.

const backend = require('../backend.js');
const { QueueUnavailableError, positiveMs, queueLayout, logError } = require('../queue/common.js');
const { DeliveryRunner } = require('../queue/runner.js');
const { describe } = require('../support.js');

/** The backoff type the jobs name; give `bullmqBackoff(...)` as the Worker's `settings.backoffStrategy`. */
const BACKOFF_TYPE = 'bullseye-webhooks';

/**
 * The receiver's queue on a BullMQ `Queue`: `enqueue(envelope, token)` adds a
 * job (`name`, default 'delivery') with the envelope's JSON and the claim's
 * token, `attempts` (default 5) and the core's backoff; failed jobs stay in
 * BullMQ's failed set (the dead letters, with `failedReason`), completed
 * ones are removed. A Redis that does not take it within `timeout` seconds
 * (default 5) is a QueueUnavailableError (the receiver answers 503).
 */
class BullmqQueue {
  constructor(queue, options) {
    if (queue === null || typeof queue !== 'object' || typeof queue.add !== 'function') {
      throw new TypeError(`BullmqQueue takes a BullMQ Queue, got ${describe(queue)}`);
    }
    const { name = 'delivery', maxAttempts = queueLayout().maxAttempts, timeout = 5 } = options ?? {};
    if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) throw new TypeError(`maxAttempts must be a positive integer, got ${describe(maxAttempts)}`);
    Object.assign(this, { queue, name, maxAttempts });
    this.timeoutMs = positiveMs(timeout, 'timeout');
  }

  async enqueue(envelope, token) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`BullMQ add did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const job = await Promise.race([
        this.queue.add(
          this.name,
          { envelope: envelope.toJson(), token },
          { attempts: this.maxAttempts, backoff: { type: BACKOFF_TYPE }, removeOnComplete: true, removeOnFail: false },
        ),
        timeout,
      ]);
      return String(job.id);
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      throw new QueueUnavailableError(`BullMQ add: ${error?.message ?? error}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The Worker's `settings.backoffStrategy`: the core's delay before the next
 * attempt (`retryDelay` seconds, default 1, doubling up to `maxRetryDelay`,
 * default 60).
 */
function bullmqBackoff(options) {
  const { retryDelay = queueLayout().retryDelayMs / 1000, maxRetryDelay = queueLayout().maxRetryDelayMs / 1000 } = options ?? {};
  const first = positiveMs(retryDelay, 'retryDelay');
  const most = positiveMs(maxRetryDelay, 'maxRetryDelay');
  return (attemptsMade) => backend.native.retryDelayMs(Math.max(1, attemptsMade), first, most);
}

/**
 * The BullMQ Worker's processor: opens the job's envelope (verified again,
 * tolerance from received-at), checks the claim (done before: nothing
 * runs), awaits `handler(event)` and marks the key done. A handler that
 * throws fails the attempt (BullMQ retries it with `bullmqBackoff`); on the
 * last attempt, and for an envelope that cannot be opened (then no retry:
 * BullMQ's UnrecoverableError, given as `options.UnrecoverableError`), the
 * claim is released before the job fails. A worker that dies mid-job
 * leaves it to another once its lock ends (BullMQ's stalled jobs).
 * Options: `UnrecoverableError` (from bullmq, required), `lease`,
 * `retention`, `runLease` (seconds: keep it equal to the Worker's
 * `lockDuration`, default 30), `logger`.
 */
function bullmqProcessor(verifier, dedupe, handler, options) {
  const { UnrecoverableError, lease = queueLayout().leaseMs / 1000, retention = 24 * 60 * 60, runLease = 30, logger = console } = options ?? {};
  if (typeof UnrecoverableError !== 'function') {
    throw new TypeError("bullmqProcessor needs options.UnrecoverableError: require('bullmq').UnrecoverableError");
  }
  const runner = new DeliveryRunner(verifier, dedupe, handler, {
    leaseMs: positiveMs(lease, 'lease'),
    retentionMs: positiveMs(retention, 'retention'),
    // A dead worker's hold on its delivery: BullMQ's lock (lockDuration, 30 s by default).
    runLeaseMs: positiveMs(runLease, 'runLease'),
    logger,
  });
  return async (job) => {
    const { envelope, token } = job.data ?? {};
    const outcome = await runner.run(envelope, token);
    if (outcome.kind === 'invalid') {
      await runner.release(outcome.key, outcome.token);
      throw new UnrecoverableError(outcome.reason);
    }
    if (outcome.kind === 'failed') {
      const last = job.attemptsMade + 1 >= (job.opts?.attempts ?? 1);
      if (last) {
        logError(logger, `bullseye-webhooks: delivery ${outcome.key} failed its last attempt (${outcome.reason}); its job stays in the failed set`);
        await runner.release(outcome.key, outcome.token);
      } else if (outcome.token !== token) {
        // A new claim (the receiver's lease had ended): its token travels on.
        await job.updateData({ envelope, token: outcome.token });
      }
      throw new Error(outcome.reason);
    }
    return outcome.kind;
  };
}

module.exports = { BullmqQueue, bullmqBackoff, bullmqProcessor, BACKOFF_TYPE };
