// bullseye-webhooks-wasm: the package's API over the WebAssembly build of the
// Rust core. This file only checks arguments, converts them to bytes, wraps
// errors into WebhookError, JSON.parses the verified text and writes there the
// typed values the core reports for fields of another type: every webhook
// rule (signature, size, shape, types, time, delivery key) is decided by the
// core in the .wasm.
//
// This entry needs the module instantiated once, by `await init()` (browsers,
// bundlers) or `initSync({ module })` (edge workers). The `node` and
// `workerd` entries (node.js, workerd.js) do that on import.
// No Node `Buffer`, no `node:crypto`, no Web Crypto: it runs wherever
// WebAssembly, TextEncoder and TextDecoder do.

import initWasm, {
  WasmBitnobWebhook,
  WasmWebhook,
  errorCodes,
  errorStatuses,
  findHeader,
  initSync as initWasmSync,
  parseVisit as wasmParseVisit,
  secretLast4 as wasmSecretLast4,
  sign as wasmSign,
  signBitnob as wasmSignBitnob,
  signBitnobLegacy as wasmSignBitnobLegacy,
} from './pkg/bullseye_webhooks_wasm.js';

/** The header Bullseye signs with (the core's SIGNATURE_HEADER). */
export const SIGNATURE_HEADER = 'X-Bullseye-Signature';
/** The header fingerprinting-api visits carry their token or HMAC in. */
export const VISIT_SIGNATURE_HEADER = 'X-Webhook-Signature';
/** The body size limit unless `maxBodyBytes` says otherwise: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** The header Bitnob signs with (the core's BITNOB_SIGNATURE_HEADER). */
export const BITNOB_SIGNATURE_HEADER = 'X-Bitnob-Signature';
/** The header carrying the Unix seconds Bitnob signs with the body. */
export const BITNOB_TIMESTAMP_HEADER = 'X-Bitnob-Timestamp';
/** The header naming a Bitnob event (not covered by the signature). */
export const BITNOB_EVENT_HEADER = 'X-Bitnob-Event';
/** Bitnob's suggested replay window, the default: 300 seconds. */
export const DEFAULT_BITNOB_TOLERANCE = 300;
/** The `event_type` of an identification. */
export const VISITOR_IDENTIFIED = 'visitor.identified';
/** Every code a WebhookError can carry, in the order the checks run. */
export const ERROR_CODES = Object.freeze([
  'invalid_secret',
  'body_too_large',
  'missing_signature',
  'malformed_signature',
  'signature_mismatch',
  'invalid_body',
  'invalid_payload',
  'timestamp_out_of_tolerance',
]);

let ready = false;
// The HTTP status of each code, as the core assigns it (read at init).
let httpStatus = new Map();

function initialised() {
  if (!ready) {
    httpStatus = new Map(errorCodes().map((code, i) => [code, errorStatuses()[i]]));
    ready = true;
  }
}

/**
 * Instantiate the WebAssembly module (browsers, bundlers, Deno). With no
 * argument it fetches the .wasm next to this file; it also takes a URL, a
 * Response, bytes or a compiled WebAssembly.Module. Calling it again is harmless.
 */
export async function init(input) {
  await initWasm(input === undefined ? undefined : { module_or_path: input });
  initialised();
}

/**
 * Instantiate synchronously from a compiled WebAssembly.Module (Cloudflare
 * Workers: `import wasm from '…_bg.wasm'`) or the .wasm bytes, given as
 * `{ module }` or directly. Calling it again is harmless.
 */
export function initSync(input) {
  const module = input !== null && typeof input === 'object' && 'module' in input ? input.module : input;
  initWasmSync({ module });
  initialised();
}

function ensureReady() {
  if (!ready) {
    throw new Error(
      'bullseye-webhooks-wasm is not initialised: call `await init()` (browsers, bundlers) or ' +
        '`initSync({ module })` (edge workers) once before using it, or import the package from ' +
        'Node or workerd, whose entries initialise it on import',
    );
  }
}

/** Every failure this package reports: `.code` is one of ERROR_CODES. */
export class WebhookError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
    /** The HTTP status a receiver should answer with (413, 400 or 401). */
    this.status = httpStatus.get(code) ?? 400;
  }
}

/** The core's own list of error codes (for tests comparing it with ERROR_CODES). */
export function coreErrorCodes() {
  ensureReady();
  return errorCodes();
}

/** An error thrown by the .wasm, as a WebhookError (or a TypeError for an argument). */
function wrapped(error) {
  if (error !== null && typeof error === 'object' && httpStatus.has(error.code)) {
    return new WebhookError(error.code, error.message);
  }
  // Only an argument the checks here let through; anything else is a bug, kept as thrown.
  return error?.code === 'argument' ? new TypeError(error.message) : error;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A byte view as a Uint8Array over the same memory. */
function bytesOf(view) {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * The raw body as `{ bytes, text? }`: a string is used as its UTF-8 bytes.
 * A parsed object is a WebhookError (the usual cause of every signature
 * failing); any other type is a TypeError.
 */
function rawBody(body) {
  if (typeof body === 'string') return { bytes: encoder.encode(body), text: body };
  if (ArrayBuffer.isView(body)) return { bytes: bytesOf(body) };
  if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body) };
  if (body !== null && typeof body === 'object') {
    throw new WebhookError(
      'invalid_body',
      'invalid_body: the body is an already-parsed object; pass the raw request body ' +
        '(a Uint8Array, ArrayBuffer or string) exactly as received, before any JSON parsing',
    );
  }
  throw new TypeError(`body must be the raw request body as a Uint8Array, ArrayBuffer or string, got ${describe(body)}`);
}

/** The verified body's text, for JSON.parse. */
function textOf(body) {
  // A string with lone surrogates was verified as its UTF-8 encoding, in
  // which they became U+FFFD: parse that, not the original.
  if (body.text !== undefined && body.text.isWellFormed?.()) return body.text;
  return decoder.decode(body.bytes);
}

function headerValue(value, name) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  throw new TypeError(`header ${JSON.stringify(name)} must be a string or an array of strings, got ${describe(value)}`);
}

/**
 * A headers mapping (a Fetch `Headers`, a `Map`, or a plain object) as
 * `[name, value, name, value, ...]`, for the core's case-insensitive lookup.
 */
function flatHeaders(headers) {
  const flat = [];
  const iterable = typeof headers.get === 'function' && typeof headers[Symbol.iterator] === 'function';
  const entries = iterable ? headers : Object.entries(headers);
  for (const [key, value] of entries) {
    if (value !== undefined && value !== null) flat.push(String(key), headerValue(value, key));
  }
  return flat;
}

/**
 * The signature from a header value, or from a headers mapping (a Fetch
 * `Headers`, a `Map`, or a plain object) by the core's case-insensitive
 * lookup. Absent reads as "", which the core refuses as `missing_signature`.
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
  return findHeader(flatHeaders(signatureOrHeaders), headerName) ?? '';
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

/** A secret as bytes: strings are used as their UTF-8 bytes, never decoded. */
function secretBytes(secret) {
  if (typeof secret === 'string') return encoder.encode(secret);
  if (ArrayBuffer.isView(secret)) return bytesOf(secret).slice();
  if (secret instanceof ArrayBuffer) return new Uint8Array(secret.slice(0));
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
  if (tolerance != null && !(typeof tolerance === 'number' && tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, got ${describe(tolerance)}`);
  }
  if (maxBodyBytes != null && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${describe(maxBodyBytes)}`);
  }
  return { tolerance: tolerance ?? undefined, maxBodyBytes: maxBodyBytes ?? undefined, strict: checkedStrict(strict) };
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
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'strict') throw new TypeError(`unknown option ${JSON.stringify(key)}; the only option is strict`);
  }
  return checkedStrict(options.strict);
}

/** The clock for the tolerance check, in milliseconds: `options.now` or `Date.now()`. */
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
export function mismatchesOf(eventOrVisit) {
  if (!isContainer(eventOrVisit)) {
    throw new TypeError(`mismatchesOf takes an event or a visit, got ${describe(eventOrVisit)}`);
  }
  const list = Object.hasOwn(eventOrVisit, MISMATCHES) ? eventOrVisit[MISMATCHES] : undefined;
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
 * `sha256:{hex SHA-256 of the raw body}` (Bitnob events, among others). It
 * holds no secret. Use it as the key in your own store (Workers KV, D1, a
 * Durable Object): this package ships no store for edge runtimes.
 */
export function deliveryKeyOf(eventOrVisit) {
  if (!isContainer(eventOrVisit) || !Object.hasOwn(eventOrVisit, DELIVERY_KEY)) {
    throw new TypeError(
      `deliveryKeyOf takes an event or a visit this package constructed (a copy loses its key), got ${describe(eventOrVisit)}`,
    );
  }
  return eventOrVisit[DELIVERY_KEY];
}

/**
 * The event: JSON.parse of the verified body, `event_type`, the typed values
 * of any mismatches, and its delivery key. `answer` is the core's
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

function tooLarge(limit) {
  return new WebhookError('body_too_large', `body_too_large: the body is more than the limit of ${limit} bytes`);
}

/** A Fetch Request's body, at most `limit` bytes (more is body_too_large). */
async function requestBody(request, limit) {
  if (request === null || typeof request !== 'object' || !('headers' in request) || !('body' in request)) {
    throw new TypeError(`expected a Fetch API Request, got ${describe(request)}`);
  }
  if (request.bodyUsed) {
    throw new WebhookError('invalid_body', 'invalid_body: the request body was already read; pass the request before reading its body');
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isSafeInteger(declared) && declared > limit) {
    await request.body?.cancel();
    throw tooLarge(limit);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

const secretCounts = new WeakMap();
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * A verifier for one webhook endpoint, holding one secret or several
 * (rotation). Options: `tolerance` (seconds; unset means no time check),
 * `maxBodyBytes` (default 1 MiB) and `strict` (refuse a documented field of
 * another type as `invalid_payload`; default false: accept it and report it
 * in `mismatchesOf(event)`).
 */
export class Webhook {
  #wasm;

  constructor(secretOrSecrets, options) {
    ensureReady();
    const { tolerance, maxBodyBytes, strict } = checkedOptions(options);
    const { joined, lengths } = joinedSecrets(secretOrSecrets);
    try {
      this.#wasm = new WasmWebhook(joined, lengths, tolerance, maxBodyBytes, strict);
    } catch (error) {
      throw wrapped(error);
    } finally {
      joined.fill(0);
    }
    secretCounts.set(this, lengths.length);
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#wasm.maxBodyBytes;
  }

  /** The tolerance in seconds, or null when there is no time check. */
  get tolerance() {
    return this.#wasm.tolerance ?? null;
  }

  /** Whether a documented field of another type is refused (`invalid_payload`). */
  get strict() {
    return this.#wasm.strict;
  }

  /** Check the X-Bullseye-Signature over the raw body; throws a WebhookError. */
  verify(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    try {
      this.#wasm.verify(raw.bytes, signature);
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
      answer = this.#wasm.constructEvent(raw.bytes, signature, now);
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
      answer = this.#wasm.constructVisit(raw.bytes, signature);
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

  [inspectCustom]() {
    return `Webhook { secrets: [REDACTED; ${secretCounts.get(this)}], tolerance: ${this.tolerance}, maxBodyBytes: ${this.maxBodyBytes}, strict: ${this.strict} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${secretCounts.get(this)}]`, tolerance: this.tolerance, maxBodyBytes: this.maxBodyBytes, strict: this.strict };
  }
}

/** Whether an event is an identification (a type guard in TypeScript). */
export function isVisitorIdentified(event) {
  return event !== null && typeof event === 'object' && event.event_type === VISITOR_IDENTIFIED;
}

/**
 * Parse a fingerprinting-api visit without checking any signature.
 * `options.strict` refuses a documented field of another type.
 */
export function parseVisit(body, options) {
  ensureReady();
  const raw = rawBody(body);
  const strict = visitOptions(options);
  let answer;
  try {
    answer = wasmParseVisit(raw.bytes, strict);
  } catch (error) {
    throw wrapped(error);
  }
  return visitFrom(raw, answer);
}

/** The X-Bullseye-Signature value for `body` under `secret` (tests, local senders). */
export function sign(secret, body) {
  ensureReady();
  return wasmSign(secretBytes(secret), rawBody(body).bytes);
}

// ---------------------------------------------------------------------------
// Bitnob

const BITNOB_OPTION_NAMES = new Set(['tolerance', 'legacySha512', 'maxBodyBytes']);

/** BitnobWebhook's options: tolerance (default 300, null for none), legacySha512 (default true), maxBodyBytes. */
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
  const { tolerance, legacySha512 = true, maxBodyBytes } = options;
  if (tolerance != null && !(typeof tolerance === 'number' && tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, or null for no replay window, got ${describe(tolerance)}`);
  }
  if (typeof legacySha512 !== 'boolean') throw new TypeError(`legacySha512 must be a boolean, got ${describe(legacySha512)}`);
  if (maxBodyBytes != null && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${describe(maxBodyBytes)}`);
  }
  // undefined: the core's default window; null: none.
  return { tolerance: tolerance ?? undefined, noTolerance: tolerance === null, legacySha512, maxBodyBytes: maxBodyBytes ?? undefined };
}

/** Secrets as one buffer and their lengths, for the .wasm (which wipes its copy). */
function joinedSecrets(secretOrSecrets) {
  const list = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
  if (list.some((secret) => secret === undefined || secret === null)) {
    // The usual cause: an unset environment variable.
    throw new WebhookError('invalid_secret', 'invalid_secret: a webhook secret is required and must not be empty (got undefined or null)');
  }
  const secrets = list.map(secretBytes);
  const lengths = new Uint32Array(secrets.map((s) => s.byteLength));
  const joined = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  secrets.reduce((offset, secret) => (joined.set(secret, offset), offset + secret.byteLength), 0);
  for (const secret of secrets) secret.fill(0);
  return { joined, lengths };
}

const bitnobSecretCounts = new WeakMap();

/**
 * A verifier for one Bitnob webhook endpoint: `X-Bitnob-Signature`, the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}`, or the legacy hex
 * HMAC-SHA512 of the body (128 digits; on by default, `legacySha512: false`
 * refuses it). One secret, or several while rotating. Options: `tolerance`
 * (the replay window in seconds, default 300; null: none), `legacySha512`,
 * `maxBodyBytes` (default 1 MiB). The legacy scheme signs no timestamp, so
 * the window cannot protect those deliveries from replay.
 */
export class BitnobWebhook {
  #wasm;

  constructor(secretOrSecrets, options) {
    ensureReady();
    const { tolerance, noTolerance, legacySha512, maxBodyBytes } = bitnobOptions(options);
    const { joined, lengths } = joinedSecrets(secretOrSecrets);
    try {
      this.#wasm = new WasmBitnobWebhook(joined, lengths, tolerance, noTolerance, legacySha512, maxBodyBytes);
    } catch (error) {
      throw wrapped(error);
    } finally {
      joined.fill(0);
    }
    bitnobSecretCounts.set(this, lengths.length);
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#wasm.maxBodyBytes;
  }

  /** The replay window in seconds, or null when there is none. */
  get tolerance() {
    return this.#wasm.tolerance ?? null;
  }

  /** Whether the legacy HMAC-SHA512 scheme is accepted. */
  get legacySha512() {
    return this.#wasm.legacySha512;
  }

  /**
   * The indexes (in configuration order) of the configured secrets whose
   * last 4 characters are `last4`, as Bitnob's dashboard shows them
   * (`signing_secret_last4`). Only each secret's last 4 are kept for this.
   */
  secretsEndingIn(last4) {
    if (typeof last4 !== 'string') throw new TypeError(`last4 must be a string, got ${describe(last4)}`);
    return Array.from(this.#wasm.secretsEndingIn(last4));
  }

  /**
   * Check the signature (and, for the timestamped scheme, the window) over
   * the raw body. `options.now` (a Date or milliseconds since the epoch)
   * replaces the clock. @throws WebhookError
   */
  verify(body, headers, options) {
    const raw = rawBody(body);
    const flat = bitnobHeaders(headers);
    const now = nowMs(options);
    try {
      this.#wasm.check(raw.bytes, flat, now, false);
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
      answer = this.#wasm.check(raw.bytes, flat, now, true);
    } catch (error) {
      throw wrapped(error);
    }
    return eventFrom(raw, answer);
  }

  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the raw body bytes. */
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

  [inspectCustom]() {
    return `BitnobWebhook { secrets: [REDACTED; ${bitnobSecretCounts.get(this)}], tolerance: ${this.tolerance}, legacySha512: ${this.legacySha512}, maxBodyBytes: ${this.maxBodyBytes} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${bitnobSecretCounts.get(this)}]`, tolerance: this.tolerance, legacySha512: this.legacySha512, maxBodyBytes: this.maxBodyBytes };
  }
}

/** The last 4 characters of `secret` (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
export function secretLast4(secret) {
  ensureReady();
  const bytes = secretBytes(secret);
  try {
    return wasmSecretLast4(bytes);
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
export function signBitnob(secret, body, timestamp) {
  ensureReady();
  const text = timestampText(timestamp);
  const bytes = secretBytes(secret);
  try {
    return wasmSignBitnob(bytes, text, rawBody(body).bytes);
  } finally {
    bytes.fill(0);
  }
}

/** The legacy X-Bitnob-Signature: hex HMAC-SHA512 of the body alone (tests, local senders). */
export function signBitnobLegacy(secret, body) {
  ensureReady();
  const bytes = secretBytes(secret);
  try {
    return wasmSignBitnobLegacy(bytes, rawBody(body).bytes);
  } finally {
    bytes.fill(0);
  }
}
