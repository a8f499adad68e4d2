'use strict';
// One envelope through the handler (DeliveryRunner), whatever queue carries
// it: the Redis Streams worker (worker.js) and BullMQ's processor
// (integrations/bullmq.js) share it.

const { WebhookError } = require('../webhooks.js');
const { bodyHash } = require('../integrations/stores.js');
const { queueLayout, InvalidEnvelopeError, logConflict, logError } = require('./common.js');
const { Envelope, openEnvelope } = require('./envelope.js');

/**
 * What every worker does with one envelope, whatever carries it (the Redis
 * stream, BullMQ): open it with `verifier` (verified again, tolerance from
 * received-at), check the claim in `dedupe` (done before: nothing runs; the
 * receiver's lease ended: a new claim), await `handler(event)`, and mark the
 * key done (tried for a few seconds). `run` resolves to `{ kind, key, token,
 * reason }`: 'handled', 'duplicate', 'failed' (try again) or 'invalid'
 * (never try again).
 */
class DeliveryRunner {
  constructor(verifier, dedupe, handler, { leaseMs, retentionMs, runLeaseMs = queueLayout().claimIdleMs, logger = console }) {
    Object.assign(this, { verifier, dedupe, handler, leaseMs, retentionMs, runLeaseMs, logger });
  }

  async run(envelopeJson, token) {
    let envelope;
    let delivery;
    try {
      envelope = Envelope.fromJson(envelopeJson, { maxBodyBytes: this.verifier.maxBodyBytes });
      delivery = openEnvelope(this.verifier, envelope);
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError || error instanceof WebhookError)) throw error;
      return { kind: 'invalid', key: envelope?.key ?? null, token, reason: `${error.code}: ${error.message}` };
    }
    const { key } = envelope;
    const hash = bodyHash(envelope.body);
    let claim;
    try {
      claim = await this.dedupe.claim(key, hash, this.leaseMs);
    } catch (error) {
      if (error?.code !== 'store_unavailable') throw error;
      return { kind: 'failed', key, token, reason: `store_unavailable: ${error.message}` };
    }
    if (claim.outcome === 'conflict') {
      // Another body holds the key: kept in the dead letters with both
      // hashes, never run and never dropped.
      logConflict(this.logger, key, hash, claim, 'moved to the dead letters');
      return { kind: 'invalid', key, token: null, reason: `delivery_conflict: body ${hash}, the store holds ${claim.storedHash} (${claim.found})` };
    }
    // Done before (a worker died between its done mark and its ack).
    if (claim.outcome === 'duplicate') return { kind: 'duplicate', key, token, reason: '' };
    if (claim.outcome === 'new') token = claim.token; // the receiver's lease had ended
    // One worker at a time per delivery: a message queued twice (a client
    // that resent an XADD) or taken over from a worker still running waits
    // for the other's done mark instead of running beside it.
    const runKey = queueLayout().runKeyPrefix + key;
    let run;
    try {
      run = await this.dedupe.claim(runKey, hash, this.runLeaseMs);
    } catch (error) {
      if (error?.code !== 'store_unavailable') throw error;
      return { kind: 'failed', key, token, reason: `store_unavailable: ${error.message}` };
    }
    if (run.outcome !== 'new') return { kind: 'failed', key, token, reason: 'another worker is handling this delivery now' };
    try {
      try {
        await this.handler(delivery);
      } catch (error) {
        return { kind: 'failed', key, token, reason: `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}` };
      }
      await this.#complete(key, token, hash);
      return { kind: 'handled', key, token, reason: '' };
    } finally {
      await Promise.resolve()
        .then(() => this.dedupe.release(runKey, run.token))
        .catch(() => {}); // it ends with its lease
    }
  }

  /** The done mark, tried for a few seconds: the handler ran, so the message is acknowledged either way. */
  async #complete(key, token, hash) {
    let delay = 50;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.dedupe.complete(key, token, hash, this.retentionMs);
        return;
      } catch (error) {
        if (attempt === 8) {
          logError(this.logger, `bullseye-webhooks: could not mark delivery ${key} done (${error.message}): a copy after its lease may run again`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /** Release a dead-lettered delivery's claim: a retry of the sender (or a replay) may take it. */
  async release(key, token) {
    if (key === null || key === undefined || !token) return;
    await Promise.resolve(this.dedupe.release(key, token)).catch((error) => {
      logError(this.logger, `bullseye-webhooks: could not release delivery ${key} (${error.message})`);
    });
  }
}

module.exports = { DeliveryRunner };
