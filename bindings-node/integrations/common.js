'use strict';
// What the Express, Fastify and Fetch integrations share: reading a bounded
// body, checking options and the verifier, constructing the event, and
// answering a refusal.

const { tooLarge } = require('../support.js');
const { dedupeSettings } = require('./stores.js');

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

// The option and verifier checks, and the report of a constructed body, are
// shared with the Fetch handler (fetch.js).
const { integrationOptions, checkedKind, checkedVerifier, construct, receiveBody, refuse, observer, startDelivery } = require('../fetch.js');

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
  if (raw instanceof TooLarge) {
    const error = raw.error();
    refuse(delivery, error, headers, raw.length);
    throw error;
  }
  return receiveBody(delivery, verifier, kind, raw, headers, lengthOf(raw));
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
