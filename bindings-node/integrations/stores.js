'use strict';
// De-duplication: the core's MemoryStore, and (dedupe.js) the Redis store
// and the claim flow the integrations share. Both stores need the napi
// addon; on the WebAssembly fallback, using one says so.

const backend = require('../backend.js');
const { deliveryKeyOf } = require('../webhooks.js');
const { describe } = require('../support.js');
const { createDedupe } = require('../dedupe.js');

const { native } = backend;
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

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

/** The hash kept with each claim: the hex SHA-256 of the raw body (the core's). */
function bodyHash(body) {
  if (typeof body === 'string') return addon.bodyHash(body);
  if (ArrayBuffer.isView(body)) return addon.bodyHash(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  if (body instanceof ArrayBuffer) return addon.bodyHash(new Uint8Array(body));
  throw new TypeError(`bodyHash takes the raw body (a string or bytes), got ${describe(body)}`);
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
  claimFromRedisReply(reply, storedHash, token) {
    try {
      return addon.claimFromRedisReply(reply, storedHash, token);
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
  bodyHash,
  conflictKey(key, bodyHash) {
    return addon.conflictKey(key, bodyHash);
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

  /**
   * Claim `key` (with its body's hash, kept with the claim) for `leaseMs`: `{ outcome: 'new', token }`,
   * `{ outcome: 'duplicate' }`, `{ outcome: 'in_flight', retryAfter }` or `{ outcome: 'conflict', storedHash, found }`.
   */
  claim(key, bodyHash, leaseMs) {
    try {
      return this.#native.claim(String(key), String(bodyHash ?? ''), leaseMs);
    } catch (error) {
      throw storeFailure(error);
    }
  }

  /** Mark `key` done (with its body's hash) for `retentionMs` if `token`'s claim holds it (or it is free): `'done'`, `'lease_expired'` or `'not_held'`. */
  complete(key, token, bodyHash, retentionMs) {
    try {
      return this.#native.complete(String(key), String(token), String(bodyHash ?? ''), retentionMs);
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

/**
 * `store` (any store) with a small in-process cache in front (the core's):
 * a claim of a key this process completed is answered from memory
 * (duplicate, or conflict for another body: the hash is checked on this
 * fast path too), without a round trip. At most `capacity` keys (default
 * 10,000), each until its retention ends (a done mark is final until then).
 */
class CachedStore {
  #store;
  #recent;

  constructor(store, options) {
    if (store === null || typeof store !== 'object' || ['claim', 'complete', 'release'].some((name) => typeof store[name] !== 'function')) {
      throw new TypeError(`CachedStore takes a store (MemoryStore, RedisStore, or an object with claim, complete and release), got ${describe(store)}`);
    }
    for (const key of Object.keys(options ?? {})) {
      if (key !== 'capacity') throw new TypeError(`unknown option ${JSON.stringify(key)}; the only option is capacity`);
    }
    const capacity = options?.capacity ?? DELIVERY_DEFAULTS.cacheCapacity;
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) throw new TypeError(`capacity must be a positive integer, got ${describe(capacity)}`);
    if (native === null) throw addonNeeded('CachedStore');
    this.#store = store;
    this.#recent = new native.NativeRecentlyDone(capacity);
  }

  /** The store behind the cache. */
  get store() {
    return this.#store;
  }

  /** How many keys the cache holds. */
  get size() {
    return this.#recent.size;
  }

  claim(key, bodyHash, leaseMs) {
    return this.#recent.check(String(key), String(bodyHash ?? '')) ?? this.#store.claim(key, bodyHash, leaseMs);
  }

  async complete(key, token, bodyHash, retentionMs) {
    const completion = await this.#store.complete(key, token, bodyHash, retentionMs);
    if (completion === 'done' || completion === 'lease_expired') this.#recent.remember(String(key), String(bodyHash ?? ''), retentionMs);
    return completion;
  }

  release(key, token) {
    return this.#store.release(key, token);
  }

  [inspectCustom]() {
    return `CachedStore { size: ${this.size} }`;
  }
}

module.exports = { MemoryStore, RedisStore, CachedStore, StoreUnavailableError, bodyHash, dedupeSettings, claimDelivery, settleClaim };
