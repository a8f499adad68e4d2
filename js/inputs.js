// What the shared API (webhooks.js, bitnob.js) takes, checked and converted
// for the core's calls: raw bodies, signatures and headers, secrets, the
// options and the clock. Wrong types are TypeErrors here, before the core
// is called; every webhook rule stays the core's. (One of the shared
// modules js/sync.mjs copies into each package; see webhooks.js.)
import backend from './backend.js';
import { describe, WebhookError, wrapped } from './support.js';

const { BODY_TYPES } = backend.constants;

/**
 * A byte view as a Uint8Array over the same memory; a copy of a view over
 * shared memory, which another thread could change between the check and
 * the JSON.parse of the same bytes (answers.js).
 */
function bytesOf(view) {
  const bytes = view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return typeof SharedArrayBuffer === 'function' && bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
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
 * A verifier of the core built by `build(bytes, lengths)` from one secret or
 * a list (rotation): `bytes` holds each secret's bytes end to end (a new
 * buffer, wiped after, as is each secret's copy), `lengths` their lengths.
 * Answers `[verifier, count, keys]`, `keys` being what `keysFor(secrets)`
 * made of the secrets (if given), before they are wiped.
 */
function built(secretOrSecrets, build, keysFor) {
  const list = Array.isArray(secretOrSecrets) ? secretOrSecrets : [secretOrSecrets];
  if (list.some((secret) => secret === undefined || secret === null)) {
    // The usual cause: an unset environment variable.
    throw new WebhookError('invalid_secret', 'invalid_secret: a webhook secret is required and must not be empty (got undefined or null)');
  }
  const secrets = list.map(secretBytes);
  const lengths = secrets.map((secret) => secret.byteLength);
  const bytes = new Uint8Array(lengths.reduce((sum, length) => sum + length, 0));
  secrets.reduce((offset, secret) => (bytes.set(secret, offset), offset + secret.byteLength), 0);
  try {
    const verifier = build(bytes, lengths);
    return [verifier, secrets.length, keysFor?.(secrets) ?? null];
  } catch (error) {
    throw wrapped(error);
  } finally {
    bytes.fill(0);
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
  if (options === undefined || options === null) return { strict: false };
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

export {
  rawBody,
  headerValue,
  flatHeaders,
  signatureOf,
  withSecret,
  built,
  checkedObject,
  checkedMaxBodyBytes,
  isSeconds,
  checkedOptions,
  visitOptions,
  nowMs,
};
