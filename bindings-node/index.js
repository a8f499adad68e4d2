'use strict';
// The package's entry: argument checks, error wrapping, and the framework
// integrations. Every webhook rule (signature, size, shape, time) is decided
// by the Rust core behind `./native`; this file only converts arguments,
// turns the verified text into objects with JSON.parse, and writes there the
// typed values the core reports for fields of another type.

const native = require('./native/index.js');
const { createDedupe } = require('./dedupe.js');

const SIGNATURE_HEADER = native.signatureHeader();
const VISIT_SIGNATURE_HEADER = native.visitSignatureHeader();
const DEFAULT_MAX_BODY_BYTES = native.defaultMaxBodyBytes();

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

// The HTTP status of each code, as the core assigns it.
const HTTP_STATUS = new Map(native.errorStatuses());

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** Every failure this package reports: `.code` is one of ERROR_CODES. */
class WebhookError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
    /** The HTTP status a receiver should answer with (413, 400 or 401). */
    this.status = HTTP_STATUS.get(code) ?? 400;
  }
}

/** The core's own list of error codes (for tests comparing it with ERROR_CODES). */
function coreErrorCodes() {
  return native.errorCodes();
}

/** Rethrow an error from the native layer as a WebhookError or a TypeError. */
function wrapped(error) {
  if (error && typeof error.code === 'string' && HTTP_STATUS.has(error.code)) {
    return new WebhookError(error.code, error.message);
  }
  // Only a conversion the checks below let through can land here.
  return new TypeError(error && error.message ? error.message : String(error));
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value;
}

/**
 * The raw body as the native layer takes it: a string or a byte view.
 * A parsed object is a WebhookError (the usual cause of every signature
 * failing); any other type is a TypeError.
 */
function rawBody(body) {
  if (typeof body === 'string' || ArrayBuffer.isView(body)) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body !== null && typeof body === 'object') {
    throw new WebhookError(
      'invalid_body',
      'invalid_body: the body is an already-parsed object; pass the raw request body ' +
        '(a Buffer, Uint8Array or string) exactly as received, before any JSON parsing',
    );
  }
  throw new TypeError(
    `body must be the raw request body as a Buffer, Uint8Array or string, got ${describe(body)}`,
  );
}

/** The body's text, for JSON.parse after the core has verified it as UTF-8 JSON. */
function textOf(body) {
  if (typeof body === 'string') {
    // A string with lone surrogates was verified as its UTF-8 encoding, in
    // which they became U+FFFD: parse that, not the original.
    return body.isWellFormed() ? body : Buffer.from(body).toString('utf8');
  }
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

function headerValue(value, name) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  throw new TypeError(`header ${JSON.stringify(name)} must be a string or an array of strings, got ${describe(value)}`);
}

/**
 * The signature from a header value, or from a headers mapping (a Fetch
 * `Headers`, a `Map`, or Node's `IncomingHttpHeaders`) by the core's
 * case-insensitive lookup. Absent reads as "", which the core refuses as
 * `missing_signature`.
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
  return native.findHeader(flatHeaders(signatureOrHeaders), headerName) ?? '';
}

/**
 * A headers object (a Fetch `Headers`, a `Map`, or Node's
 * `IncomingHttpHeaders`) as `[name, value, name, value, ...]`, for the
 * core's case-insensitive lookup.
 */
function flatHeaders(headers) {
  const flat = [];
  if (typeof headers.get === 'function' && typeof headers[Symbol.iterator] === 'function') {
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

/** A secret as bytes: strings are used as their UTF-8 bytes, never decoded. */
function secretBytes(secret) {
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8');
  if (ArrayBuffer.isView(secret)) return Buffer.from(new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength));
  if (secret instanceof ArrayBuffer) return Buffer.from(new Uint8Array(secret));
  throw new TypeError(`a secret must be a string or a Uint8Array, got ${describe(secret)}`);
}

const OPTION_NAMES = new Set(['tolerance', 'maxBodyBytes', 'strict']);

function checkedOptions(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are tolerance (seconds), maxBodyBytes and strict`);
    }
  }
  const { tolerance, maxBodyBytes, strict } = options;
  if (tolerance !== undefined && tolerance !== null && !(typeof tolerance === 'number' && tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, got ${describe(tolerance)}`);
  }
  if (maxBodyBytes !== undefined && maxBodyBytes !== null && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${describe(maxBodyBytes)}`);
  }
  return { tolerance: tolerance ?? undefined, maxBodyBytes: maxBodyBytes ?? undefined, strict: checkedStrict(strict) };
}

function checkedStrict(strict) {
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean') {
    throw new TypeError(`strict must be a boolean, got ${describe(strict)}`);
  }
  return strict === true;
}

/** parseVisit's options: `{ strict }`. */
function visitOptions(options) {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'strict') throw new TypeError(`unknown option ${JSON.stringify(key)}; the only option is strict`);
  }
  return checkedStrict(options.strict);
}

/** The injected clock of constructEvent's options, as milliseconds since the epoch. */
function nowMs(options) {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { now } = options;
  if (now === undefined || now === null) return undefined;
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError('now must be a Date or a number of milliseconds since the Unix epoch');
  }
  return ms;
}

// ---------------------------------------------------------------------------
// Field types and drift. The core reads the body and reports each documented
// field of another JSON type; JavaScript builds the object with JSON.parse
// and writes the typed value (converted, or null) at each reported path.

/**
 * Where an event or a visit keeps its mismatches: a property under a symbol
 * of this module, not enumerable, so JSON.stringify(event), Object.keys and
 * spreading see the payload only. (Not a WeakMap: its entries outlive the
 * young objects they describe until a full collection, and a busy receiver
 * then grows by the drifted events of a whole major-GC cycle.)
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
 * Write each mismatch's typed value at its path in `object` (JSON.parse of the
 * verified body), and keep the list, each with the value as sent. `json` is
 * the core's `[[path, expected, found, typed], ...]`; a path is dotted
 * (`company.size`, `page_views.3.url`) and documented keys have no dots.
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
 * "as sent"], ...]`; a typing applies only where the value is still the string
 * as sent (the list also names a repeated key's earlier occurrences).
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
 * defines it: `bullseye:{organization_id}:{event_type}:{session_id}` for an
 * event with a session, `visit:{id}` for a visit with an id, else
 * `sha256:{hex SHA-256 of the raw body}`. It holds no secret.
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
 * values of any mismatches, and its delivery key. `answer` is the native
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
 * and `raw` (not enumerable), the object as sent.
 */
function visitFrom(body, answer) {
  const text = textOf(body);
  const visit = JSON.parse(text);
  visit.event_type = answer.eventType ?? null;
  if (answer.mismatches !== '') applyMismatches(visit, answer.mismatches);
  applyTypings(visit, answer.typings);
  Object.defineProperty(visit, DELIVERY_KEY, { value: answer.deliveryKey });
  Object.defineProperty(visit, 'raw', { value: JSON.parse(text), writable: true, configurable: true, enumerable: false });
  return visit;
}

// What a body read stops at: the limit plus one byte is enough for the core
// to refuse it, and memory stays bounded whatever the client sends.
class TooLarge {
  constructor(limit) {
    this.limit = limit;
  }
  error() {
    return new WebhookError('body_too_large', `body_too_large: the body is more than the limit of ${this.limit} bytes`);
  }
}

/**
 * Read a stream of byte chunks (a Node request or a web ReadableStream),
 * keeping at most `limit` bytes. Node streams are drained to their end so the
 * answer reaches the client; web streams are cancelled.
 */
async function readLimited(chunks, limit, { drain }) {
  const kept = [];
  let length = 0;
  let tooLarge = false;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.byteLength;
    if (length > limit) {
      tooLarge = true;
      kept.length = 0;
      if (!drain) break;
    } else {
      kept.push(bytes);
    }
  }
  if (tooLarge) return new TooLarge(limit);
  return kept.length === 1 ? kept[0] : Buffer.concat(kept, length);
}

function declaredLength(value) {
  const length = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(length) ? length : undefined;
}

/** A Fetch API Request's body, read up to `limit` bytes (more is body_too_large). */
async function requestBody(request, limit) {
  if (request === null || typeof request !== 'object' || !('headers' in request) || !('body' in request)) {
    throw new TypeError(`expected a Fetch API Request, got ${describe(request)}`);
  }
  if (request.bodyUsed) {
    throw new WebhookError('invalid_body', 'invalid_body: the request body was already read; pass the request before reading its body');
  }
  const declared = declaredLength(request.headers.get('content-length'));
  if (declared !== undefined && declared > limit) {
    await request.body?.cancel();
    throw new TooLarge(limit).error();
  }
  const body = request.body === null ? new Uint8Array(0) : await readLimited(request.body, limit, { drain: false });
  if (body instanceof TooLarge) throw body.error();
  return body;
}

const secretCounts = new WeakMap();

/**
 * A verifier for one webhook endpoint, holding one secret or several
 * (rotation). Options: `tolerance` (seconds; unset means no time check),
 * `maxBodyBytes` (default 1 MiB) and `strict` (refuse a documented field of
 * another type as `invalid_payload`; default false: accept it and report it
 * in `mismatchesOf(event)`).
 */
class Webhook {
  #native;

  constructor(secretOrSecrets, options) {
    const { tolerance, maxBodyBytes, strict } = checkedOptions(options);
    const list = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
    if (list.some((secret) => secret === undefined || secret === null)) {
      // The usual cause: an unset environment variable.
      throw new WebhookError('invalid_secret', 'invalid_secret: a webhook secret is required and must not be empty (got undefined or null)');
    }
    const secrets = list.map(secretBytes);
    try {
      this.#native = new native.NativeWebhook(secrets, tolerance, maxBodyBytes, strict);
    } catch (error) {
      throw wrapped(error);
    } finally {
      for (const secret of secrets) secret.fill(0);
    }
    secretCounts.set(this, secrets.length);
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#native.maxBodyBytes;
  }

  /** The tolerance in seconds, or null when there is no time check. */
  get tolerance() {
    return this.#native.tolerance;
  }

  /** Whether a documented field of another type is refused (`invalid_payload`). */
  get strict() {
    return this.#native.strict;
  }

  /** Check the X-Bullseye-Signature over the raw body; throws a WebhookError. */
  verify(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    try {
      this.#native.verify(raw, signature);
    } catch (error) {
      throw wrapped(error);
    }
  }

  /**
   * Verify, then parse a Bullseye event: a plain object with the payload's
   * own keys plus `event_type`, holding the typed value at each path
   * `mismatchesOf(event)` lists. `options.now` (a Date or milliseconds since
   * the epoch) replaces the clock for the tolerance check.
   */
  constructEvent(body, signatureOrHeaders, options) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    const now = nowMs(options);
    let answer;
    try {
      answer = this.#native.constructEvent(raw, signature, now);
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
      answer = this.#native.constructVisit(raw, signature);
    } catch (error) {
      throw wrapped(error);
    }
    return visitFrom(raw, answer);
  }

  /**
   * Read a Fetch API Request's body (up to maxBodyBytes) and verify it.
   * Resolves to the verified raw body bytes.
   */
  async verifyRequest(request) {
    const body = await requestBody(request, this.maxBodyBytes);
    this.verify(body, request.headers);
    return body;
  }

  /** Read a Fetch API Request's body and construct its event. */
  async constructEventFromRequest(request, options) {
    const body = await requestBody(request, this.maxBodyBytes);
    return this.constructEvent(body, request.headers, options);
  }

  /**
   * A Fetch API handler `(request) => Promise<Response>` (Next.js route
   * handlers, Hono, Bun, Deno): it verifies the request, calls
   * `fn(event, request)` with the event (a visit with `kind: 'visit'`), and
   * answers what `fn` returns (a Response as is; undefined as 204; anything
   * else as JSON). Refusals are answered `{"error": code}` with the
   * contract's status. With `{ dedupe: store }`: a duplicate is answered 200
   * `{"duplicate":true}` without calling `fn`, a delivery in flight 409 with
   * Retry-After, a store that fails 503 with Retry-After (or, with
   * `onStoreError: 'process'`, handled anyway); `fn`'s 2xx completes the
   * claim, and anything else (or a throw) releases it.
   */
  handler(fn, options) {
    return fetchHandler(this, fn, options);
  }

  [inspectCustom]() {
    return `Webhook { secrets: [REDACTED; ${secretCounts.get(this)}], tolerance: ${this.tolerance}, maxBodyBytes: ${this.maxBodyBytes}, strict: ${this.strict} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${secretCounts.get(this)}]`, tolerance: this.tolerance, maxBodyBytes: this.maxBodyBytes, strict: this.strict };
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
  const raw = rawBody(body);
  const strict = visitOptions(options);
  let answer;
  try {
    answer = native.parseVisit(raw, strict);
  } catch (error) {
    throw wrapped(error);
  }
  return visitFrom(raw, answer);
}

/** The X-Bullseye-Signature value for `body` under `secret` (tests, local senders). */
function sign(secret, body) {
  return native.sign(secretBytes(secret), rawBody(body));
}

// ---------------------------------------------------------------------------
// Bitnob

const [BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER] = native.bitnobHeaders();
/** Bitnob's suggested replay window, the default: 300 seconds. */
const DEFAULT_BITNOB_TOLERANCE = native.defaultBitnobTolerance();
const BITNOB_OPTION_NAMES = new Set(['tolerance', 'legacySha512', 'maxBodyBytes']);

function bitnobOptions(options) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!BITNOB_OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are tolerance (seconds, null for none), legacySha512 and maxBodyBytes`);
    }
  }
  const { tolerance = DEFAULT_BITNOB_TOLERANCE, legacySha512 = true, maxBodyBytes } = options;
  if (tolerance !== null && !(typeof tolerance === 'number' && tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, or null for no replay window, got ${describe(tolerance)}`);
  }
  if (typeof legacySha512 !== 'boolean') throw new TypeError(`legacySha512 must be a boolean, got ${describe(legacySha512)}`);
  if (maxBodyBytes !== undefined && maxBodyBytes !== null && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${describe(maxBodyBytes)}`);
  }
  return { tolerance, legacySha512, maxBodyBytes: maxBodyBytes ?? undefined };
}

/**
 * A request's headers as `[name, value, ...]` for the Bitnob verifier,
 * which reads three of them: a headers object, or a list of `[name, value]`
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

/**
 * A verifier for one Bitnob webhook endpoint: `X-Bitnob-Signature`, the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}`, or the legacy hex
 * HMAC-SHA512 of the body (128 digits; on by default, `legacySha512: false`
 * refuses it). One secret, or several while rotating. Options: `tolerance`
 * (the replay window in seconds, default 300; null: none), `legacySha512`,
 * `maxBodyBytes` (default 1 MiB). The legacy scheme signs no timestamp, so
 * the window cannot protect those deliveries from replay.
 */
class BitnobWebhook {
  #native;

  constructor(secretOrSecrets, options) {
    const { tolerance, legacySha512, maxBodyBytes } = bitnobOptions(options);
    const list = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
    if (list.some((secret) => secret === undefined || secret === null)) {
      throw new WebhookError('invalid_secret', 'invalid_secret: a webhook secret is required and must not be empty (got undefined or null)');
    }
    const secrets = list.map(secretBytes);
    try {
      this.#native = new native.NativeBitnobWebhook(secrets, tolerance, legacySha512, maxBodyBytes);
    } catch (error) {
      throw wrapped(error);
    } finally {
      for (const secret of secrets) secret.fill(0);
    }
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#native.maxBodyBytes;
  }

  /** The replay window in seconds, or null when there is none. */
  get tolerance() {
    return this.#native.tolerance;
  }

  /** Whether the legacy HMAC-SHA512 scheme is accepted. */
  get legacySha512() {
    return this.#native.legacySha512;
  }

  /**
   * The indexes (in configuration order) of the configured secrets whose
   * last 4 characters are `last4`, as Bitnob's dashboard shows them
   * (`signing_secret_last4`). Only each secret's last 4 are kept for this.
   */
  secretsEndingIn(last4) {
    if (typeof last4 !== 'string') throw new TypeError(`last4 must be a string, got ${describe(last4)}`);
    return this.#native.secretsEndingIn(last4);
  }

  /** Check the signature (and, for the timestamped scheme, the window) over the raw body. @throws WebhookError */
  verify(body, headers, options) {
    const raw = rawBody(body);
    const flat = bitnobHeaders(headers);
    const now = nowMs(options);
    try {
      this.#native.verify(raw, flat, now);
    } catch (error) {
      throw wrapped(error);
    }
  }

  /**
   * Verify, then parse the event: the payload object plus `event_type`
   * (from `X-Bitnob-Event`, else the body's `event`). `options.now` (a Date
   * or milliseconds since the epoch) replaces the clock.
   */
  constructEvent(body, headers, options) {
    const raw = rawBody(body);
    const flat = bitnobHeaders(headers);
    const now = nowMs(options);
    let answer;
    try {
      answer = this.#native.constructEvent(raw, flat, now);
    } catch (error) {
      throw wrapped(error);
    }
    return eventFrom(raw, answer);
  }

  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the raw body. */
  async verifyRequest(request) {
    const body = await requestBody(request, this.maxBodyBytes);
    this.verify(body, request.headers);
    return body;
  }

  /** Read a Fetch API Request's body and construct its event. */
  async constructEventFromRequest(request, options) {
    const body = await requestBody(request, this.maxBodyBytes);
    return this.constructEvent(body, request.headers, options);
  }

  /** A Fetch API handler, as `Webhook#handler`. */
  handler(fn, options) {
    return fetchHandler(this, fn, options);
  }

  [inspectCustom]() {
    return `BitnobWebhook { secrets: [REDACTED; ${this.#native.secretCount}], tolerance: ${this.tolerance}, legacySha512: ${this.legacySha512}, maxBodyBytes: ${this.maxBodyBytes} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${this.#native.secretCount}]`, tolerance: this.tolerance, legacySha512: this.legacySha512, maxBodyBytes: this.maxBodyBytes };
  }
}

/** The last 4 characters of `secret` (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
function secretLast4(secret) {
  const bytes = secretBytes(secret);
  try {
    return native.secretLast4(bytes);
  } finally {
    bytes.fill(0);
  }
}

function timestampText(timestamp) {
  if (typeof timestamp === 'string') return timestamp;
  if (Number.isSafeInteger(timestamp)) return String(timestamp);
  throw new TypeError(`timestamp must be Unix seconds (an integer or its decimal text), got ${describe(timestamp)}`);
}

/** The X-Bitnob-Signature for `body` sent with `X-Bitnob-Timestamp: timestamp` (tests, local senders). */
function signBitnob(secret, body, timestamp) {
  return native.signBitnob(secretBytes(secret), rawBody(body), timestampText(timestamp));
}

/** The legacy X-Bitnob-Signature: hex HMAC-SHA512 of the body alone (tests, local senders). */
function signBitnobLegacy(secret, body) {
  return native.signBitnobLegacy(secretBytes(secret), rawBody(body));
}

// ---------------------------------------------------------------------------
// De-duplication: the core's MemoryStore, and (dedupe.js) the Redis store
// and the claim flow the integrations share.

const DELIVERY_DEFAULTS = native.deliveryDefaults();

/** A store's failure as the StoreUnavailableError of dedupe.js. */
function storeFailure(error) {
  if (error && error.code === 'store_unavailable') {
    return new StoreUnavailableError(String(error.message).replace(/^store_unavailable: /, ''));
  }
  return error;
}

const {
  RedisStore,
  StoreUnavailableError,
  dedupeSettings,
  claimDelivery,
  settleClaim,
} = createDedupe({
  defaults: DELIVERY_DEFAULTS,
  redisScripts: native.redisScripts(),
  newClaimToken() {
    try {
      return native.newClaimToken();
    } catch (error) {
      throw storeFailure(error);
    }
  },
  claimFromRedisReply(reply, token) {
    try {
      return native.claimFromRedisReply(reply, token);
    } catch (error) {
      throw storeFailure(error);
    }
  },
  completionFromRedisReply(reply) {
    try {
      return native.completionFromRedisReply(reply);
    } catch (error) {
      throw storeFailure(error);
    }
  },
  deliveryKeyOf,
});

/**
 * De-duplication in this process's memory (the core's store): right for one
 * process. At most `capacity` keys (default 100,000): when full, expired
 * keys go first, then the done keys closest to expiry; never a claim in
 * flight (full of those, a claim is StoreUnavailableError). For several
 * processes, use RedisStore.
 */
class MemoryStore {
  #native;

  constructor(options) {
    if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    for (const key of Object.keys(options ?? {})) {
      if (key !== 'capacity') throw new TypeError(`unknown option ${JSON.stringify(key)}; the only option is capacity`);
    }
    const capacity = options?.capacity;
    if (capacity !== undefined && !(Number.isSafeInteger(capacity) && capacity >= 1)) {
      throw new TypeError(`capacity must be a positive integer, got ${describe(capacity)}`);
    }
    this.#native = new native.NativeMemoryStore(capacity);
  }

  /** The most keys it holds. */
  get capacity() {
    return this.#native.capacity;
  }

  /** How many keys it holds now (expired ones until they are dropped). */
  get size() {
    return this.#native.size;
  }

  /** Claim `key` for `leaseMs`: `{ outcome: 'new', token }`, `{ outcome: 'duplicate' }` or `{ outcome: 'in_flight', retryAfter }`. */
  claim(key, leaseMs) {
    try {
      return this.#native.claim(String(key), leaseMs);
    } catch (error) {
      throw storeFailure(error);
    }
  }

  /** Mark `key` done for `retentionMs` if `token`'s claim holds it (or it is free): `'done'`, `'lease_expired'` or `'not_held'`. */
  complete(key, token, retentionMs) {
    try {
      return this.#native.complete(String(key), String(token), retentionMs);
    } catch (error) {
      throw storeFailure(error);
    }
  }

  /** Delete `token`'s claim on `key` (never another's): whether it did. */
  release(key, token) {
    try {
      return this.#native.release(String(key), String(token));
    } catch (error) {
      throw storeFailure(error);
    }
  }

  [inspectCustom]() {
    return `MemoryStore { capacity: ${this.capacity}, size: ${this.size} }`;
  }
}

// ---------------------------------------------------------------------------
// Integrations

const INTEGRATION_OPTIONS = new Set(['kind', 'dedupe', 'onStoreError', 'lease', 'retention', 'logger']);

function integrationOptions(options, extra = []) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!INTEGRATION_OPTIONS.has(key) && !extra.includes(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are ${[...INTEGRATION_OPTIONS, ...extra].join(', ')}`);
    }
  }
  return options;
}

function checkedKind(options) {
  const kind = options?.kind ?? 'event';
  if (kind !== 'event' && kind !== 'visit') {
    throw new TypeError(`kind must be "event" or "visit", got ${JSON.stringify(kind)}`);
  }
  return kind;
}

/**
 * The one verifier protocol the integrations take: a Webhook, a
 * BitnobWebhook, or any object with `constructEvent(body, headers)` (and
 * `constructVisit` for `kind: 'visit'`) and `maxBodyBytes`.
 */
function checkedVerifier(verifier, kind) {
  const ok =
    verifier !== null &&
    typeof verifier === 'object' &&
    typeof verifier.constructEvent === 'function' &&
    Number.isSafeInteger(verifier.maxBodyBytes) &&
    (kind !== 'visit' || typeof verifier.constructVisit === 'function');
  if (!ok) {
    const what = kind === 'visit' ? 'a Webhook (kind: "visit" needs constructVisit)' : 'a Webhook or a BitnobWebhook';
    throw new TypeError(`expected ${what}, got ${describe(verifier)}`);
  }
  return verifier;
}

/** Construct what `kind` asks for from a raw body and headers. */
function construct(verifier, kind, body, headers) {
  return kind === 'visit' ? verifier.constructVisit(body, headers) : verifier.constructEvent(body, headers);
}

function answerNode(res, error) {
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: error.code }));
}

/** A de-duplication answer (duplicate, in flight, store unavailable) on a Node response. */
function answerPlain(res, { status, headers, body }) {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

const isSuccess = (status) => status >= 200 && status < 300;

/**
 * Settle `claim` by the status the handler answers with: on 'finish'; or,
 * when the client went away first ('close'), once the handler ends its
 * response (if it never does, the lease expires).
 */
function settleOnResponse(res, settings, claim) {
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    settleClaim(settings, claim, isSuccess(res.statusCode));
  };
  res.once('finish', settle);
  res.once('close', () => {
    if (settled) return;
    if (res.writableEnded) return settle();
    const end = res.end;
    res.end = function endAndSettle(...args) {
      settle();
      return end.apply(this, args);
    };
  });
}

let warnedParsed = false;
const PARSED_MESSAGE =
  'invalid_body: the request body was already parsed (express.json() or a similar parser ran ' +
  'before the Bullseye middleware), so the raw bytes the signature covers are gone. Mount the ' +
  'Bullseye middleware before any JSON parser on this route, or use express.raw().';

/**
 * Express (or any connect-style) middleware: reads the raw body itself
 * (or takes the Buffer express.raw() left in req.body), verifies it with
 * `verifier` (a Webhook or a BitnobWebhook), and puts the event on
 * `req.bullseyeEvent` (`req.bullseyeVisit` with `{ kind: 'visit' }`).
 * Refusals are answered with the contract's status and `{"error": code}`.
 * With `{ dedupe: store }`, each delivery is claimed first (see
 * Webhook#handler for the answers); the claim is completed when the
 * response finishes with a 2xx, and released otherwise.
 */
function expressMiddleware(verifier, options) {
  integrationOptions(options);
  const kind = checkedKind(options);
  checkedVerifier(verifier, kind);
  const settings = dedupeSettings(options);
  const field = kind === 'visit' ? 'bullseyeVisit' : 'bullseyeEvent';
  return function bullseyeWebhook(req, res, next) {
    let body;
    const given = req.body;
    if (typeof given === 'string' || ArrayBuffer.isView(given)) {
      body = Promise.resolve(given);
    } else if (given !== undefined && given !== null && (req._body === true || req.readableEnded)) {
      if (!warnedParsed) {
        warnedParsed = true;
        process.emitWarning(PARSED_MESSAGE, { code: 'BULLSEYE_BODY_ALREADY_PARSED' });
      }
      answerNode(res, new WebhookError('invalid_body', PARSED_MESSAGE));
      return;
    } else {
      body = readLimited(req, verifier.maxBodyBytes, { drain: true });
    }
    body.then(
      (raw) => {
        let received;
        try {
          if (raw instanceof TooLarge) throw raw.error();
          received = construct(verifier, kind, raw, req.headers);
        } catch (error) {
          if (error instanceof WebhookError) return answerNode(res, error);
          return next(error);
        }
        req[field] = received;
        if (!settings) return next();
        return claimDelivery(settings, received).then(({ answer, claim }) => {
          if (answer) return answerPlain(res, answer);
          if (claim) settleOnResponse(res, settings, claim);
          return next();
        });
      },
      (error) => next(error),
    );
  };
}

const CLAIM = Symbol('bullseye-webhooks claim');

/**
 * Fastify plugin: in the scope it is registered in (register it inside an
 * encapsulated context holding the webhook routes), bodies are kept as raw
 * bytes, verified before the handler, and the event is on
 * `request.bullseyeEvent` (`request.bullseyeVisit` with `kind: 'visit'`).
 * Options: `{ webhook, kind?, dedupe?, onStoreError?, lease?, retention?,
 * logger? }`, `webhook` being a Webhook or a BitnobWebhook. With `dedupe`,
 * the claim is completed when the reply is a 2xx, and released otherwise.
 */
function fastifyPlugin(fastify, options, done) {
  const kind = checkedKind(options);
  const verifier = checkedVerifier(options?.webhook, kind);
  const settings = dedupeSettings({
    dedupe: options?.dedupe,
    onStoreError: options?.onStoreError,
    lease: options?.lease,
    retention: options?.retention,
    logger: options?.logger,
  });
  const limit = verifier.maxBodyBytes;
  const field = kind === 'visit' ? 'bullseyeVisit' : 'bullseyeEvent';
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, parsed) => {
    readLimited(payload, limit, { drain: true }).then((raw) => parsed(null, raw), parsed);
  });
  fastify.decorateRequest(field, null);
  fastify.addHook('preHandler', async (request, reply) => {
    const raw = request.body ?? new Uint8Array(0);
    let received;
    try {
      if (raw instanceof TooLarge) throw raw.error();
      received = construct(verifier, kind, raw, request.headers);
    } catch (error) {
      if (error instanceof WebhookError) return reply.code(error.status).send({ error: error.code });
      throw error;
    }
    request[field] = received;
    // Accepted, but worth knowing: the sender's field types drifted. Where
    // and which types, never the value (it may be personal data).
    for (const { path, expected, found } of mismatchList(received) ?? []) {
      request.log.warn({ mismatch: { path, expected, found } }, `bullseye-webhooks: \`${path}\` should be ${expected} but is ${found} (accepted; see mismatchesOf)`);
    }
    if (!settings) return undefined;
    const logger = options.logger ?? request.log;
    const { answer, claim } = await claimDelivery(settings, received, logger);
    if (answer) return reply.code(answer.status).headers(answer.headers).send(answer.body);
    if (claim) request[CLAIM] = claim;
    return undefined;
  });
  if (settings) {
    const settle = (request, reply) => {
      const claim = request[CLAIM];
      if (!claim) return undefined;
      request[CLAIM] = undefined;
      return settleClaim(settings, claim, isSuccess(reply.statusCode), options.logger ?? request.log);
    };
    // Settled by the status sent; when the client left before the answer
    // (no 'finish', so no onResponse), by the status the handler answers.
    fastify.addHook('onResponse', async (request, reply) => settle(request, reply));
    fastify.addHook('onSend', async (request, reply) => {
      if (reply.raw.destroyed || request.raw.destroyed) await settle(request, reply);
    });
  }
  done();
}
// Like fastify-plugin: apply to the scope that registers it, not a child.
fastifyPlugin[Symbol.for('skip-override')] = true;
fastifyPlugin[Symbol.for('fastify.display-name')] = 'bullseye-webhooks';

/** What a Fetch handler's function returned, as a Response. */
function responseOf(value) {
  if (value instanceof Response) return value;
  if (value === undefined) return new Response(null, { status: 204 });
  return Response.json(value);
}

/** `verifier.handler(fn, options)`: see Webhook#handler. */
function fetchHandler(verifier, fn, options) {
  if (typeof fn !== 'function') throw new TypeError(`handler takes a function (event, request) => Response, got ${describe(fn)}`);
  integrationOptions(options);
  const kind = checkedKind(options);
  checkedVerifier(verifier, kind);
  const settings = dedupeSettings(options);
  return async function bullseyeHandler(request) {
    let received;
    try {
      const body = await requestBody(request, verifier.maxBodyBytes);
      received = construct(verifier, kind, body, request.headers);
    } catch (error) {
      if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
      throw error;
    }
    let claim = null;
    if (settings) {
      const claimed = await claimDelivery(settings, received);
      if (claimed.answer) {
        const { status, headers, body } = claimed.answer;
        return Response.json(body, { status, headers });
      }
      claim = claimed.claim;
    }
    let response;
    try {
      response = responseOf(await fn(received, request));
    } catch (error) {
      if (settings) await settleClaim(settings, claim, false);
      throw error;
    }
    if (settings) await settleClaim(settings, claim, response.ok);
    return response;
  };
}

module.exports = {
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
  MemoryStore,
  RedisStore,
  StoreUnavailableError,
  expressMiddleware,
  fastifyPlugin,
};
