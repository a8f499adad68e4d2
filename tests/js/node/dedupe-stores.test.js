'use strict';
// De-duplication, the stores: the claim protocol of MemoryStore and of
// RedisStore over ioredis and over node-redis (on a real redis-server), the
// same key with another body (delivery_conflict), a claim sent while Redis is
// paused, and CachedStore in front of a store.
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { requireDev } = require('./http.js');
const { RedisServer } = require('./redis-server.js');
const { A, B, CLIENTS, H, TOKEN, countingStore, ioredisClient, keyName, nextId, sleep, useRedis } = require('./dedupe-helpers.js');

const Redis = requireDev('ioredis');
const { MemoryStore, RedisStore, StoreUnavailableError, CachedStore, bodyHash } = lib;

const redis = useRedis();

async function storeContract(store) {
  const key = keyName('contract');
  const first = await store.claim(key, H, 60_000);
  assert.equal(first.outcome, 'new');
  assert.match(first.token, TOKEN);

  const again = await store.claim(key, H, 60_000);
  assert.equal(again.outcome, 'in_flight');
  assert.ok(again.retryAfter === 60 || again.retryAfter === 59, `retryAfter ${again.retryAfter}`);

  assert.equal(await store.release(key, 'f'.repeat(32)), false, 'another token never releases a claim');
  assert.equal((await store.claim(key, H, 60_000)).outcome, 'in_flight');

  assert.equal(await store.complete(key, first.token, H, 86_400_000), 'done');
  assert.deepEqual(await store.claim(key, H, 60_000), { outcome: 'duplicate' });
  assert.equal(await store.release(key, first.token), false, 'a done key is not released');
  assert.equal((await store.claim(key, H, 60_000)).outcome, 'duplicate');

  const released = keyName('released');
  const held = await store.claim(released, H, 60_000);
  assert.equal(await store.release(released, held.token), true);
  const retaken = await store.claim(released, H, 60_000);
  assert.equal(retaken.outcome, 'new');
  assert.notEqual(retaken.token, held.token);

  // A lease ends by itself (a crashed worker), and the Retry-After is at least 1.
  const leased = keyName('lease');
  const short = await store.claim(leased, H, 300);
  assert.deepEqual(await store.claim(leased, H, 300), { outcome: 'in_flight', retryAfter: 1 });
  await sleep(400);
  const afterLease = await store.claim(leased, H, 60_000);
  assert.equal(afterLease.outcome, 'new');
  // The slow worker's complete leaves the new claim alone.
  assert.equal(await store.complete(leased, short.token, H, 86_400_000), 'not_held');
  assert.equal((await store.claim(leased, H, 60_000)).outcome, 'in_flight');

  // A claim whose lease expired and nobody retook is still marked done.
  const expired = keyName('expired');
  const slow = await store.claim(expired, H, 200);
  await sleep(300);
  assert.equal(await store.complete(expired, slow.token, H, 86_400_000), 'lease_expired');
  assert.equal((await store.claim(expired, H, 60_000)).outcome, 'duplicate');
}

test('MemoryStore keeps the claim protocol', async () => {
  await storeContract(new MemoryStore());
});

test('MemoryStore never drops a claim in flight: full of them, a claim is store_unavailable', () => {
  const store = new MemoryStore({ capacity: 2 });
  assert.equal(store.capacity, 2);
  const a = store.claim('a', H, 60_000);
  store.claim('b', H, 60_000);
  assert.throws(() => store.claim('c', H, 60_000), (error) => error instanceof StoreUnavailableError && error.code === 'store_unavailable');
  store.complete('a', a.token, H, 60_000);
  // A done key makes room.
  assert.equal(store.claim('c', H, 60_000).outcome, 'new');
  assert.equal(store.claim('b', H, 60_000).outcome, 'in_flight');
  assert.throws(() => new MemoryStore({ capacity: 0 }), TypeError);
  assert.throws(() => new MemoryStore({ size: 3 }), TypeError);
});

for (const [name, connect] of Object.entries(CLIENTS)) {
  test(`RedisStore over ${name} keeps the claim protocol, with the values the core's scripts write`, async () => {
    const client = await connect(redis.url);
    const store = new RedisStore(client, { prefix: `t-${name}:` });
    assert.equal(store.client, name);
    assert.equal(store.timeout, 2);
    await storeContract(store);

    // What is in Redis: `w:{token}` with the lease, then `done` with the retention.
    const raw = await ioredisClient(redis.url);
    const key = keyName('values');
    const claim = await store.claim(key, H, 60_000);
    assert.equal(await raw.get(`t-${name}:${key}`), `w:${claim.token}:${H}`);
    const leaseLeft = await raw.pttl(`t-${name}:${key}`);
    assert.ok(leaseLeft > 55_000 && leaseLeft <= 60_000, `lease ${leaseLeft}`);
    await store.complete(key, claim.token, H, 86_400_000);
    assert.equal(await raw.get(`t-${name}:${key}`), `done:${H}`);
    const kept = await raw.pttl(`t-${name}:${key}`);
    assert.ok(kept > 86_395_000 && kept <= 86_400_000, `retention ${kept}`);
  });

  test(`RedisStore over ${name}: the default prefix, and EVAL when the script cache was flushed`, async () => {
    const client = await connect(redis.url);
    const store = new RedisStore(client);
    assert.equal(store.prefix, 'bullseye-webhooks:delivery:');
    const raw = await ioredisClient(redis.url);
    await raw.script('FLUSH');
    const key = keyName('flushed');
    const claim = await store.claim(key, H, 60_000);
    assert.equal(claim.outcome, 'new');
    assert.equal(await raw.get(`bullseye-webhooks:delivery:${key}`), `w:${claim.token}:${H}`);
  });
}

test('RedisStore refuses what is not an ioredis or node-redis client', () => {
  for (const client of [undefined, null, {}, { get() {} }, 'redis://127.0.0.1']) {
    assert.throws(() => new RedisStore(client), { name: 'TypeError', message: /ioredis client .* node-redis client/ });
  }
  const fake = { call() {}, defineCommand() {} };
  assert.throws(() => new RedisStore(fake, { timeout: 0 }), TypeError);
  assert.throws(() => new RedisStore(fake, { ttl: 5 }), TypeError);
});

test('every RedisStore call is bounded by its timeout: a server that never answers is store_unavailable', async () => {
  // A TCP server that accepts and stays silent.
  const net = require('node:net');
  const silent = net.createServer(() => {});
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const client = new Redis(`redis://127.0.0.1:${silent.address().port}`, { lazyConnect: false, enableReadyCheck: false, maxRetriesPerRequest: null });
  client.on('error', () => {});
  try {
    const store = new RedisStore(client, { timeout: 0.3 });
    const started = Date.now();
    await assert.rejects(store.claim('k', H, 60_000), (error) => error instanceof StoreUnavailableError && /within 300 ms/.test(error.message));
    await assert.rejects(store.complete('k', 'a'.repeat(32), H, 1000), StoreUnavailableError);
    await assert.rejects(store.release('k', 'a'.repeat(32)), StoreUnavailableError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 850 && elapsed < 3000, `three calls took ${elapsed} ms`);
  } finally {
    client.disconnect();
    silent.close();
  }
});

// ---------------------------------------------------------------------------
// The same key with a different body: delivery_conflict on every path

async function conflictContract(store) {
  // New: the claim keeps the hash; the same body again is in flight.
  const key = keyName('conflict');
  const first = await store.claim(key, A, 60_000);
  assert.equal(first.outcome, 'new');
  assert.equal((await store.claim(key, A, 60_000)).outcome, 'in_flight');
  // In flight, another body.
  assert.deepEqual(await store.claim(key, B, 60_000), { outcome: 'conflict', storedHash: A, found: 'in_flight' });
  // Done, another body; the same body, or an unknown hash, is a duplicate.
  assert.equal(await store.complete(key, first.token, A, 86_400_000), 'done');
  assert.deepEqual(await store.claim(key, B, 60_000), { outcome: 'conflict', storedHash: A, found: 'done' });
  assert.deepEqual(await store.claim(key, A, 60_000), { outcome: 'duplicate' });
  assert.deepEqual(await store.claim(key, '', 60_000), { outcome: 'duplicate' });
}

test('bodyHash is the hex SHA-256 of the raw body, as a string or bytes', () => {
  assert.equal(bodyHash('body a'), A);
  assert.equal(bodyHash(Buffer.from('body b')), B);
  assert.equal(bodyHash(new TextEncoder().encode('body a')), A);
  assert.throws(() => bodyHash({ parsed: true }), TypeError);
});

test('MemoryStore: delivery_conflict on every path', async () => {
  await conflictContract(new MemoryStore());
});

for (const [name, connect] of Object.entries(CLIENTS)) {
  test(`RedisStore over ${name}: delivery_conflict on every path; records without a hash read as the same body`, async () => {
    const store = new RedisStore(await connect(redis.url), { prefix: `c-${name}:` });
    await conflictContract(store);
    const raw = await ioredisClient(redis.url);
    const [done, held] = [keyName('old-done'), keyName('old-held')];
    await raw.set(`c-${name}:${done}`, 'done', 'PX', 60_000);
    await raw.set(`c-${name}:${held}`, `w:${'ab'.repeat(16)}`, 'PX', 60_000);
    assert.deepEqual(await store.claim(done, B, 60_000), { outcome: 'duplicate' });
    assert.equal((await store.claim(held, B, 60_000)).outcome, 'in_flight');
    assert.equal(await store.release(held, 'ab'.repeat(16)), true);
  });
}


// ---------------------------------------------------------------------------
// A claim sent while Redis is paused lands when it resumes: released by its token

for (const [name, connect] of Object.entries(CLIENTS)) {
  test(`RedisStore over ${name}: a claim sent while Redis is paused (SIGSTOP 2 s) is released once it lands`, async (t) => {
    const server = await RedisServer.start();
    t.after(async () => {
      server.child?.kill('SIGCONT');
      await server.stop();
    });
    const store = new RedisStore(await connect(server.url), { timeout: 0.3 });
    assert.equal((await store.claim('warm', A, 60_000)).outcome, 'new'); // the scripts are loaded
    const hour = 3_600_000;
    server.child.kill('SIGSTOP');
    await assert.rejects(store.claim('k', A, hour), StoreUnavailableError);
    await sleep(2000);
    server.child.kill('SIGCONT');
    // Redis ran the paused claim when it resumed (an hour's lease); the
    // background release freed it, so the next copy is processed. Asked
    // until not in flight, for at most 20 s (far less than the hour).
    let outcome;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      outcome = await store.claim('k', A, hour).catch(() => undefined);
      if (outcome && outcome.outcome !== 'in_flight') break;
    }
    assert.equal(outcome?.outcome, 'new');
  });
}

// ---------------------------------------------------------------------------
// A cache of recently completed keys in front of a store

test('CachedStore answers the keys this process completed without the store (and checks the body)', async () => {
  const counting = countingStore();
  const store = new CachedStore(counting, { capacity: 100 });
  const first = await store.claim('k', A, 60_000);
  assert.equal((await store.claim('k', A, 60_000)).outcome, 'in_flight'); // not done yet: the store answers
  assert.equal(await store.complete('k', first.token, A, 86_400_000), 'done');
  assert.deepEqual(await store.claim('k', A, 60_000), { outcome: 'duplicate' });
  assert.deepEqual(await store.claim('k', B, 60_000), { outcome: 'conflict', storedHash: A, found: 'done' });
  assert.equal(counting.claims, 2);
  assert.equal(store.size, 1);
  assert.throws(() => new CachedStore({}), TypeError);
});

test('CachedStore over RedisStore: a completed key needs no round trip', async () => {
  const raw = await ioredisClient(redis.url);
  const prefix = `cache-${nextId()}:`;
  const store = new CachedStore(new RedisStore(raw, { prefix }));
  const claim = await store.claim('k', A, 60_000);
  await store.complete('k', claim.token, A, 86_400_000);
  await raw.del(`${prefix}k`); // gone from Redis: only the cache knows it
  assert.deepEqual(await store.claim('k', A, 60_000), { outcome: 'duplicate' });
  assert.equal((await store.claim('k', B, 60_000)).outcome, 'conflict');
});

