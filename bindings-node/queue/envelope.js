'use strict';
// The envelope: a verified delivery as a queue carries it (makeEnvelope,
// openEnvelope, Envelope). Its form is the Rust core's, so Python and Node
// receivers and workers read each other's; the delivery is verified by this
// package's verifiers (the core's rules), with any tolerance counted from
// when it was received.

const backend = require('../backend.js');
const { deliveryKeyOf } = require('../webhooks.js');
const { BitnobWebhook } = require('../bitnob.js');
const { describe } = require('../support.js');
const { addon, InvalidEnvelopeError } = require('./common.js');

function envelopeFailure(error) {
  if (error && error.code === 'invalid_envelope') return new InvalidEnvelopeError(error.message);
  return error;
}

/** Headers (a plain object, a Headers, or [name, value] pairs) as `[name, value, ...]`. */
function flatHeaders(headers) {
  if (headers === undefined || headers === null) return [];
  const entries =
    typeof headers.entries === 'function' && !Array.isArray(headers) ? Array.from(headers.entries()) : Array.isArray(headers) ? headers : Object.entries(headers);
  const flat = [];
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    flat.push(String(name), Array.isArray(value) ? value.join(', ') : String(value));
  }
  return flat;
}

/**
 * A verified delivery as a queue carries it: `scheme` ('bullseye_event',
 * 'visit' or 'bitnob'), `key`, `receivedAtMs`, `headers` (the scheme's, lower
 * case), `body` (a Buffer, exactly as received). `toJson()` is the one form
 * every language writes; `Envelope.fromJson(text)` reads it back.
 */
class Envelope {
  #json;

  constructor(json) {
    const wire = JSON.parse(json);
    this.#json = json;
    this.scheme = wire.scheme;
    this.key = wire.key;
    this.receivedAtMs = wire.received_at_ms;
    this.headers = Object.freeze(wire.headers);
    this.body = Buffer.from(wire.body, 'utf8');
    Object.freeze(this);
  }

  /** Read an envelope's JSON (a string or bytes), refusing one longer than an envelope of a `maxBodyBytes` body can be. */
  static fromJson(data, options) {
    const maxBodyBytes = options?.maxBodyBytes ?? backend.constants.DEFAULT_MAX_BODY_BYTES;
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`an envelope's JSON must be a string or bytes, got ${describe(data)}`);
    }
    try {
      return new Envelope(addon().envelopeRead(data, maxBodyBytes));
    } catch (error) {
      throw envelopeFailure(error);
    }
  }

  /** The one JSON form (the same envelope always gives the same text). */
  toJson() {
    return this.#json;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    // Never the body (personal data) nor a header's value.
    return `Envelope { scheme: '${this.scheme}', key: ${JSON.stringify(this.key)}, receivedAtMs: ${this.receivedAtMs}, bodyBytes: ${this.body.length} }`;
  }
}

function isBitnob(verifier) {
  return verifier instanceof BitnobWebhook;
}

function receivedAtOf(value) {
  if (value === undefined || value === null) return Date.now();
  const ms = value instanceof Date ? value.getTime() : value;
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
    throw new TypeError(`receivedAt must be a Date or milliseconds since the epoch, got ${describe(value)}`);
  }
  return Math.round(ms);
}

/** The verified delivery of `body` under `scheme` (the package's verifier; a tolerance measured from `nowMs`). */
function verified(verifier, scheme, body, headers, nowMs) {
  if (scheme === 'visit') return verifier.constructVisit(body, headers);
  return verifier.constructEvent(body, headers, { now: nowMs });
}

/**
 * Verify a delivery with `verifier` (a Webhook or a BitnobWebhook) and make
 * its envelope. Options: `scheme` ('visit' for a Webhook's visits; otherwise
 * the verifier's own), `receivedAt` (a Date or milliseconds; default now:
 * any tolerance counts from it). Throws the delivery's WebhookError.
 */
function makeEnvelope(verifier, body, headers, options) {
  const scheme = schemeFor(verifier, options?.scheme);
  const receivedAtMs = receivedAtOf(options?.receivedAt);
  const delivery = verified(verifier, scheme, body, headers, receivedAtMs);
  try {
    return new Envelope(addon().envelopeFromVerified(scheme, deliveryKeyOf(delivery), receivedAtMs, flatHeaders(headers), body));
  } catch (error) {
    throw envelopeFailure(error);
  }
}

function schemeFor(verifier, scheme) {
  if (isBitnob(verifier)) {
    if (scheme !== undefined && scheme !== 'bitnob') throw new TypeError('a BitnobWebhook makes bitnob envelopes');
    return 'bitnob';
  }
  if (verifier === null || typeof verifier !== 'object' || typeof verifier.constructEvent !== 'function') {
    throw new TypeError(`verifier must be a Webhook or a BitnobWebhook, got ${describe(verifier)}`);
  }
  if (scheme === undefined || scheme === 'bullseye_event' || scheme === 'visit') return scheme ?? 'bullseye_event';
  throw new TypeError(`a Webhook makes bullseye_event or visit envelopes, not ${describe(scheme)}`);
}

/**
 * Verify an envelope's delivery again with `verifier`, any tolerance
 * counted from its received-at time, and check that its key is the
 * delivery's: the event (a visit for a 'visit' envelope). `envelope` is an
 * Envelope or its JSON. Throws InvalidEnvelopeError or the WebhookError.
 */
function openEnvelope(verifier, envelope) {
  const read = envelope instanceof Envelope ? envelope : Envelope.fromJson(envelope, { maxBodyBytes: verifier?.maxBodyBytes });
  // The scheme this verifier opens it as; the core refuses a mismatch.
  const scheme = isBitnob(verifier) ? 'bitnob' : read.scheme === 'visit' ? 'visit' : 'bullseye_event';
  if (scheme === read.scheme) {
    const delivery = verified(verifier, scheme, read.body, read.headers, read.receivedAtMs);
    checkOpened(read, scheme, deliveryKeyOf(delivery));
    return delivery;
  }
  checkOpened(read, scheme, read.key);
  throw new InvalidEnvelopeError('invalid_envelope: the envelope does not fit this verifier');
}

function checkOpened(envelope, scheme, key) {
  try {
    addon().envelopeCheckOpened(envelope.toJson(), scheme, key);
  } catch (error) {
    throw envelopeFailure(error);
  }
}

module.exports = { Envelope, makeEnvelope, openEnvelope, schemeFor };
