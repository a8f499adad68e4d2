'use strict';
// De-duplication for the integrations: the Redis store's client side and the
// claim flow every integration (Express, Fastify, Fetch) runs around the
// handler. Every rule comes from the core through `core` (see createDedupe):
// the Lua scripts, what their replies mean, the Retry-After of a lease, the
// defaults and the claim token. This module only orders the calls, bounds
// them in time and talks to the user's Redis client. It needs nothing of
// Node but node:crypto's SHA-1 (the scripts' EVALSHA names), so the WASM
// package can share it.

const crypto = require('node:crypto');
const { describe } = require('./support.js');

/** One warning for a key seen with another body: both hashes, never a body. */
function logConflict(logger, key, bodyHash, outcome, then) {
  logger.warn(
    `bullseye-webhooks: delivery_conflict: delivery ${key} came with body hash ${bodyHash}, ` +
      `but the store holds ${outcome.storedHash} (${outcome.found}) for it; ${then}`,
  );
}

/** `message` at error level, or at warn for a logger without `error` (only `warn` is required). */
function logError(logger, message) {
  if (typeof logger.error === 'function') logger.error(message);
  else logger.warn(message);
}

const ON_STORE_ERROR = Object.freeze(['retry', 'process']);
const ON_CONFLICT = Object.freeze(['refuse', 'process']);

/**
 * A claim whose answer timed out may still land (a paused Redis runs it
 * when it resumes), and would hold the key for a whole lease with nobody
 * to complete it. `release()` (by the claim's token, made here, so no
 * other claim is touched) is tried 50 ms later, doubling to 1 s, until the
 * store answers; an answer of "not held" is confirmed once more (the late
 * claim may come in just after), then it stops; and it stops anyway after
 * the lease plus 30 s, when the claim would have ended on its own.
 */
let lateReleases = 0;
const MAX_LATE_RELEASES = 10_000; // past it, a claim ends with its lease, as without one

function releaseLate(release, leaseMs) {
  if (lateReleases >= MAX_LATE_RELEASES) return;
  lateReleases += 1;
  const deadline = Date.now() + leaseMs + 30_000;
  let delay = 50;
  let answered = 0;
  const again = async () => {
    try {
      const released = await release();
      answered += 1;
      if (released || answered >= 2) {
        lateReleases -= 1;
        return;
      }
    } catch {
      // Still unavailable: try again.
    }
    delay = Math.min(delay * 2, 1000);
    if (Date.now() + delay <= deadline) setTimeout(again, delay).unref?.();
    else lateReleases -= 1;
  };
  setTimeout(again, delay).unref?.();
}

function positiveSeconds(value, name) {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`${name} must be a positive number of seconds, got ${describe(value)}`);
  }
  return value;
}

/**
 * The store could not be reached or did not answer in time. Not a
 * WebhookError: the delivery is fine, and the integrations answer 503 with
 * Retry-After (the sender retries) unless `onStoreError: 'process'`.
 * Its message describes the failure, never a key or a token.
 */
class StoreUnavailableError extends Error {
  constructor(message, options) {
    super(`store_unavailable: ${message}`, options);
    this.name = 'StoreUnavailableError';
    this.code = 'store_unavailable';
  }
}

/** `error` as a StoreUnavailableError (a store's own failure, a client's, a timeout). */
function unavailable(error, what) {
  if (error instanceof StoreUnavailableError) return error;
  const reason = error && typeof error.message === 'string' ? error.message : String(error);
  return new StoreUnavailableError(`${what} failed: ${reason}`, { cause: error });
}

/** `promise`, or a StoreUnavailableError after `ms` milliseconds. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The package's de-duplication, on the core functions of the package that
 * loads it. `core` holds:
 * - `defaults`: `{ leaseMs, retentionMs, storeRetryAfterSecs, redisKeyPrefix }`;
 * - `redisScripts`: `{ claim, complete, release }`, the core's Lua text;
 * - `newClaimToken()`: 128 random bits as hex;
 * - `claimFromRedisReply(reply, storedHash, token)`: `{ outcome, token?, retryAfter?, storedHash?, found? }`;
 * - `bodyHash(body)`: the hex SHA-256 of the raw body (kept with each claim);
 * - `conflictKey(key, bodyHash)`: the key of a conflicting delivery handled on its own;
 * - `completionFromRedisReply(reply)`: `'done' | 'lease_expired' | 'not_held'`;
 * - `deliveryKeyOf(eventOrVisit)`.
 */
function createDedupe(core) {
  const { defaults, redisScripts } = core;
  const SCRIPTS = Object.fromEntries(
    Object.entries(redisScripts).map(([name, text]) => [name, { text, sha: crypto.createHash('sha1').update(text).digest('hex') }]),
  );

  /** How to send one raw command with the user's client, whichever it is. */
  function commandRunner(client) {
    if (client !== null && typeof client === 'object') {
      // ioredis (Redis and Cluster): call(command, ...args).
      if (typeof client.call === 'function' && typeof client.defineCommand === 'function') {
        return { kind: 'ioredis', run: (args) => client.call(...args) };
      }
      // node-redis (v4 and later): sendCommand([command, ...args]).
      if (typeof client.sendCommand === 'function' && typeof client.evalSha === 'function') {
        return { kind: 'node-redis', run: (args) => client.sendCommand(args) };
      }
    }
    throw new TypeError(
      `RedisStore takes an ioredis client (new Redis(url)) or a node-redis client (createClient({ url }), connected), got ${describe(client)}`,
    );
  }

  const STORE_OPTIONS = new Set(['prefix', 'timeout']);

  /**
   * De-duplication on Redis, shared by every process of a fleet, through
   * the user's own client: an ioredis client or a connected node-redis
   * client. Each call runs one of the core's Lua scripts (atomic), and is
   * bounded by `timeout` seconds (default 2); a failure or a timeout is a
   * StoreUnavailableError. Options: `prefix` (default
   * `bullseye-webhooks:delivery:`), `timeout`.
   */
  class RedisStore {
    #run;
    #prefix;
    #timeoutMs;
    #kind;

    constructor(client, options) {
      if (options !== undefined && options !== null) {
        if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
        for (const key of Object.keys(options)) {
          if (!STORE_OPTIONS.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are prefix and timeout (seconds)`);
        }
      }
      const { prefix = defaults.redisKeyPrefix, timeout = 2 } = options ?? {};
      if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string, got ${describe(prefix)}`);
      const { kind, run } = commandRunner(client);
      this.#run = run;
      this.#kind = kind;
      this.#prefix = prefix;
      this.#timeoutMs = Math.max(1, Math.round(positiveSeconds(timeout, 'timeout') * 1000));
    }

    /** `'ioredis'` or `'node-redis'`: which client it was given. */
    get client() {
      return this.#kind;
    }

    /** The prefix of its Redis keys. */
    get prefix() {
      return this.#prefix;
    }

    /** Each call's time limit, in seconds. */
    get timeout() {
      return this.#timeoutMs / 1000;
    }

    /** Send script `name` on `key` with `args`: EVALSHA, then EVAL once if Redis does not have it cached. */
    async #send(name, key, args) {
      const { sha, text } = SCRIPTS[name];
      const tail = ['1', this.#prefix + key, ...args.map(String)];
      try {
        return await this.#run(['EVALSHA', sha, ...tail]);
      } catch (error) {
        if (!/^NOSCRIPT/.test(error?.message ?? '')) throw error;
        return this.#run(['EVAL', text, ...tail]);
      }
    }

    /** The reply of `pending`, within the time limit; else a StoreUnavailableError. */
    async #answer(name, pending) {
      try {
        return await bounded(pending, this.#timeoutMs, `redis ${name}`);
      } catch (error) {
        throw unavailable(error, `redis ${name}`);
      }
    }

    /** The integer reply of `pending`, within the time limit; else a StoreUnavailableError. */
    async #reply(name, pending) {
      return integer(name, await this.#answer(name, pending));
    }

    /**
     * Claim `key` (with its body's hash) for `leaseMs`: `{ outcome: 'new', token }`,
     * `{ outcome: 'duplicate' }`, `{ outcome: 'in_flight', retryAfter }` (seconds) or
     * `{ outcome: 'conflict', storedHash, found }`. A claim that timed out is
     * released by its token in the background (see releaseLate).
     */
    async claim(key, bodyHash, leaseMs) {
      const token = core.newClaimToken();
      const lease = Math.max(1, Math.ceil(leaseMs));
      const pending = this.#send('claim', key, [token, lease, bodyHash]);
      let reply;
      try {
        reply = await this.#answer('claim', pending);
      } catch (error) {
        // Whether or when it lands is unknown (a client also queues
        // commands while it reconnects): release it by its token.
        pending.catch(() => {});
        releaseLate(() => this.release(key, token), lease);
        throw error;
      }
      if (!Array.isArray(reply) || reply.length !== 2) throw new StoreUnavailableError(`redis claim replied ${describe(reply)}, not [code, hash]`);
      try {
        return core.claimFromRedisReply(integer('claim', reply[0]), String(reply[1]), token);
      } catch (error) {
        throw unavailable(error, 'redis claim');
      }
    }

    /** Mark `key` done (with its body's hash) for `retentionMs` if `token`'s claim holds it (or it is free): `'done'`, `'lease_expired'` or `'not_held'`. */
    async complete(key, token, bodyHash, retentionMs) {
      const reply = await this.#reply('complete', this.#send('complete', key, [token, Math.max(1, Math.ceil(retentionMs)), bodyHash]));
      try {
        return core.completionFromRedisReply(reply);
      } catch (error) {
        throw unavailable(error, 'redis complete');
      }
    }

    /** Delete `token`'s claim on `key` (never another's): whether it did. */
    async release(key, token) {
      return (await this.#reply('release', this.#send('release', key, [token]))) === 1;
    }

    [Symbol.for('nodejs.util.inspect.custom')]() {
      return `RedisStore { client: '${this.#kind}', prefix: ${JSON.stringify(this.#prefix)}, timeout: ${this.timeout} }`;
    }
  }

  function integer(name, reply) {
    const number = typeof reply === 'bigint' ? Number(reply) : reply;
    if (!Number.isSafeInteger(number)) throw new StoreUnavailableError(`redis ${name} replied ${describe(reply)}, not an integer`);
    return number;
  }

  function isStore(value) {
    return (
      value !== null &&
      typeof value === 'object' &&
      typeof value.claim === 'function' &&
      typeof value.complete === 'function' &&
      typeof value.release === 'function'
    );
  }

  /**
   * The de-duplication settings of an integration's options, or null when
   * `dedupe` is not given. Options: `dedupe` (a store: MemoryStore,
   * RedisStore, or any object with claim/complete/release), `onStoreError`
   * ('retry': 503 + Retry-After, the default; 'process': handle without
   * de-duplication and warn), `onConflict` ('refuse': 409 delivery_conflict,
   * the default; 'process': handle a body the key was seen with another
   * body for as its own delivery, under conflictKey), `waitForInFlight`
   * (seconds, default 0: wait up to that long for a copy in flight to
   * finish, trying the claim again 50 ms doubling to 1 s, then answer as a
   * duplicate, or take the claim if the holder released it or its lease
   * ended; keep it well under the sender's 30 s timeout), `lease` and
   * `retention` (seconds), `logger` (a `warn` method, `error` used when it has
   * one; default console).
   */
  function dedupeSettings(options) {
    const { dedupe, onStoreError = 'retry', onConflict = 'refuse', waitForInFlight, lease, retention, logger = console } = options ?? {};
    if (dedupe === undefined || dedupe === null || dedupe === false) {
      for (const [name, value] of Object.entries({ onStoreError: options?.onStoreError, onConflict: options?.onConflict, waitForInFlight, lease, retention })) {
        if (value !== undefined) throw new TypeError(`${name} applies only with a dedupe store`);
      }
      return null;
    }
    if (!isStore(dedupe)) {
      throw new TypeError(`dedupe must be a store (MemoryStore, RedisStore, or an object with claim, complete and release), got ${describe(dedupe)}`);
    }
    if (!ON_STORE_ERROR.includes(onStoreError)) {
      throw new TypeError(`onStoreError must be 'retry' or 'process', got ${JSON.stringify(onStoreError)}`);
    }
    if (!ON_CONFLICT.includes(onConflict)) {
      throw new TypeError(`onConflict must be 'refuse' or 'process', got ${JSON.stringify(onConflict)}`);
    }
    if (logger === null || typeof logger !== 'object' || typeof logger.warn !== 'function') {
      throw new TypeError('logger must have a warn method (console, pino, ...)');
    }
    return {
      store: dedupe,
      onStoreError,
      onConflict,
      waitForInFlightMs: waitForInFlight === undefined || waitForInFlight === 0 ? 0 : positiveSeconds(waitForInFlight, 'waitForInFlight') * 1000,
      leaseMs: lease === undefined ? defaults.leaseMs : positiveSeconds(lease, 'lease') * 1000,
      retentionMs: retention === undefined ? defaults.retentionMs : positiveSeconds(retention, 'retention') * 1000,
      logger,
    };
  }

  /** What a claim's outcome asks the integration to answer, or null (go on). */
  function answerOf(outcome) {
    switch (outcome.outcome) {
      case 'duplicate':
        return { status: 200, headers: {}, body: { duplicate: true } };
      case 'in_flight':
        return { status: 409, headers: { 'retry-after': String(outcome.retryAfter) }, body: { error: 'delivery_in_flight' } };
      case 'conflict':
        return { status: 409, headers: {}, body: { error: 'delivery_conflict' } };
      case 'store_unavailable':
        return { status: 503, headers: { 'retry-after': String(defaults.storeRetryAfterSecs) }, body: { error: 'store_unavailable' } };
      default:
        return null;
    }
  }

  /** Claim `key`; while a copy is in flight, again until `waitForInFlight` has passed. */
  async function claimWaiting(settings, key, bodyHash) {
    const deadline = Date.now() + settings.waitForInFlightMs;
    let delay = 50;
    for (;;) {
      const outcome = await settings.store.claim(key, bodyHash, settings.leaseMs);
      const left = deadline - Date.now();
      if (outcome?.outcome !== 'in_flight' || left <= 0) return outcome;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay = Math.min(delay * 2, 1000);
    }
  }

  /**
   * Claim the delivery of `received` (an event or a visit of this package),
   * whose raw body is `body` (its hash is kept with the claim; without it,
   * the hash is unknown and never a conflict). Resolves to `{ answer, claim }`:
   * `answer` (status, headers, body) when the handler must not run;
   * otherwise `claim` is `{ key, token, bodyHash }` to settle after the
   * handler, or null when the store failed and `onStoreError` is 'process'.
   * Never rejects.
   */
  async function claimDelivery(settings, received, body, logger = settings.logger) {
    let key = core.deliveryKeyOf(received);
    let outcome;
    let bodyHash = '';
    try {
      bodyHash = core.bodyHash(body);
    } catch {
      // Not a raw body (a caller of its own): the hash is unknown, never a conflict.
    }
    try {
      outcome = await claimWaiting(settings, key, bodyHash);
      if (outcome?.outcome === 'conflict' && settings.onConflict === 'process') {
        logConflict(logger, key, bodyHash, outcome, "processing it under its own key (onConflict: 'process')");
        key = core.conflictKey(key, bodyHash);
        outcome = await claimWaiting(settings, key, bodyHash);
      }
    } catch (error) {
      const reason = unavailable(error, 'claim').message;
      if (settings.onStoreError === 'process') {
        logger.warn(`bullseye-webhooks: the de-duplication store failed (${reason}); handling the delivery without de-duplication (onStoreError: 'process')`);
        return { answer: null, claim: null };
      }
      logger.warn(`bullseye-webhooks: the de-duplication store failed (${reason}); answered 503 with Retry-After`);
      return { answer: answerOf({ outcome: 'store_unavailable' }), claim: null };
    }
    if (outcome?.outcome === 'new' && typeof outcome.token === 'string') return { answer: null, claim: { key, token: outcome.token, bodyHash } };
    if (outcome?.outcome === 'conflict') logConflict(logger, key, bodyHash, outcome, 'answered 409 delivery_conflict');
    const answer = answerOf(outcome ?? {});
    if (answer) return { answer, claim: null };
    logger.warn(`bullseye-webhooks: the store's claim answered ${describe(outcome)}, not an outcome; answered 503`);
    return { answer: answerOf({ outcome: 'store_unavailable' }), claim: null };
  }

  /**
   * After the handler: complete the claim when it succeeded (2xx), release
   * it otherwise, so the sender's retry is handled. Resolves after the first
   * attempt and never rejects. When that attempt fails (the store is down),
   * it is retried in the background (50 ms, doubling to 1 s) until it
   * succeeds or the lease plus 30 s has passed: a completion that landed
   * late still marks the delivery done before a retry can take it, which an
   * answer cannot undo (a success stays a success). Each failure is logged.
   *
   * `keepAlive(promise)`: given the background retries as one promise, so a
   * runtime that stops a request's work once it has answered (a Worker's
   * `ctx.waitUntil`) keeps them running; without it they run on timers.
   */
  async function settleClaim(settings, claim, succeeded, logger = settings.logger, keepAlive = null) {
    if (!claim) return;
    const what = succeeded ? 'complete' : 'release';
    const attempt = () =>
      succeeded
        ? settings.store.complete(claim.key, claim.token, claim.bodyHash ?? '', settings.retentionMs)
        : settings.store.release(claim.key, claim.token);
    try {
      await attempt();
      return;
    } catch (error) {
      logError(
        logger,
        `bullseye-webhooks: the de-duplication store's ${what} failed (${unavailable(error, what).message}); retrying it in the background`,
      );
    }
    const retries = retrySettle(attempt, what, succeeded, Date.now() + settings.leaseMs + 30_000, logger);
    if (keepAlive) keepAlive(retries);
  }

  /** settleClaim's background retries, as one promise that never rejects. */
  async function retrySettle(attempt, what, succeeded, deadline, logger) {
    let delay = 50;
    for (let tries = 2; ; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await attempt();
        logger.warn(`bullseye-webhooks: the de-duplication store's ${what} succeeded on try ${tries}`);
        return;
      } catch (error) {
        delay = Math.min(delay * 2, 1000);
        if (Date.now() + delay > deadline) {
          const after = succeeded
            ? 'the delivery was handled, but a retry of it after the lease may be handled again'
            : 'its claim stays until the lease expires, then the retry is handled';
          logError(logger, `bullseye-webhooks: the de-duplication store's ${what} failed ${tries} times (${unavailable(error, what).message}); ${after}`);
          return;
        }
      }
    }
  }

  return { RedisStore, StoreUnavailableError, dedupeSettings, claimDelivery, settleClaim, answerOf };
}

module.exports = { createDedupe, StoreUnavailableError, logConflict, logError };
