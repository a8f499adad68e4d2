// The package's entry: the API shared with bullseye-webhooks-wasm
// (webhooks.js and support.js, build copies of the repository's js/, over
// this package's backend.js and the napi addon in `./native`), plus what
// only Node has: the framework integrations, the Fetch handler and the
// de-duplication stores. Every webhook rule (signature, size, shape, time)
// is decided by the Rust core behind `./native`, or, where no addon loads,
// by the same core's WebAssembly build (backend.js): the same API and
// answers, the integrations included; only the de-duplication stores'
// core parts (MemoryStore, RedisStore's scripts and tokens) need the addon.
// Each integration lives in integrations/ (express, fastify, koa, lambda, fetch, stores,
// and what they share in common.js).

// This is the end of the package's index.js, which js/sync.mjs writes:
// first `internal`, the modules this entry needs at once (lib/backend.js
// and the shared support, inputs, answers, verifier and webhooks) bundled
// by esbuild, then this file. One file to load, not four, and one scope:
// Node spends about as much on each file it loads as on its code
// (bench/PROFILE.md, "Node", "Second round").
// The package's backend.js, support.js, ... are their namespaces in
// `internal` (read below), so its other modules share their instances.
/* global internal */
const { backend, webhooks: shared } = internal;
const { useFetchHandler } = internal.verifier;

// The Fetch handler with the stores' claim flow (integrations/fetch.js),
// loaded when a first one is made: the shared verifiers' `handler` (and
// honoMiddleware's) and Webhook#handler below.
const fetchHandler = () => require('./integrations/fetch.js').fetchHandler;
useFetchHandler(fetchHandler);

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
    return fetchHandler()(this, fn, options);
  }
}

/** Which build of the core runs: 'native' (the napi addon) or 'wasm' (the fallback where no addon loads). */
const { implementation } = backend;

// Where the package's own files (backend.js, support.js, ...) find `internal`.
const INTERNAL = Symbol.for('bullseye-webhooks.internal');

// The integrations, the stores, the queue and the Bitnob verifier are
// required when first read (about half of this entry's start-up otherwise):
// a receiver that only verifies, a Lambda or a CLI, loads none of them.
// One literal, getters and all (a quarter of a millisecond less than each
// defined by a call). Node reads the names for `import { ... }` from it up
// to INTERNAL's key (`...shared`, a name, or `name: identifier`: a getter
// would give it the name `get`), the rest from the list js/sync.mjs writes
// after this file (webhooks.js's names and the getters').
module.exports = {
  ...shared,
  implementation,
  Webhook,
  [INTERNAL]: internal,
  get BitnobWebhook() {
    return require('./bitnob.js').BitnobWebhook;
  },
  get secretLast4() {
    return require('./bitnob.js').secretLast4;
  },
  get signBitnob() {
    return require('./bitnob.js').signBitnob;
  },
  get signBitnobLegacy() {
    return require('./bitnob.js').signBitnobLegacy;
  },
  get MemoryStore() {
    return require('./integrations/stores.js').MemoryStore;
  },
  get RedisStore() {
    return require('./integrations/stores.js').RedisStore;
  },
  get CachedStore() {
    return require('./integrations/stores.js').CachedStore;
  },
  get StoreUnavailableError() {
    return require('./integrations/stores.js').StoreUnavailableError;
  },
  get bodyHash() {
    return require('./integrations/stores.js').bodyHash;
  },
  get Envelope() {
    return require('./queue.js').Envelope;
  },
  get InvalidEnvelopeError() {
    return require('./queue.js').InvalidEnvelopeError;
  },
  get QueueUnavailableError() {
    return require('./queue.js').QueueUnavailableError;
  },
  get RedisStreamQueue() {
    return require('./queue.js').RedisStreamQueue;
  },
  get QueueReceiver() {
    return require('./queue.js').QueueReceiver;
  },
  get QueueWorker() {
    return require('./queue.js').QueueWorker;
  },
  get makeEnvelope() {
    return require('./queue.js').makeEnvelope;
  },
  get openEnvelope() {
    return require('./queue.js').openEnvelope;
  },
  get BullmqQueue() {
    return require('./integrations/bullmq.js').BullmqQueue;
  },
  get bullmqBackoff() {
    return require('./integrations/bullmq.js').bullmqBackoff;
  },
  get bullmqProcessor() {
    return require('./integrations/bullmq.js').bullmqProcessor;
  },
  get expressMiddleware() {
    return require('./integrations/express.js').expressMiddleware;
  },
  get fastifyPlugin() {
    return require('./integrations/fastify.js').fastifyPlugin;
  },
  get koaMiddleware() {
    return require('./integrations/koa.js').koaMiddleware;
  },
  get honoMiddleware() {
    return require('./hono.js').honoMiddleware;
  },
  get lambdaHandler() {
    return require('./integrations/lambda.js').lambdaHandler;
  },
};
// Not shown (console.log of the package) nor copied by a spread.
Object.defineProperty(module.exports, INTERNAL, { enumerable: false });
