// The JavaScript API both npm packages share (`bullseye-webhooks`, over the
// napi addon, and `bullseye-webhooks-wasm`, over the WebAssembly build):
// the Webhook verifier, visits and signing here; the Bitnob verifier in
// bitnob.js; what both verifiers share (the core's verifier, the Fetch
// Request helpers, the async path, the redaction of secrets) in
// verifier.js; the checks of what they take in inputs.js; the events and
// visits built from the core's answers in answers.js; errors and Request
// bodies in support.js. Every webhook rule (signature, size, shape, types,
// time, delivery key) is decided by the Rust core behind the package's backend.
// The Bitnob verifier (bitnob.js), the Fetch handler (fetch.js, observe.js)
// and the Hono middleware (hono.js) are not imported here: each package's
// entry exports them and gives the handler (verifier.js, useFetchHandler),
// the Node package's only when first used (most of its start-up otherwise).
//
// These modules are the only copies in the repository. `make build-node`
// and `make build-wasm` copy them into each package (js/sync.mjs: as
// CommonJS for the Node package), so each tarball is self-contained. They
// use only what every runtime has: no Node `Buffer`, no `node:crypto`; Web
// Crypto only for the async path's HMAC, where the backend says it is the
// faster one (verifier.js, "The async path"). (The WASM package's Node
// entries give its backend node:crypto for the sync path's HMAC: see hmac
// below.)
//
// `./backend.js` is each package's own (bindings-node/lib/backend.js over the
// napi addon, bindings-wasm/backend.js over the .wasm); it gives:
// - constants: SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, DEFAULT_MAX_BODY_BYTES,
//   BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER,
//   DEFAULT_BITNOB_TOLERANCE, and BODY_TYPES (how its messages name a raw body);
// - loaded() (whether the core can be called) and ready() (throws if not);
// - webCrypto(): whether the async path computes its HMACs with Web Crypto
//   (then the Webhook verifier has checkMacs(body, length, signature, macs,
//   nowMs, event), the core's checks around MACs computed outside it);
// - hmac(secrets), optional: a function answering the HMAC-SHA256 of a body
//   under each secret (32 bytes each, end to end; null if it could not),
//   which the sync path then gives checkMacs, or null where the core hashes
//   (the WASM package gives one in Node only: node:crypto's);
// - utf8(string) and copy(view): new bytes;
//   body(stringOrBytes): a raw body as its core calls take it;
// - the core's calls, the same in both Rust bindings (both call the shared
//   glue crate, bullseye-webhooks-js-glue, behind their own boundary):
//   errorCodes(), errorStatuses() (in errorCodes order), findHeader(flat, name),
//   sign(secret, body), signBitnob(secret, timestamp, body),
//   signBitnobLegacy(secret, body), secretLast4(secret), parseVisit(body, strict);
// - webhook(bytes, lengths, { tolerance, maxBodyBytes, strict }) and
//   bitnob(bytes, lengths, { tolerance or null, legacySha512, maxBodyBytes }):
//   the core's verifiers (the secrets end to end in `bytes`, a copy the
//   caller wipes after, and their lengths), with the calls settings() (JSON
//   text: maxBodyBytes, tolerance, strict / legacySha512),
//   verify(body, signature), constructEvent(body, signature, nowMs),
//   constructVisit(body, signature) / check(body, flatHeaders, nowMs, event),
//   secretsEndingIn(last4).
// The core's answer to an event or a visit is one JSON text about the body;
// answers.js parses the body itself, from the text or bytes given.
import backend from './backend.js';
import { WebhookError, wrapped } from './support.js';
import { rawBody, signatureOf, withSecret, checkedOptions, visitOptions, nowMs } from './inputs.js';
import { mismatchesOf, deliveryKeyOf, eventFrom, visitFrom } from './answers.js';
import { Verifier, coreOf, settingsOf, keysOf, hmacOf, keysFor, bareTag, signatureBytes, verifies, macsOf, fetchHandler, NO_MATCH, NO_BYTES, WEB_TAG } from './verifier.js';

const {
  SIGNATURE_HEADER,
  VISIT_SIGNATURE_HEADER,
  DEFAULT_MAX_BODY_BYTES,
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BITNOB_EVENT_HEADER,
  DEFAULT_BITNOB_TOLERANCE,
} = backend.constants;

/** Every code a WebhookError can carry, in the order the checks run. */
const ERROR_CODES = Object.freeze([
  'invalid_secret',
  'body_too_large',
  'missing_signature',
  'malformed_signature',
  'signature_mismatch',
  'invalid_body',
  'invalid_payload',
  'timestamp_out_of_tolerance',
]);

/** The `event_type` of an identification. */
const VISITOR_IDENTIFIED = 'visitor.identified';

/**
 * The checks before hashing (the body's size, the signature's presence and
 * shape) wherever the HMACs are computed outside the core (the async path,
 * and the sync path's syncAnswer), and the signature's bytes. The core
 * makes the checks, in a call of their own, only when a glance says one may
 * refuse: a body within the limit with 64 bare hex digits passes them
 * (bareTag). Otherwise the core answers, and nothing past the size limit is
 * hashed. (One crossing into the .wasm fewer on the common path; the
 * checkMacs call with the MACs makes them again, first, so the answer is
 * the core's either way.) The bytes are written into `into` when given (a
 * buffer the caller reuses), else new ones.
 */
function checkedTag(verifier, core, bytes, signature, into) {
  const tag = bytes.byteLength <= settingsOf(verifier).maxBodyBytes ? bareTag(signature, into) : null;
  if (tag !== null) return tag;
  try {
    core.checkMacs(NO_BYTES, bytes.byteLength, signature, NO_BYTES, 0, false);
  } catch (error) {
    throw wrapped(error);
  }
  return signatureBytes(signature);
}

/**
 * The sync path's answer (verify, or constructEvent with `event`), every
 * answer the core's. Where the backend hashes (backend.hmac: node:crypto
 * in Node): the core's checks before hashing (checkedTag: nothing over the
 * size limit, or with a missing or malformed signature, is hashed), the
 * HMAC of the body under each secret, then checkMacs, whose constant-time
 * compare takes every secret's MAC (no early exit), and with `event` the
 * rest of constructEvent's checks and its answer; without `event` only the
 * body's length crosses into the core. Elsewhere, or where the backend
 * could not hash (its HMAC answered null), the core's verify or
 * constructEvent.
 */
function syncAnswer(verifier, bytes, signature, now, event) {
  const core = coreOf(verifier);
  const hmac = hmacOf(verifier);
  let macs = null;
  if (hmac !== null) {
    checkedTag(verifier, core, bytes, signature, WEB_TAG); // its checks only: the bytes are not kept
    macs = hmac(bytes);
  }
  try {
    if (macs === null) return event ? core.constructEvent(bytes, signature, now) : core.verify(bytes, signature);
    return core.checkMacs(event ? bytes : NO_BYTES, bytes.byteLength, signature, macs, now, event);
  } catch (error) {
    throw wrapped(error);
  } finally {
    // A MAC the signature did not match signs this body: kept no longer than needed.
    macs?.fill(0);
  }
}

/** The core's own list of error codes (for tests comparing it with ERROR_CODES). */
function coreErrorCodes() {
  backend.ready();
  return backend.errorCodes();
}

// ---------------------------------------------------------------------------
// Bullseye

/**
 * A verifier for one webhook endpoint, holding one secret or several
 * (rotation). Options: `tolerance` (seconds; unset means no time check),
 * `maxBodyBytes` (default 1 MiB) and `strict` (refuse a documented field of
 * another type as `invalid_payload`; default false: accept it and report it
 * in `mismatchesOf(event)`).
 */
class Webhook extends Verifier {
  constructor(secretOrSecrets, options) {
    backend.ready();
    const checked = checkedOptions(options);
    super(
      'Webhook',
      ['tolerance', 'maxBodyBytes', 'strict'],
      secretOrSecrets,
      (bytes, lengths) => backend.webhook(bytes, lengths, checked),
      keysFor,
    );
  }

  /** Whether a documented field of another type is refused (`invalid_payload`). */
  get strict() {
    return settingsOf(this).strict;
  }

  /** Check the X-Bullseye-Signature over the raw body; throws a WebhookError. */
  verify(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    syncAnswer(this, backend.body(raw), signature, 0, false);
  }

  /**
   * Verify, then parse a Bullseye event: a plain object with the payload's
   * own keys plus `event_type`, holding the typed value at each path
   * `mismatchesOf(event)` lists. `options.now` (a Date or milliseconds
   * since the epoch) replaces the clock for the tolerance check.
   */
  constructEvent(body, signatureOrHeaders, options) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    const now = nowMs(options);
    const bytes = backend.body(raw);
    return eventFrom(syncAnswer(this, bytes, signature, now, true), raw, bytes);
  }

  /**
   * verify, as a promise: the same checks, order and errors, with the HMAC
   * computed by Web Crypto where that is faster (edge runtimes, browsers).
   * Rejects with a WebhookError (a TypeError for a bad argument).
   */
  async verifyAsync(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    let keys = keysOf(this);
    if (keys !== null && typeof keys.then === 'function') keys = await keys;
    if (keys === null) return this.verify(raw, signature);
    const bytes = backend.body(raw);
    const core = coreOf(this);
    // Into the one buffer Web Crypto is given (verifier.js, WEB_TAG): read
    // by verifies before it returns, never after.
    const tag = checkedTag(this, core, bytes, signature, WEB_TAG);
    // Verified by Web Crypto: done, with no call into the core (its checks
    // before hashing passed, and its compare is Web Crypto's). Otherwise the
    // core answers, with MACs that cannot match.
    if (await verifies(keys, tag, bytes)) return;
    try {
      core.checkMacs(NO_BYTES, bytes.byteLength, signature, NO_MATCH, 0, false);
    } catch (error) {
      throw wrapped(error);
    }
    throw new Error('bullseye-webhooks: the core accepted MACs that cannot match (a bug; the delivery is refused)');
  }

  /**
   * constructEvent, as a promise: the same checks, order, errors and event,
   * with the HMAC computed by Web Crypto where that is faster. The clock
   * (`options.now`, else Date.now()) is read when it is called.
   */
  async constructEventAsync(body, signatureOrHeaders, options) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    const now = nowMs(options);
    let keys = keysOf(this);
    if (keys !== null && typeof keys.then === 'function') keys = await keys;
    if (keys === null) return this.constructEvent(raw, signature, { now });
    const given = backend.body(raw);
    const core = coreOf(this);
    const tag = checkedTag(this, core, given, signature);
    // The caller's bytes copied (after the size check): they could change
    // while the MACs are awaited, and the event must be read from the
    // bytes that were hashed.
    const bytes = given === raw ? raw.slice() : given;
    // The tag is kept for checkMacs after the await; Web Crypto is given
    // WEB_TAG, never a new array (verifier.js).
    WEB_TAG.set(tag);
    const macs = macsOf(keys, tag, await verifies(keys, WEB_TAG, bytes));
    let answer;
    try {
      answer = core.checkMacs(bytes, bytes.byteLength, signature, macs, now, true);
    } catch (error) {
      throw wrapped(error);
    }
    return eventFrom(answer, raw, bytes);
  }

  /**
   * Check a fingerprinting-api visit's X-Webhook-Signature (the static
   * token or the HMAC of the body), then parse it: the payload with its
   * descriptive objects' strings typed, plus `raw`, the object as sent.
   */
  constructVisit(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, VISIT_SIGNATURE_HEADER);
    const bytes = backend.body(raw);
    let answer;
    try {
      answer = coreOf(this).constructVisit(bytes, signature);
    } catch (error) {
      throw wrapped(error);
    }
    return visitFrom(answer, raw, bytes);
  }

  /**
   * A Fetch API handler `(request) => Promise<Response>` (Next.js route
   * handlers, Hono, Bun, Deno, Workers): it verifies the request, calls
   * `fn(event, request)` with the event (a visit with `kind: 'visit'`), and
   * answers what `fn` returns (a Response as is; undefined as 204; anything
   * else as JSON). Refusals are answered `{"error": code}` with the
   * contract's status. De-duplication (`dedupe` and its options) needs the
   * Node package's stores, or, in workerd, a DurableObjectStore; elsewhere
   * those options are refused.
   */
  handler(fn, options) {
    return fetchHandler(this, fn, options);
  }
}

/** Whether an event is an identification (a type guard in TypeScript). */
function isVisitorIdentified(event) {
  return event !== null && typeof event === 'object' && event.event_type === VISITOR_IDENTIFIED;
}

/**
 * Parse a fingerprinting-api visit without checking any signature.
 * `options.strict` refuses a documented field of another type.
 */
function parseVisit(body, options) {
  backend.ready();
  const raw = rawBody(body);
  const strict = visitOptions(options);
  const bytes = backend.body(raw);
  let answer;
  try {
    answer = backend.parseVisit(bytes, strict);
  } catch (error) {
    throw wrapped(error);
  }
  return visitFrom(answer, raw, bytes);
}

/** The X-Bullseye-Signature value for `body` under `secret` (tests, local senders). */
function sign(secret, body) {
  backend.ready();
  return withSecret(secret, (bytes) => backend.sign(bytes, backend.body(rawBody(body))));
}

export {
  Webhook,
  WebhookError,
  ERROR_CODES,
  SIGNATURE_HEADER,
  VISIT_SIGNATURE_HEADER,
  DEFAULT_MAX_BODY_BYTES,
  VISITOR_IDENTIFIED,
  coreErrorCodes,
  isVisitorIdentified,
  mismatchesOf,
  deliveryKeyOf,
  parseVisit,
  sign,
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BITNOB_EVENT_HEADER,
  DEFAULT_BITNOB_TOLERANCE,
};
