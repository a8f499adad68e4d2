// The JavaScript API both npm packages share (`bullseye-webhooks`, over the
// napi addon, and `bullseye-webhooks-wasm`, over the WebAssembly build):
// argument checks, error wrapping, the options and the clock, the objects
// built with JSON.parse from the verified text and the typed values the core
// reports written into them, the Bitnob verifier, the Fetch Request helpers,
// and the redaction of secrets in inspect and JSON. Every webhook rule
// (signature, size, shape, types, time, delivery key) is decided by the Rust
// core behind the package's backend.
//
// This is the only copy in the repository (with support.js). `make
// build-node` and `make build-wasm` copy both into each package (js/sync.mjs:
// as CommonJS for the Node package), so each tarball is self-contained. They
// use only what every runtime has: no Node `Buffer`, no `node:crypto`; Web
// Crypto only for the async path's HMAC, where the backend says it is the
// faster one (below, "The async path").
//
// `./backend.js` is each package's own (bindings-node/backend.js over the
// napi addon, bindings-wasm/backend.js over the .wasm); it gives:
// - constants: SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, DEFAULT_MAX_BODY_BYTES,
//   BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER,
//   DEFAULT_BITNOB_TOLERANCE, and BODY_TYPES (how its messages name a raw body);
// - loaded() (whether the core can be called) and ready() (throws if not);
// - webCrypto(): whether the async path computes its HMACs with Web Crypto
//   (then the Webhook verifier has checkMacs(body, length, signature, macs,
//   nowMs, event), the core's checks around MACs computed outside it);
// - utf8(string) and copy(view): new bytes; text(view): the UTF-8 text;
//   body(stringOrBytes): a raw body as its core calls take it;
// - the core's calls, each the same shape in both Rust bindings:
//   errorCodes(), errorStatuses() (in errorCodes order), findHeader(flat, name),
//   sign(secret, body), signBitnob(secret, timestamp, body),
//   signBitnobLegacy(secret, body), secretLast4(secret), parseVisit(body, strict);
// - webhook(secrets, tolerance, maxBodyBytes, strict) and
//   bitnob(secrets, tolerance or null, legacySha512, maxBodyBytes): the core's
//   verifiers (secrets: byte copies the caller wipes after), with getters
//   maxBodyBytes, tolerance, strict / legacySha512 and the calls
//   verify(body, signature), constructEvent(body, signature, nowMs),
//   constructVisit(body, signature) / check(body, flatHeaders, nowMs, event),
//   secretsEndingIn(last4).
// The core's answers: an event is `[type, key]` or `[type, key, mismatches]`,
// a visit `[type or "", mismatches or "", typings, key]` (lists as JSON text).
import backend from './backend.js';
import { describe, WebhookError, wrapped, requestBody } from './support.js';

const {
  SIGNATURE_HEADER,
  VISIT_SIGNATURE_HEADER,
  DEFAULT_MAX_BODY_BYTES,
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BITNOB_EVENT_HEADER,
  DEFAULT_BITNOB_TOLERANCE,
  BODY_TYPES,
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

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** The core's own list of error codes (for tests comparing it with ERROR_CODES). */
function coreErrorCodes() {
  backend.ready();
  return backend.errorCodes();
}

/** A byte view as a Uint8Array over the same memory. */
function bytesOf(view) {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * The raw body as the core's calls take it: a string, or a Uint8Array over
 * the bytes given. A parsed object is a WebhookError (the usual cause of
 * every signature failing); any other type is a TypeError.
 */
function rawBody(body) {
  if (typeof body === 'string') return body;
  if (ArrayBuffer.isView(body)) return bytesOf(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body !== null && typeof body === 'object') {
    throw new WebhookError(
      'invalid_body',
      'invalid_body: the body is an already-parsed object; pass the raw request body ' +
        `(${BODY_TYPES}) exactly as received, before any JSON parsing`,
    );
  }
  throw new TypeError(`body must be the raw request body as ${BODY_TYPES}, got ${describe(body)}`);
}

/** The body's text, for JSON.parse after the core has verified it as UTF-8 JSON. */
function textOf(body) {
  if (typeof body === 'string') {
    // A string with lone surrogates was verified as its UTF-8 encoding, in
    // which they became U+FFFD: parse that, not the original.
    return body.isWellFormed?.() ? body : backend.text(backend.utf8(body));
  }
  return backend.text(body);
}

function headerValue(value, name) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  throw new TypeError(`header ${JSON.stringify(name)} must be a string or an array of strings, got ${describe(value)}`);
}

/**
 * A headers object (a Fetch `Headers`, a `Map`, or a plain object such as
 * Node's `IncomingHttpHeaders`) as `[name, value, name, value, ...]`, for
 * the core's case-insensitive lookup.
 */
function flatHeaders(headers) {
  const flat = [];
  const iterable = typeof headers.get === 'function' && typeof headers[Symbol.iterator] === 'function';
  if (iterable) {
    for (const [key, value] of headers) {
      if (value !== undefined && value !== null) flat.push(String(key), headerValue(value, key));
    }
  } else {
    for (const key of Object.keys(headers)) {
      const value = headers[key];
      if (value !== undefined && value !== null) flat.push(key, headerValue(value, key));
    }
  }
  return flat;
}

/**
 * The signature from a header value, or from a headers mapping by the
 * core's case-insensitive lookup. Absent reads as "", which the core
 * refuses as `missing_signature`.
 */
function signatureOf(signatureOrHeaders, headerName) {
  if (typeof signatureOrHeaders === 'string') return signatureOrHeaders;
  if (signatureOrHeaders === undefined || signatureOrHeaders === null) return '';
  if (Array.isArray(signatureOrHeaders)) return headerValue(signatureOrHeaders, headerName);
  if (typeof signatureOrHeaders !== 'object') {
    throw new TypeError(
      `signatureOrHeaders must be the ${headerName} value (a string) or a headers object, got ${describe(signatureOrHeaders)}`,
    );
  }
  return backend.findHeader(flatHeaders(signatureOrHeaders), headerName) ?? '';
}

/**
 * A request's headers as `[name, value, ...]` for the Bitnob verifier,
 * which reads three of them: a headers mapping, or a list of `[name, value]`
 * pairs. Absent reads as no headers (`missing_signature`).
 */
function bitnobHeaders(headers) {
  if (headers === undefined || headers === null) return [];
  if (Array.isArray(headers)) {
    const flat = [];
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw new TypeError('headers given as a list must be [name, value] pairs');
      }
      flat.push(pair[0], headerValue(pair[1], pair[0]));
    }
    return flat;
  }
  if (typeof headers !== 'object') {
    throw new TypeError(
      `headers must be the request's headers (Bitnob signs with ${BITNOB_SIGNATURE_HEADER}, ${BITNOB_TIMESTAMP_HEADER} and ${BITNOB_EVENT_HEADER}), got ${describe(headers)}`,
    );
  }
  return flatHeaders(headers);
}

/** A secret as new bytes (the caller wipes them): strings are used as their UTF-8 bytes, never decoded. */
function secretBytes(secret) {
  if (typeof secret === 'string') return backend.utf8(secret);
  if (ArrayBuffer.isView(secret)) return backend.copy(bytesOf(secret));
  if (secret instanceof ArrayBuffer) return backend.copy(new Uint8Array(secret));
  throw new TypeError(`a secret must be a string or a Uint8Array, got ${describe(secret)}`);
}

/** `fn(bytes)` with `secret`'s bytes, wiped after. */
function withSecret(secret, fn) {
  const bytes = secretBytes(secret);
  try {
    return fn(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * A verifier of the core built by `build(secrets)` from one secret or a
 * list (rotation), each as new bytes wiped after; `[verifier, count, keys]`,
 * `keys` being what `importKeys(secrets)` made of them (if given).
 */
function built(secretOrSecrets, build, importKeys) {
  const list = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
  if (list.some((secret) => secret === undefined || secret === null)) {
    // The usual cause: an unset environment variable.
    throw new WebhookError('invalid_secret', 'invalid_secret: a webhook secret is required and must not be empty (got undefined or null)');
  }
  const secrets = list.map(secretBytes);
  try {
    const verifier = build(secrets);
    return [verifier, secrets.length, importKeys?.(secrets) ?? null];
  } catch (error) {
    throw wrapped(error);
  } finally {
    for (const secret of secrets) secret.fill(0);
  }
}

function checkedObject(options) {
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  return options;
}

function checkedMaxBodyBytes(maxBodyBytes) {
  if (maxBodyBytes != null && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${describe(maxBodyBytes)}`);
  }
  return maxBodyBytes ?? undefined;
}

const isSeconds = (value) => typeof value === 'number' && value >= 0 && Number.isFinite(value);

const OPTION_NAMES = new Set(['tolerance', 'maxBodyBytes', 'strict']);

/** Webhook's options: tolerance (seconds; unset: no time check), maxBodyBytes, strict. */
function checkedOptions(options) {
  if (options === undefined || options === null) return {};
  for (const key of Object.keys(checkedObject(options))) {
    if (!OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are tolerance (seconds), maxBodyBytes and strict`);
    }
  }
  const { tolerance, maxBodyBytes, strict } = options;
  if (tolerance != null && !isSeconds(tolerance)) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, got ${describe(tolerance)}`);
  }
  return { tolerance: tolerance ?? undefined, maxBodyBytes: checkedMaxBodyBytes(maxBodyBytes), strict: checkedStrict(strict) };
}

function checkedStrict(strict) {
  if (strict != null && typeof strict !== 'boolean') {
    throw new TypeError(`strict must be a boolean, got ${describe(strict)}`);
  }
  return strict === true;
}

/** parseVisit's options: `{ strict }`. */
function visitOptions(options) {
  if (options === undefined || options === null) return false;
  for (const key of Object.keys(checkedObject(options))) {
    if (key !== 'strict') throw new TypeError(`unknown option ${JSON.stringify(key)}; the only option is strict`);
  }
  return checkedStrict(options.strict);
}

/**
 * The clock for the tolerance check, in milliseconds since the Unix epoch:
 * `options.now` (a Date or a number) or `Date.now()`. (The WebAssembly
 * core has no clock of its own, so both backends are given this one.)
 */
function nowMs(options) {
  if (options === undefined || options === null) return Date.now();
  if (typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { now } = options;
  if (now === undefined || now === null) return Date.now();
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError('now must be a Date or a number of milliseconds since the Unix epoch');
  }
  return ms;
}

// ---------------------------------------------------------------------------
// Field types and drift. The core reads the body and reports each
// documented field of another JSON type; JavaScript builds the object with
// JSON.parse and writes the typed value (converted, or null) at each
// reported path.

/**
 * Where an event or a visit keeps its mismatches: a property under a
 * symbol of this module, not enumerable, so JSON.stringify(event),
 * Object.keys and spreading see the payload only. (Not a WeakMap: its
 * entries outlive the young objects they describe until a full
 * collection, and a busy receiver then grows by the drifted events of a
 * whole major-GC cycle.)
 */
const MISMATCHES = Symbol('bullseye-webhooks mismatches');

/** The mismatch list `object` holds, if any. */
function mismatchList(object) {
  return Object.hasOwn(object, MISMATCHES) ? object[MISMATCHES] : undefined;
}

function isContainer(value) {
  return value !== null && typeof value === 'object';
}

/** `parent[key]` when it is an own entry (an index for an array), else undefined. */
function entry(parent, key) {
  if (!isContainer(parent) || Array.isArray(parent) !== (typeof key === 'number')) return undefined;
  return Object.hasOwn(parent, key) ? parent[key] : undefined;
}

/**
 * Write each mismatch's typed value at its path in `object` (JSON.parse of
 * the verified body), and keep the list, each with the value as sent.
 * `json` is the core's `[[path, expected, found, typed], ...]`; a path is
 * dotted (`company.size`, `page_views.3.url`) and documented keys have no dots.
 */
function applyMismatches(object, json) {
  const list = [];
  for (const [path, expected, found, typed] of JSON.parse(json)) {
    const keys = path.split('.');
    let parent = object;
    for (let i = 0; i < keys.length - 1; i++) parent = entry(parent, Array.isArray(parent) ? Number(keys[i]) : keys[i]);
    const last = Array.isArray(parent) ? Number(keys[keys.length - 1]) : keys[keys.length - 1];
    const value = entry(parent, last);
    list.push({ path, expected, found, value: value === undefined ? null : value });
    if (value !== undefined) parent[last] = typed;
  }
  Object.defineProperty(object, MISMATCHES, { value: list });
}

/**
 * Type the strings of a visit's descriptive objects as the core says
 * (`"6"` -> 6, `"true"` -> true). `json` is `[[[key or index, ...], typed,
 * "as sent"], ...]`; a typing applies only where the value is still the
 * string as sent (the list also names a repeated key's earlier occurrences).
 */
function applyTypings(object, json) {
  if (json === '[]') return;
  for (const [keys, typed, sent] of JSON.parse(json)) {
    let parent = object;
    for (let i = 0; i < keys.length - 1; i++) parent = entry(parent, keys[i]);
    const last = keys[keys.length - 1];
    if (entry(parent, last) === sent) parent[last] = typed;
  }
}

/**
 * The documented fields of `eventOrVisit` that were sent with another JSON
 * type, in document order: `{ path, expected, found, value }`, `value` as
 * sent (the object holds the typed value). A new array on each call; empty
 * for an object without any.
 */
function mismatchesOf(eventOrVisit) {
  if (!isContainer(eventOrVisit)) {
    throw new TypeError(`mismatchesOf takes an event or a visit, got ${describe(eventOrVisit)}`);
  }
  const list = mismatchList(eventOrVisit);
  return list === undefined ? [] : list.map((mismatch) => ({ ...mismatch }));
}

/**
 * Where an event or a visit keeps its delivery key: a non-enumerable
 * property under a symbol of this module, like the mismatches.
 */
const DELIVERY_KEY = Symbol('bullseye-webhooks delivery key');

/**
 * The key that de-duplicates the delivery of `eventOrVisit`, as the core
 * defines it: `bullseye:{organization_id}:{event_type}:{session_id}` for
 * an event with a session, `visit:{id}` for a visit with an id, else
 * `sha256:{hex SHA-256 of the raw body}` (Bitnob events, among others). It
 * holds no secret.
 */
function deliveryKeyOf(eventOrVisit) {
  if (!isContainer(eventOrVisit) || !Object.hasOwn(eventOrVisit, DELIVERY_KEY)) {
    throw new TypeError(
      `deliveryKeyOf takes an event or a visit this package constructed (a copy loses its key), got ${describe(eventOrVisit)}`,
    );
  }
  return eventOrVisit[DELIVERY_KEY];
}

/**
 * The event: JSON.parse of the verified body, `event_type`, the typed
 * values of any mismatches, and its delivery key. `answer` is the core's
 * `[type, key]` or `[type, key, mismatches]`.
 */
function eventFrom(body, answer) {
  const event = JSON.parse(textOf(body));
  event.event_type = answer[0];
  if (answer.length > 2) applyMismatches(event, answer[2]);
  Object.defineProperty(event, DELIVERY_KEY, { value: answer[1] });
  return event;
}

/**
 * The visit: JSON.parse of the verified body, `event_type` (or null), the
 * typed values of any mismatches and of the descriptive objects' strings,
 * its delivery key, and `raw` (not enumerable), the object as sent.
 * `answer` is the core's `[type or "", mismatches or "", typings, key]`.
 */
function visitFrom(body, [eventType, mismatches, typings, key]) {
  const text = textOf(body);
  const visit = JSON.parse(text);
  visit.event_type = eventType === '' ? null : eventType;
  if (mismatches !== '') applyMismatches(visit, mismatches);
  applyTypings(visit, typings);
  Object.defineProperty(visit, DELIVERY_KEY, { value: key });
  Object.defineProperty(visit, 'raw', { value: JSON.parse(text), writable: true, configurable: true, enumerable: false });
  return visit;
}


// ---------------------------------------------------------------------------
// The async path: verifyAsync and constructEventAsync. Where the backend says
// Web Crypto is the faster HMAC (workerd, browsers: native code, against
// SHA-256 in WebAssembly), the HMAC of the body under each secret is computed
// there; the core still decides everything else, in the sync path's order:
// the size and the signature's presence and shape before any hashing (its
// checkMacs without MACs), then the constant-time compare against every
// secret's MAC with no early exit, the reader and the clock (checkMacs with
// them). Elsewhere (the napi addon, the .wasm in Node, where Web Crypto is
// slower) the async methods run the sync ones.

const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' };
const NO_BYTES = new Uint8Array(0);

/**
 * Web Crypto HMAC keys for `secrets` (non-extractable, for signing), or
 * null where the backend computes the MACs itself. importKey copies the
 * bytes before it returns, so the caller's wipe is safe. A key Web Crypto
 * refuses leaves the async path on the core's HMAC (null), never a
 * rejection nobody handles.
 */
function importKeys(secrets) {
  const subtle = globalThis.crypto?.subtle;
  if (!backend.webCrypto() || typeof subtle?.sign !== 'function') return null;
  try {
    return Promise.all(secrets.map((secret) => subtle.importKey('raw', secret, HMAC_SHA256, false, ['sign']))).catch(() => null);
  } catch {
    return null;
  }
}

/** The HMAC of `bytes` under every key (none skipped), end to end, 32 bytes each, in order. */
async function macsOf(keys, bytes) {
  if (keys.length === 1) return new Uint8Array(await crypto.subtle.sign('HMAC', keys[0], bytes));
  const tags = await Promise.all(keys.map((key) => crypto.subtle.sign('HMAC', key, bytes)));
  const macs = new Uint8Array(32 * tags.length);
  tags.forEach((tag, i) => macs.set(new Uint8Array(tag), 32 * i));
  return macs;
}

// ---------------------------------------------------------------------------
// The verifiers

/** The core's verifier inside a Webhook or a BitnobWebhook (set in Verifier's static block). */
let coreOf;
/** A verifier's Web Crypto keys, or null (the core's HMAC); a promise until imported. */
let keysOf;

/**
 * What Webhook and BitnobWebhook share: the core's verifier, built from one
 * secret or several (rotation); the body size limit and the time window;
 * the Fetch Request helpers; and the secrets redacted in inspect and JSON
 * (only their number shows).
 */
class Verifier {
  #core;
  #name;
  #fields;
  #secretCount;
  #keys;

  static {
    coreOf = (verifier) => verifier.#core;
    keysOf = (verifier) => verifier.#keys;
  }

  /**
   * `build(secrets)` makes the core's verifier; `fields` are what inspect
   * and toJSON show after the secrets; `webCrypto` imports the secrets as
   * Web Crypto keys too, for the async path, where the backend wants it.
   */
  constructor(name, fields, secretOrSecrets, build, webCrypto) {
    let keys;
    [this.#core, this.#secretCount, keys] = built(secretOrSecrets, build, webCrypto ? importKeys : undefined);
    this.#keys = keys;
    // Once imported, the keys are read without awaiting.
    keys?.then((imported) => {
      this.#keys = imported;
    });
    this.#name = name;
    this.#fields = fields;
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#core.maxBodyBytes;
  }

  /** The window in seconds (tolerance, replay window), or null when there is none. */
  get tolerance() {
    return this.#core.tolerance ?? null;
  }

  /**
   * Read a Fetch API Request's body (up to maxBodyBytes) and verify it.
   * Resolves to the verified raw body bytes.
   */
  async verifyRequest(request) {
    const body = await requestBody(request, this.maxBodyBytes);
    await this.verifyAsync(body, request.headers);
    return body;
  }

  /** Read a Fetch API Request's body and construct its event (by the async path). */
  async constructEventFromRequest(request, options) {
    const body = await requestBody(request, this.maxBodyBytes);
    return this.constructEventAsync(body, request.headers, options);
  }

  [inspectCustom]() {
    const shown = this.#fields.map((field) => `${field}: ${this[field]}`).join(', ');
    return `${this.#name} { secrets: [REDACTED; ${this.#secretCount}], ${shown} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${this.#secretCount}]`, ...Object.fromEntries(this.#fields.map((field) => [field, this[field]])) };
  }
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
    const { tolerance, maxBodyBytes, strict } = checkedOptions(options);
    super(
      'Webhook',
      ['tolerance', 'maxBodyBytes', 'strict'],
      secretOrSecrets,
      (secrets) => backend.webhook(secrets, tolerance, maxBodyBytes, strict),
      true,
    );
  }

  /** Whether a documented field of another type is refused (`invalid_payload`). */
  get strict() {
    return coreOf(this).strict;
  }

  /** Check the X-Bullseye-Signature over the raw body; throws a WebhookError. */
  verify(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    try {
      coreOf(this).verify(backend.body(raw), signature);
    } catch (error) {
      throw wrapped(error);
    }
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
    let answer;
    try {
      answer = coreOf(this).constructEvent(backend.body(raw), signature, now);
    } catch (error) {
      throw wrapped(error);
    }
    return eventFrom(raw, answer);
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
    try {
      core.checkMacs(NO_BYTES, bytes.byteLength, signature, NO_BYTES, 0, false);
    } catch (error) {
      throw wrapped(error);
    }
    const macs = await macsOf(keys, bytes);
    try {
      core.checkMacs(NO_BYTES, bytes.byteLength, signature, macs, 0, false);
    } catch (error) {
      throw wrapped(error);
    }
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
    const bytes = backend.body(raw);
    const core = coreOf(this);
    let answer;
    try {
      core.checkMacs(NO_BYTES, bytes.byteLength, signature, NO_BYTES, now, false);
    } catch (error) {
      throw wrapped(error);
    }
    const macs = await macsOf(keys, bytes);
    try {
      answer = core.checkMacs(bytes, bytes.byteLength, signature, macs, now, true);
    } catch (error) {
      throw wrapped(error);
    }
    return eventFrom(raw, answer);
  }

  /**
   * Check a fingerprinting-api visit's X-Webhook-Signature (the static
   * token or the HMAC of the body), then parse it: the payload with its
   * descriptive objects' strings typed, plus `raw`, the object as sent.
   */
  constructVisit(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, VISIT_SIGNATURE_HEADER);
    let answer;
    try {
      answer = coreOf(this).constructVisit(backend.body(raw), signature);
    } catch (error) {
      throw wrapped(error);
    }
    return visitFrom(raw, answer);
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
  let answer;
  try {
    answer = backend.parseVisit(backend.body(raw), strict);
  } catch (error) {
    throw wrapped(error);
  }
  return visitFrom(raw, answer);
}

/** The X-Bullseye-Signature value for `body` under `secret` (tests, local senders). */
function sign(secret, body) {
  backend.ready();
  return withSecret(secret, (bytes) => backend.sign(bytes, backend.body(rawBody(body))));
}

// ---------------------------------------------------------------------------
// Bitnob

const BITNOB_OPTION_NAMES = new Set(['tolerance', 'legacySha512', 'maxBodyBytes']);

/** BitnobWebhook's options: tolerance (default 300, null for none), legacySha512 (default true), maxBodyBytes. */
function bitnobOptions(options) {
  if (options === undefined || options === null) options = {};
  for (const key of Object.keys(checkedObject(options))) {
    if (!BITNOB_OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are tolerance (seconds, null for none), legacySha512 and maxBodyBytes`);
    }
  }
  const { tolerance = DEFAULT_BITNOB_TOLERANCE, legacySha512 = true, maxBodyBytes } = options;
  if (tolerance !== null && !isSeconds(tolerance)) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, or null for no replay window, got ${describe(tolerance)}`);
  }
  if (typeof legacySha512 !== 'boolean') throw new TypeError(`legacySha512 must be a boolean, got ${describe(legacySha512)}`);
  return { tolerance, legacySha512, maxBodyBytes: checkedMaxBodyBytes(maxBodyBytes) };
}

/**
 * A verifier for one Bitnob webhook endpoint: `X-Bitnob-Signature`, the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}`, or the legacy hex
 * HMAC-SHA512 of the body (128 digits; on by default, `legacySha512: false`
 * refuses it). One secret, or several while rotating. Options: `tolerance`
 * (the replay window in seconds, default 300; null: none), `legacySha512`,
 * `maxBodyBytes` (default 1 MiB). The legacy scheme signs no timestamp, so
 * the window cannot protect those deliveries from replay.
 */
class BitnobWebhook extends Verifier {
  constructor(secretOrSecrets, options) {
    backend.ready();
    const { tolerance, legacySha512, maxBodyBytes } = bitnobOptions(options);
    super('BitnobWebhook', ['tolerance', 'legacySha512', 'maxBodyBytes'], secretOrSecrets, (secrets) =>
      backend.bitnob(secrets, tolerance, legacySha512, maxBodyBytes),
    );
  }

  /** Whether the legacy HMAC-SHA512 scheme is accepted. */
  get legacySha512() {
    return coreOf(this).legacySha512;
  }

  /**
   * The indexes (in configuration order) of the configured secrets whose
   * last 4 characters are `last4`, as Bitnob's dashboard shows them
   * (`signing_secret_last4`). Only each secret's last 4 are kept for this.
   */
  secretsEndingIn(last4) {
    if (typeof last4 !== 'string') throw new TypeError(`last4 must be a string, got ${describe(last4)}`);
    return Array.from(coreOf(this).secretsEndingIn(last4));
  }

  /** The core's check: verify's checks only, or with `event` every check of constructEvent and its answer. */
  #check(raw, headers, options, event) {
    const flat = bitnobHeaders(headers);
    const now = nowMs(options);
    try {
      return coreOf(this).check(backend.body(raw), flat, now, event);
    } catch (error) {
      throw wrapped(error);
    }
  }

  /**
   * Check the signature (and, for the timestamped scheme, the window) over
   * the raw body. `options.now` (a Date or milliseconds since the epoch)
   * replaces the clock. @throws WebhookError
   */
  verify(body, headers, options) {
    this.#check(rawBody(body), headers, options, false);
  }

  /**
   * Verify, then parse the event: the payload object plus `event_type`
   * (from `X-Bitnob-Event`, else the body's `event`). `options.now` (a Date
   * or milliseconds since the epoch) replaces the clock.
   */
  constructEvent(body, headers, options) {
    const raw = rawBody(body);
    return eventFrom(raw, this.#check(raw, headers, options, true));
  }

  /**
   * verify, as a promise (for one code path with Webhook's). Bitnob's MACs
   * are computed by the core here, not by Web Crypto.
   */
  async verifyAsync(body, headers, options) {
    this.verify(body, headers, options);
  }

  /** constructEvent, as a promise (the core computes the MACs; see verifyAsync). */
  async constructEventAsync(body, headers, options) {
    return this.constructEvent(body, headers, options);
  }
}

/** The last 4 characters of `secret` (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
function secretLast4(secret) {
  backend.ready();
  return withSecret(secret, (bytes) => backend.secretLast4(bytes));
}

function timestampText(timestamp) {
  if (typeof timestamp === 'string') return timestamp;
  if (Number.isSafeInteger(timestamp)) return String(timestamp);
  throw new TypeError(`timestamp must be Unix seconds (an integer or its decimal text), got ${describe(timestamp)}`);
}

/** The X-Bitnob-Signature for `body` sent with `X-Bitnob-Timestamp: timestamp` (tests, local senders). */
function signBitnob(secret, body, timestamp) {
  backend.ready();
  return withSecret(secret, (bytes) => {
    const raw = backend.body(rawBody(body));
    return backend.signBitnob(bytes, timestampText(timestamp), raw);
  });
}

/** The legacy X-Bitnob-Signature: hex HMAC-SHA512 of the body alone (tests, local senders). */
function signBitnobLegacy(secret, body) {
  backend.ready();
  return withSecret(secret, (bytes) => backend.signBitnobLegacy(bytes, backend.body(rawBody(body))));
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
  BitnobWebhook,
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BITNOB_EVENT_HEADER,
  DEFAULT_BITNOB_TOLERANCE,
  secretLast4,
  signBitnob,
  signBitnobLegacy,
};
