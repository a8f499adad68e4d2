'use strict';
// The package's entry: argument checks, error wrapping, and the framework
// integrations. Every webhook rule (signature, size, shape, time) is decided
// by the Rust core behind `./native`; this file only converts arguments,
// turns the verified text into objects with JSON.parse, and writes there the
// typed values the core reports for fields of another type.

const native = require('./native/index.js');

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
  const flat = [];
  if (typeof signatureOrHeaders.get === 'function' && typeof signatureOrHeaders[Symbol.iterator] === 'function') {
    for (const [key, value] of signatureOrHeaders) {
      if (value !== undefined && value !== null) flat.push(String(key), headerValue(value, key));
    }
  } else {
    for (const key of Object.keys(signatureOrHeaders)) {
      const value = signatureOrHeaders[key];
      if (value !== undefined && value !== null) flat.push(key, headerValue(value, key));
    }
  }
  return native.findHeader(flat, headerName) ?? '';
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

/** The event: JSON.parse of the verified body, `event_type`, and the typed values of any mismatches. */
function eventFrom(body, answer) {
  const event = JSON.parse(textOf(body));
  if (typeof answer === 'string') {
    event.event_type = answer;
  } else {
    event.event_type = answer[0];
    applyMismatches(event, answer[1]);
  }
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
    const body = await this.#requestBody(request);
    this.verify(body, request.headers);
    return body;
  }

  /** Read a Fetch API Request's body and construct its event. */
  async constructEventFromRequest(request, options) {
    const body = await this.#requestBody(request);
    return this.constructEvent(body, request.headers, options);
  }

  async #requestBody(request) {
    if (request === null || typeof request !== 'object' || !('headers' in request) || !('body' in request)) {
      throw new TypeError(`expected a Fetch API Request, got ${describe(request)}`);
    }
    if (request.bodyUsed) {
      throw new WebhookError('invalid_body', 'invalid_body: the request body was already read; pass the request before reading its body');
    }
    const limit = this.maxBodyBytes;
    const declared = declaredLength(request.headers.get('content-length'));
    if (declared !== undefined && declared > limit) {
      await request.body?.cancel();
      throw new TooLarge(limit).error();
    }
    const body = request.body === null ? new Uint8Array(0) : await readLimited(request.body, limit, { drain: false });
    if (body instanceof TooLarge) throw body.error();
    return body;
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
// Integrations

function checkedKind(options) {
  const kind = options?.kind ?? 'event';
  if (kind !== 'event' && kind !== 'visit') {
    throw new TypeError(`kind must be "event" or "visit", got ${JSON.stringify(kind)}`);
  }
  return kind;
}

function checkedWebhook(webhook) {
  if (!(webhook instanceof Webhook)) throw new TypeError(`expected a Webhook, got ${describe(webhook)}`);
  return webhook;
}

/** Construct what `kind` asks for from a raw body and headers, onto `target`; returns it. */
function attach(webhook, kind, target, body, headers) {
  if (kind === 'visit') return (target.bullseyeVisit = webhook.constructVisit(body, headers));
  return (target.bullseyeEvent = webhook.constructEvent(body, headers));
}

function answerNode(res, error) {
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: error.code }));
}

let warnedParsed = false;
const PARSED_MESSAGE =
  'invalid_body: the request body was already parsed (express.json() or a similar parser ran ' +
  'before the Bullseye middleware), so the raw bytes the signature covers are gone. Mount the ' +
  'Bullseye middleware before any JSON parser on this route, or use express.raw().';

/**
 * Express (or any connect-style) middleware: reads the raw body itself
 * (or takes the Buffer express.raw() left in req.body), verifies it, and
 * puts the event on `req.bullseyeEvent` (`req.bullseyeVisit` with
 * `{ kind: 'visit' }`). Refusals are answered with the contract's status
 * and `{"error": code}`.
 */
function expressMiddleware(webhook, options) {
  checkedWebhook(webhook);
  const kind = checkedKind(options);
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
      body = readLimited(req, webhook.maxBodyBytes, { drain: true });
    }
    body.then(
      (raw) => {
        try {
          if (raw instanceof TooLarge) throw raw.error();
          attach(webhook, kind, req, raw, req.headers);
        } catch (error) {
          if (error instanceof WebhookError) return answerNode(res, error);
          return next(error);
        }
        return next();
      },
      (error) => next(error),
    );
  };
}

/**
 * Fastify plugin: in the scope it is registered in (register it inside an
 * encapsulated context holding the webhook routes), bodies are kept as raw
 * bytes, verified before the handler, and the event is on
 * `request.bullseyeEvent` (`request.bullseyeVisit` with `kind: 'visit'`).
 * Options: `{ webhook, kind? }`.
 */
function fastifyPlugin(fastify, options, done) {
  const webhook = checkedWebhook(options?.webhook);
  const kind = checkedKind(options);
  const limit = webhook.maxBodyBytes;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, parsed) => {
    readLimited(payload, limit, { drain: true }).then((raw) => parsed(null, raw), parsed);
  });
  fastify.decorateRequest(kind === 'visit' ? 'bullseyeVisit' : 'bullseyeEvent', null);
  fastify.addHook('preHandler', async (request, reply) => {
    const raw = request.body ?? new Uint8Array(0);
    let received;
    try {
      if (raw instanceof TooLarge) throw raw.error();
      received = attach(webhook, kind, request, raw, request.headers);
    } catch (error) {
      if (error instanceof WebhookError) return reply.code(error.status).send({ error: error.code });
      throw error;
    }
    // Accepted, but worth knowing: the sender's field types drifted. Where
    // and which types, never the value (it may be personal data).
    for (const { path, expected, found } of mismatchList(received) ?? []) {
      request.log.warn({ mismatch: { path, expected, found } }, `bullseye-webhooks: \`${path}\` should be ${expected} but is ${found} (accepted; see mismatchesOf)`);
    }
    return undefined;
  });
  done();
}
// Like fastify-plugin: apply to the scope that registers it, not a child.
fastifyPlugin[Symbol.for('skip-override')] = true;
fastifyPlugin[Symbol.for('fastify.display-name')] = 'bullseye-webhooks';

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
  parseVisit,
  sign,
  expressMiddleware,
  fastifyPlugin,
};
