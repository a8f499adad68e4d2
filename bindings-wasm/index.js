// bullseye-webhooks-wasm: the package's API over the WebAssembly build of the
// Rust core. This file only checks arguments, converts them to bytes, wraps
// errors into WebhookError and JSON.parses the verified text: every webhook
// rule (signature, size, shape, time) is decided by the core in the .wasm.
//
// This entry needs the module instantiated once, by `await init()` (browsers,
// bundlers) or `initSync({ module })` (edge workers). The `node` and
// `workerd` entries (node.js, workerd.js) do that on import.
// No Node `Buffer`, no `node:crypto`, no Web Crypto: it runs wherever
// WebAssembly, TextEncoder and TextDecoder do.

import initWasm, {
  WasmWebhook,
  errorCodes,
  errorStatuses,
  findHeader,
  identifiedIds as wasmIdentifiedIds,
  initSync as initWasmSync,
  parseVisit as wasmParseVisit,
  sign as wasmSign,
} from './pkg/bullseye_webhooks_wasm.js';

/** The header Bullseye signs with (the core's SIGNATURE_HEADER). */
export const SIGNATURE_HEADER = 'X-Bullseye-Signature';
/** The header fingerprinting-api visits carry their token or HMAC in. */
export const VISIT_SIGNATURE_HEADER = 'X-Webhook-Signature';
/** The body size limit unless `maxBodyBytes` says otherwise: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
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
  const flat = [];
  const iterable = typeof signatureOrHeaders.get === 'function' && typeof signatureOrHeaders[Symbol.iterator] === 'function';
  const entries = iterable ? signatureOrHeaders : Object.entries(signatureOrHeaders);
  for (const [key, value] of entries) {
    if (value !== undefined && value !== null) flat.push(String(key), headerValue(value, key));
  }
  return findHeader(flat, headerName) ?? '';
}

/** A secret as bytes: strings are used as their UTF-8 bytes, never decoded. */
function secretBytes(secret) {
  if (typeof secret === 'string') return encoder.encode(secret);
  if (ArrayBuffer.isView(secret)) return bytesOf(secret).slice();
  if (secret instanceof ArrayBuffer) return new Uint8Array(secret.slice(0));
  throw new TypeError(`a secret must be a string or a Uint8Array, got ${describe(secret)}`);
}

const OPTION_NAMES = new Set(['tolerance', 'maxBodyBytes']);

function checkedOptions(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are tolerance (seconds) and maxBodyBytes`);
    }
  }
  const { tolerance, maxBodyBytes } = options;
  if (tolerance != null && !(typeof tolerance === 'number' && tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, got ${describe(tolerance)}`);
  }
  if (maxBodyBytes != null && !(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${describe(maxBodyBytes)}`);
  }
  return { tolerance: tolerance ?? undefined, maxBodyBytes: maxBodyBytes ?? undefined };
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

function numericId(object) {
  return object !== null && typeof object === 'object' && typeof object.id === 'number';
}

function visitFrom(body, typedJson) {
  const visit = JSON.parse(typedJson);
  visit.raw = JSON.parse(textOf(body));
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
 * (rotation). Options: `tolerance` (seconds; unset means no time check) and
 * `maxBodyBytes` (default 1 MiB).
 */
export class Webhook {
  #wasm;

  constructor(secretOrSecrets, options) {
    ensureReady();
    const { tolerance, maxBodyBytes } = checkedOptions(options);
    const list = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
    if (list.some((secret) => secret === undefined || secret === null)) {
      // The usual cause: an unset environment variable.
      throw new WebhookError('invalid_secret', 'invalid_secret: a webhook secret is required and must not be empty (got undefined or null)');
    }
    const secrets = list.map(secretBytes);
    const lengths = new Uint32Array(secrets.map((s) => s.byteLength));
    const joined = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    secrets.reduce((offset, secret) => (joined.set(secret, offset), offset + secret.byteLength), 0);
    try {
      this.#wasm = new WasmWebhook(joined, lengths, tolerance, maxBodyBytes);
    } catch (error) {
      throw wrapped(error);
    } finally {
      for (const secret of [...secrets, joined]) secret.fill(0);
    }
    secretCounts.set(this, secrets.length);
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#wasm.maxBodyBytes;
  }

  /** The tolerance in seconds, or null when there is no time check. */
  get tolerance() {
    return this.#wasm.tolerance ?? null;
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
   * own keys plus `event_type`. `options.now` (a Date or milliseconds since
   * the epoch) replaces the clock for the tolerance check.
   */
  constructEvent(body, signatureOrHeaders, options) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, SIGNATURE_HEADER);
    const now = nowMs(options);
    let eventType;
    try {
      eventType = this.#wasm.constructEvent(raw.bytes, signature, now);
    } catch (error) {
      throw wrapped(error);
    }
    const event = JSON.parse(textOf(raw));
    event.event_type = eventType;
    if (eventType === VISITOR_IDENTIFIED && (numericId(event.visitor) || numericId(event.company))) {
      // Rare: a numeric id. The core reads it as its decimal text; use its reading.
      const [visitorId, companyId] = wasmIdentifiedIds(raw.bytes);
      if (numericId(event.visitor)) event.visitor.id = visitorId;
      if (numericId(event.company)) event.company.id = companyId;
    }
    return event;
  }

  /**
   * Check a fingerprinting-api visit's X-Webhook-Signature (the static
   * token or the HMAC of the body), then parse it: the typed view plus `raw`.
   */
  constructVisit(body, signatureOrHeaders) {
    const raw = rawBody(body);
    const signature = signatureOf(signatureOrHeaders, VISIT_SIGNATURE_HEADER);
    let typed;
    try {
      typed = this.#wasm.constructVisit(raw.bytes, signature);
    } catch (error) {
      throw wrapped(error);
    }
    return visitFrom(raw, typed);
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
    return `Webhook { secrets: [REDACTED; ${secretCounts.get(this)}], tolerance: ${this.tolerance}, maxBodyBytes: ${this.maxBodyBytes} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${secretCounts.get(this)}]`, tolerance: this.tolerance, maxBodyBytes: this.maxBodyBytes };
  }
}

/** Whether an event is an identification (a type guard in TypeScript). */
export function isVisitorIdentified(event) {
  return event !== null && typeof event === 'object' && event.event_type === VISITOR_IDENTIFIED;
}

/** Parse a fingerprinting-api visit without checking any signature. */
export function parseVisit(body) {
  ensureReady();
  const raw = rawBody(body);
  let typed;
  try {
    typed = wasmParseVisit(raw.bytes);
  } catch (error) {
    throw wrapped(error);
  }
  return visitFrom(raw, typed);
}

/** The X-Bullseye-Signature value for `body` under `secret` (tests, local senders). */
export function sign(secret, body) {
  ensureReady();
  return wasmSign(secretBytes(secret), rawBody(body).bytes);
}
