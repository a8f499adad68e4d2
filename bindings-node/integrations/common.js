'use strict';
// What the Express, Fastify and Fetch integrations share: reading a bounded
// body, checking options and the verifier, constructing the event, and
// answering a refusal.

const { describe, tooLarge, WebhookError } = require('../support.js');
const { mismatchesOf, SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, BITNOB_SIGNATURE_HEADER } = require('../webhooks.js');
const { observer, startDelivery, signatureIn } = require('../observe.js');
const { dedupeSettings } = require('./stores.js');

// Where a signature may be, for the log's "signature header present" (the
// verifier reads its own one; any of them counts as present).
const SIGNATURE_HEADERS = [SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, BITNOB_SIGNATURE_HEADER];

// What a body read stops at: the limit plus one byte is enough for the core
// to refuse it, and memory stays bounded whatever the client sends.
class TooLarge {
  constructor(limit, length) {
    this.limit = limit;
    this.length = length;
  }
  error() {
    return tooLarge(this.limit);
  }
}

/**
 * Read a Node stream of byte chunks (a request), keeping at most `limit`
 * bytes; it is drained to its end so the answer reaches the client.
 */
async function readLimited(chunks, limit) {
  const kept = [];
  let length = 0;
  let over = false;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.byteLength;
    if (length > limit) {
      over = true;
      kept.length = 0;
    } else {
      kept.push(bytes);
    }
  }
  if (over) return new TooLarge(limit, length);
  return kept.length === 1 ? kept[0] : Buffer.concat(kept, length);
}

const INTEGRATION_OPTIONS = new Set(['kind', 'dedupe', 'onStoreError', 'lease', 'retention', 'logger', 'onVerified', 'onRefused']);

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

/**
 * What a middleware-style integration checks once, when it is made: its
 * options, kind and verifier; its de-duplication settings, observer, and the
 * request field the received delivery goes on.
 */
function setUp(verifier, options) {
  integrationOptions(options);
  const kind = checkedKind(options);
  checkedVerifier(verifier, kind);
  return {
    kind,
    settings: dedupeSettings(options),
    obs: observer(options),
    field: kind === 'visit' ? 'bullseyeVisit' : 'bullseyeEvent',
  };
}

function lengthOf(raw) {
  if (raw instanceof TooLarge) return raw.length;
  if (typeof raw === 'string') return Buffer.byteLength(raw);
  return raw?.byteLength ?? 0;
}

/**
 * Construct what `kind` asks for from a raw body (or a TooLarge) and
 * report it to `delivery` (js/observe.js): verified, or refused (then the
 * WebhookError is thrown on, for the integration to answer).
 */
function receive(delivery, verifier, kind, raw, headers) {
  const length = lengthOf(raw);
  let received;
  try {
    if (raw instanceof TooLarge) throw raw.error();
    received = construct(verifier, kind, raw, headers);
  } catch (error) {
    if (error instanceof WebhookError) refuse(delivery, error, headers, length);
    throw error;
  }
  delivery.verified(received, signatureIn(headers, SIGNATURE_HEADERS), length, mismatchesOf(received));
  return received;
}

/** Report a refusal (`error`, a WebhookError) of a body of `length` bytes. */
function refuse(delivery, error, headers, length) {
  delivery.refused(error, signatureIn(headers, SIGNATURE_HEADERS), length);
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

module.exports = {
  TooLarge,
  readLimited,
  integrationOptions,
  checkedKind,
  checkedVerifier,
  construct,
  setUp,
  receive,
  refuse,
  observer,
  startDelivery,
  answerNode,
  answerPlain,
  isSuccess,
};
