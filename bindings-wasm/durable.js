// De-duplication on Cloudflare Workers: a Durable Object holding the claims
// (DeliveryClaims) and the store that talks to it (DurableObjectStore),
// used by the workerd entry's handler through the Node package's claim flow
// (dedupe.js, bundled by js/sync.mjs).
//
// One object per delivery key (idFromName(key)): each key's claim is then
// serialised by its own object, with no shared shard to become hot, and an
// object whose record expired holds nothing (its alarm deletes it). The
// rules are those of the core's Redis scripts (core/src/delivery/*.lua),
// which this runtime cannot run: the replies below are theirs, read by the
// same mapping as the core's Claim::from_redis_reply.
import dedupe from './dedupe.js';
import { deliveryKeyOf } from './answers.js';
import { describe } from './support.js';

const { createDedupe, StoreUnavailableError } = dedupe;

// The core's defaults (core/src/delivery.rs; the WASM build does not export
// them): tests/js/node/durable-workerd.test.mjs checks them against the
// Node addon's. No Redis here, so no key prefix.
export const DEFAULTS = Object.freeze({ leaseMs: 60_000, retentionMs: 24 * 60 * 60 * 1000, storeRetryAfterSecs: 30, redisKeyPrefix: '' });

const RECORD = 'claim';

function hex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** 128 random bits as 32 lowercase hex digits (the core's claim token). */
function newClaimToken() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** The core's Claim::differs: an empty hash is unknown, never a conflict. */
function differs(stored, bodyHash) {
  return stored !== '' && bodyHash !== '' && stored !== bodyHash;
}

function milliseconds(value, name) {
  if (!(Number.isSafeInteger(value) && value >= 1)) throw new TypeError(`${name} must be a positive whole number of milliseconds, got ${describe(value)}`);
  return value;
}

/**
 * The Durable Object holding one delivery key's claim in its transactional
 * storage: `{ token, hash, expires }` while claimed (token null once done).
 * Each call reads and writes the one record with no other I/O between, so
 * the object's input gate makes it atomic. An alarm deletes the record when
 * it expires; until then, an expired record reads as free.
 * Export it from your Worker and bind it (see the README).
 */
export class DeliveryClaims {
  #storage;

  constructor(ctx) {
    this.#storage = ctx.storage;
  }

  async #live() {
    const record = await this.#storage.get(RECORD);
    return record && record.expires > Date.now() ? record : null;
  }

  async #put(record) {
    await this.#storage.put(RECORD, record);
    await this.#storage.setAlarm(record.expires);
  }

  /** claim.lua: [0, ''] new, [-1, ''] duplicate, [-2, h] done with another body, [-3, h] in flight with another body, [n, ''] in flight for n ms. */
  async claim(token, leaseMs, bodyHash) {
    const record = await this.#live();
    if (!record) {
      await this.#put({ token, hash: bodyHash, expires: Date.now() + leaseMs });
      return [0, ''];
    }
    if (record.token === null) return differs(record.hash, bodyHash) ? [-2, record.hash] : [-1, ''];
    if (record.token === token) return [0, ''];
    if (differs(record.hash, bodyHash)) return [-3, record.hash];
    return [Math.max(1, record.expires - Date.now()), ''];
  }

  /** complete.lua: 1 this token's claim is now done, 2 the key was free and is now done, 0 untouched. */
  async complete(token, retentionMs, bodyHash) {
    const record = await this.#live();
    if (record && record.token !== token) return 0;
    await this.#put({ token: null, hash: bodyHash, expires: Date.now() + retentionMs });
    return record ? 1 : 2;
  }

  /** release.lua: 1 this token's claim is deleted, 0 untouched. */
  async release(token) {
    const record = await this.#live();
    if (!record || record.token !== token) return 0;
    await this.#storage.deleteAll();
    return 1;
  }

  async alarm() {
    const record = await this.#storage.get(RECORD);
    if (record && record.expires <= Date.now()) await this.#storage.deleteAll();
    else if (record) await this.#storage.setAlarm(record.expires);
  }

  /** The store's calls, as POST /<call> with a JSON array of arguments (no RPC needed: any compatibility date). */
  async fetch(request) {
    const call = new URL(request.url).pathname.slice(1);
    const [token, ms, bodyHash] = await request.json();
    if (typeof token !== 'string' || (call !== 'release' && (typeof bodyHash !== 'string' || !Number.isSafeInteger(ms) || ms < 1))) {
      return new Response('bad arguments', { status: 400 });
    }
    if (call === 'claim') return Response.json(await this.claim(token, ms, bodyHash));
    if (call === 'complete') return Response.json(await this.complete(token, ms, bodyHash));
    if (call === 'release') return Response.json(await this.release(token));
    return new Response('no such call', { status: 404 });
  }
}

/** The core's Claim::from_redis_reply, as the Node addon answers it. */
function claimFromReply(reply, storedHash, token) {
  if (reply === 0) return { outcome: 'new', token };
  if (reply === -1) return { outcome: 'duplicate' };
  if (reply === -2 || reply === -3) return { outcome: 'conflict', storedHash, found: reply === -3 ? 'in_flight' : 'done' };
  if (Number.isSafeInteger(reply) && reply > 0) return { outcome: 'in_flight', retryAfter: Math.max(1, Math.ceil(reply / 1000)) };
  throw new StoreUnavailableError(`the claim replied ${describe(reply)}, which is not 0, -1, -2, -3 or a positive lease`);
}

const COMPLETIONS = { 1: 'done', 2: 'lease_expired', 0: 'not_held' };

function isNamespace(value) {
  return value !== null && typeof value === 'object' && typeof value.idFromName === 'function' && typeof value.get === 'function';
}

/**
 * De-duplication on a Durable Object namespace bound to DeliveryClaims
 * (`env.CLAIMS`): the store protocol (claim, complete, release), each call
 * bounded by `timeout` seconds (default 2). A failure, an overloaded object
 * or a timeout is a StoreUnavailableError (answered 503 + Retry-After).
 */
export class DurableObjectStore {
  #namespace;
  #timeoutMs;

  constructor(namespace, options) {
    if (!isNamespace(namespace)) {
      throw new TypeError(`DurableObjectStore takes a Durable Object namespace bound to DeliveryClaims (env.CLAIMS), got ${describe(namespace)}`);
    }
    for (const key of Object.keys(options ?? {})) {
      if (key !== 'timeout') throw new TypeError(`unknown option ${JSON.stringify(key)}; the only option is timeout (seconds)`);
    }
    const timeout = options?.timeout ?? 2;
    if (!(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)) {
      throw new TypeError(`timeout must be a positive number of seconds, got ${describe(timeout)}`);
    }
    this.#namespace = namespace;
    this.#timeoutMs = Math.max(1, Math.round(timeout * 1000));
  }

  /** Each call's time limit, in seconds. */
  get timeout() {
    return this.#timeoutMs / 1000;
  }

  #stub(key) {
    return this.#namespace.get(this.#namespace.idFromName(String(key)));
  }

  /** POST /`name` to `stub`, within the time limit; else a StoreUnavailableError. */
  async #call(stub, name, args) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`durable object ${name} did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    const call = (async () => {
      const response = await stub.fetch(`https://delivery-claims/${name}`, { method: 'POST', body: JSON.stringify(args) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      return response.json();
    })();
    call.catch(() => {}); // it may fail after the time limit: nobody waits for it then
    try {
      return await Promise.race([call, timeout]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`durable object ${name} failed: ${error?.message ?? String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `{ outcome: 'new', token }`, `{ outcome: 'duplicate' }`, `{ outcome: 'in_flight', retryAfter }` or
   * `{ outcome: 'conflict', storedHash, found }`. A claim whose answer failed or timed out may still
   * land: its release by token is sent on the same stub, whose messages the object receives in the
   * order sent, so it comes after the claim and deletes it (one try, within the time limit).
   */
  async claim(key, bodyHash, leaseMs) {
    const token = newClaimToken();
    const stub = this.#stub(key);
    let reply;
    try {
      reply = await this.#call(stub, 'claim', [token, milliseconds(Math.max(1, Math.ceil(leaseMs)), 'lease'), String(bodyHash ?? '')]);
    } catch (error) {
      await this.#call(stub, 'release', [token]).catch(() => {});
      throw error;
    }
    if (!Array.isArray(reply) || reply.length !== 2) throw new StoreUnavailableError(`durable object claim replied ${describe(reply)}, not [code, hash]`);
    return claimFromReply(reply[0], String(reply[1]), token);
  }

  /** `'done'`, `'lease_expired'` or `'not_held'`. */
  async complete(key, token, bodyHash, retentionMs) {
    const reply = await this.#call(this.#stub(key), 'complete', [String(token), milliseconds(Math.max(1, Math.ceil(retentionMs)), 'retention'), String(bodyHash ?? '')]);
    if (!Object.hasOwn(COMPLETIONS, reply)) throw new StoreUnavailableError(`durable object complete replied ${describe(reply)}`);
    return COMPLETIONS[reply];
  }

  /** Whether it deleted `token`'s claim (never another's). */
  async release(key, token) {
    return (await this.#call(this.#stub(key), 'release', [String(token)])) === 1;
  }
}

async function sha256Hex(body) {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

// The claim flow takes the body's hash synchronously; Web Crypto's is a
// promise, so the hash is computed first and handed over in place of the body.
const HASHED = Symbol('hashed body');

const flow = createDedupe({
  defaults: DEFAULTS,
  redisScripts: {},
  newClaimToken,
  claimFromRedisReply: claimFromReply,
  completionFromRedisReply: (reply) => COMPLETIONS[reply],
  bodyHash(body) {
    if (body?.[HASHED] === undefined) throw new TypeError('not a hashed body');
    return body[HASHED];
  },
  conflictKey: (key, bodyHash) => `${key}#${bodyHash}`,
  deliveryKeyOf,
});

const PLACEHOLDER = { claim() {}, complete() {}, release() {} };

/**
 * What js/fetch.js's handler takes as `dedupe` in this runtime. `dedupe:`
 * may be a store, or a function of the request's `env` returning one
 * (`(env) => new DurableObjectStore(env.CLAIMS)`): a Worker's bindings are
 * known only per request.
 */
export const workerdDedupe = {
  dedupeSettings(options) {
    const perRequest = typeof options?.dedupe === 'function' ? options.dedupe : null;
    const settings = flow.dedupeSettings(perRequest ? { ...options, dedupe: PLACEHOLDER } : options);
    return settings && perRequest ? { ...settings, store: null, perRequest } : settings;
  },
  settingsFor(settings, env) {
    if (!settings.perRequest) return settings;
    const store = settings.perRequest(env);
    const ok = store !== null && typeof store === 'object' && ['claim', 'complete', 'release'].every((name) => typeof store[name] === 'function');
    if (!ok) throw new TypeError(`the dedupe function must return a store (new DurableObjectStore(env.CLAIMS)), got ${describe(store)}`);
    return { ...settings, store };
  },
  async claimDelivery(settings, received, body) {
    return flow.claimDelivery(settings, received, { [HASHED]: await sha256Hex(body) });
  },
  settleClaim: flow.settleClaim,
};

export { StoreUnavailableError };
