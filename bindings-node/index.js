'use strict';
// The package's entry: the API shared with bullseye-webhooks-wasm
// (webhooks.js and support.js, build copies of the repository's js/, over
// this package's backend.js and the napi addon in `./native`), plus what
// only Node has: the framework integrations, the Fetch handler and the
// de-duplication stores. Every webhook rule (signature, size, shape, time)
// is decided by the Rust core behind `./native`, or, where no addon loads,
// by the same core's WebAssembly build (backend.js): the same API and
// answers, the integrations included; only the de-duplication stores'
// core parts (MemoryStore, RedisStore's scripts and tokens) need the addon.

const backend = require('./backend.js');
const shared = require('./webhooks.js');
const { describe, WebhookError, requestBody, tooLarge } = require('./support.js');
const { createDedupe } = require('./dedupe.js');

const { deliveryKeyOf, mismatchesOf } = shared;
const { native } = backend;
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * A verifier for one webhook endpoint (see webhooks.js), with `handler`:
 * a Fetch API handler `(request) => Promise<Response>` (Next.js route
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
class Webhook extends shared.Webhook {
  handler(fn, options) {
    return fetchHandler(this, fn, options);
  }
}

/** A verifier for one Bitnob endpoint (see webhooks.js), with `handler`, as `Webhook#handler`. */
class BitnobWebhook extends shared.BitnobWebhook {
  handler(fn, options) {
    return fetchHandler(this, fn, options);
  }
}

// What a body read stops at: the limit plus one byte is enough for the core
// to refuse it, and memory stays bounded whatever the client sends.
class TooLarge {
  constructor(limit) {
    this.limit = limit;
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
  if (over) return new TooLarge(limit);
  return kept.length === 1 ? kept[0] : Buffer.concat(kept, length);
}

// ---------------------------------------------------------------------------
// De-duplication: the core's MemoryStore, and (dedupe.js) the Redis store
// and the claim flow the integrations share.

/** What the de-duplication needs from the addon, as an error when it did not load. */
function addonNeeded(what) {
  return new Error(
    `bullseye-webhooks: ${what} needs the native addon, which did not load on this platform ` +
      `(${process.platform}-${process.arch}); verification runs on the WebAssembly fallback. ` +
      `Why the addon did not load: ${String(backend.nativeError?.message).split('\n')[0]}`,
  );
}

/** Calls only the addon has: on the fallback, each throws addonNeeded. */
const addon =
  native ??
  new Proxy(
    {},
    {
      get: (_, name) => () => {
        throw addonNeeded(`de-duplication (${String(name)})`);
      },
    },
  );

/** The core's de-duplication defaults; on the fallback, reading one throws (a store needs the addon anyway). */
const DELIVERY_DEFAULTS =
  native?.deliveryDefaults() ??
  new Proxy(
    {},
    {
      get: () => {
        throw addonNeeded('de-duplication (the dedupe option)');
      },
    },
  );

/** A store's failure as the StoreUnavailableError of dedupe.js. */
function storeFailure(error) {
  if (error && error.code === 'store_unavailable') {
    return new StoreUnavailableError(String(error.message).replace(/^store_unavailable: /, ''));
  }
  return error;
}

const {
  RedisStore: CoreRedisStore,
  StoreUnavailableError,
  dedupeSettings,
  claimDelivery,
  settleClaim,
} = createDedupe({
  defaults: DELIVERY_DEFAULTS,
  redisScripts: native?.redisScripts() ?? {},
  newClaimToken() {
    try {
      return addon.newClaimToken();
    } catch (error) {
      throw storeFailure(error);
    }
  },
  claimFromRedisReply(reply, token) {
    try {
      return addon.claimFromRedisReply(reply, token);
    } catch (error) {
      throw storeFailure(error);
    }
  },
  completionFromRedisReply(reply) {
    try {
      return addon.completionFromRedisReply(reply);
    } catch (error) {
      throw storeFailure(error);
    }
  },
  deliveryKeyOf,
});

/** The Redis store (dedupe.js); on the fallback, constructing it says it needs the addon. */
const RedisStore =
  native === null
    ? class RedisStore {
        constructor() {
          throw addonNeeded('RedisStore');
        }
      }
    : CoreRedisStore;

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
    if (native === null) throw addonNeeded('MemoryStore');
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
      body = readLimited(req, verifier.maxBodyBytes);
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
    readLimited(payload, limit).then((raw) => parsed(null, raw), parsed);
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
    for (const { path, expected, found } of mismatchesOf(received)) {
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

/** Which build of the core runs: 'native' (the napi addon) or 'wasm' (the fallback where no addon loads). */
const { implementation } = backend;

// Names only (shorthand or `name: identifier`): Node reads them from this
// literal to give `import { ... }` its named exports.
module.exports = {
  ...require('./webhooks.js'),
  implementation,
  Webhook,
  BitnobWebhook,
  MemoryStore,
  RedisStore,
  StoreUnavailableError,
  expressMiddleware,
  fastifyPlugin,
};
