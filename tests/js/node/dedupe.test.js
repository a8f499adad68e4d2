'use strict';
// De-duplication: the stores' claim protocol (MemoryStore, RedisStore over
// ioredis and over node-redis, on a real redis-server), and the outcomes
// every integration answers (Express, Fastify, the Fetch handler), each on a
// real server on 127.0.0.1: duplicate, in flight, failure then retry, the
// store killed (503) and onStoreError 'process'.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { lib } = require('../impl.js');
const { requireDev, listen, post } = require('./http.js');
const { SECRET, hmac } = require('../fixtures.js');
const { RedisServer } = require('./redis-server.js');

const Redis = requireDev('ioredis');
const { createClient } = requireDev('redis');
const express = requireDev('express');
const Fastify = requireDev('fastify');
const { Webhook, MemoryStore, RedisStore, StoreUnavailableError, expressMiddleware, fastifyPlugin, deliveryKeyOf } = lib;

const webhook = new Webhook(SECRET);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Redis and its clients

let redis;
const clients = [];

async function ioredisClient(url) {
  const client = new Redis(url, { maxRetriesPerRequest: 50, retryStrategy: () => 50 });
  client.on('error', () => {}); // reconnects on its own; the store reports the failures
  await client.ping();
  clients.push(() => client.disconnect());
  return client;
}

async function nodeRedisClient(url) {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  clients.push(() => client.destroy());
  return client;
}

const CLIENTS = { ioredis: ioredisClient, 'node-redis': nodeRedisClient };

test.before(async () => {
  redis = await RedisServer.start();
});
test.after(async () => {
  for (const close of clients) close();
  await redis?.stop();
});

// ---------------------------------------------------------------------------
// The stores

let unique = 0;
const keyName = (label) => `test:${label}:${process.pid}:${++unique}`;
const TOKEN = /^[0-9a-f]{32}$/;
/** A body hash: the hex SHA-256 of `{}`. */
const H = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

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
// The integrations

/** The handler's calls per session_id, and what it does on each (a queue of plans). */
const calls = new Map();
const plans = new Map();

function delivery(plan = []) {
  const sessionId = `sess_${process.pid}_${++unique}`;
  const body = JSON.stringify({ event_type: 'visitor.identified', organization_id: 'org_dedupe', session_id: sessionId, visitor: { email: 'jane@acme.example' } });
  plans.set(sessionId, [...plan]);
  return { sessionId, body, headers: { 'content-type': 'application/json', 'x-bullseye-signature': hmac(SECRET, body) } };
}

/** The handler: counts the call, then fails (500), throws, waits for a promise, or succeeds, as planned. */
async function handle(event) {
  const sessionId = event.session_id;
  calls.set(sessionId, (calls.get(sessionId) ?? 0) + 1);
  const plan = plans.get(sessionId)?.shift();
  if (plan === 'fail') return 500;
  if (plan === 'throw') throw new Error('the handler failed');
  if (plan && typeof plan.then === 'function') await plan;
  return 200;
}

const processed = (status) => ({ processed: true, status });

/** A logger that keeps what it is told. */
function recorder() {
  const lines = [];
  const keep = (level) => (...args) => lines.push([level, args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')]);
  return { lines, warn: keep('warn'), error: keep('error'), info: keep('info'), debug: keep('debug'), trace: keep('trace'), fatal: keep('fatal'), child: () => null };
}

/** POST a delivery; the answer's status, headers, text and JSON. */
async function send(url, d) {
  const response = await fetch(url, { method: 'POST', body: d.body, headers: d.headers });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Each integration on a real server of 127.0.0.1, its route calling handle(); resolves to { url, close }. */
const INTEGRATIONS = {
  async express(options) {
    const app = express();
    app.set('env', 'test'); // no stack traces on stderr for the planned throws
    app.post('/hook', expressMiddleware(webhook, options), async (req, res) => {
      const status = await handle(req.bullseyeEvent);
      res.status(status).json({ ...processed(status), key: deliveryKeyOf(req.bullseyeEvent) });
    });
    const server = http.createServer(app);
    const base = await listen(server);
    return { url: `${base}/hook`, close: () => server.close() };
  },
  async fastify(options) {
    const app = Fastify();
    app.register(async (scope) => {
      scope.register(fastifyPlugin, { webhook, ...options });
      scope.post('/hook', async (request, reply) => {
        const status = await handle(request.bullseyeEvent);
        reply.code(status);
        return { ...processed(status), key: deliveryKeyOf(request.bullseyeEvent) };
      });
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `${base}/hook`, close: () => app.close() };
  },
  async fetch(options) {
    const handler = webhook.handler(async (event) => {
      const status = await handle(event);
      return Response.json({ ...processed(status), key: deliveryKeyOf(event) }, { status });
    }, options);
    // The Fetch handler behind a real node:http server: Request in, Response out.
    const server = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      let response;
      try {
        response = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) }));
      } catch {
        response = Response.json({ error: 'the handler threw' }, { status: 500 });
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    const base = await listen(server);
    return { url: `${base}/hook`, close: () => server.close() };
  },
};

async function serve(t, integration, options) {
  const served = await INTEGRATIONS[integration](options);
  t.after(() => served.close());
  return served.url;
}

/**
 * Send `d` until an answer other than 409, at most 40 times: the claim is
 * settled just after the response (as a sender retrying on 409 sees it).
 */
async function sendSettled(url, d) {
  for (let i = 0; i < 40; i++) {
    const answer = await send(url, d);
    if (answer.status !== 409) return answer;
    await sleep(25);
  }
  throw new Error('still in flight after 40 tries');
}

/** The outcomes every integration answers, with the store `dedupe`. */
async function outcomes(url) {
  // Duplicate: handled once, then 200 {"duplicate": true} without the handler.
  const dup = delivery();
  const first = await send(url, dup);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.key, `bullseye:org_dedupe:visitor.identified:${dup.sessionId}`);
  const second = await sendSettled(url, dup);
  assert.deepEqual([second.status, second.json], [200, { duplicate: true }]);
  assert.equal(calls.get(dup.sessionId), 1);

  // In flight: while the first attempt runs, a retry is 409 with Retry-After.
  let finish;
  const running = new Promise((resolve) => (finish = resolve));
  const slow = delivery([running]);
  const pending = send(url, slow);
  while ((calls.get(slow.sessionId) ?? 0) === 0) await sleep(5);
  const busy = await send(url, slow);
  assert.deepEqual([busy.status, busy.json], [409, { error: 'delivery_in_flight' }]);
  assert.equal(busy.headers.get('retry-after'), '60');
  finish();
  assert.equal((await pending).status, 200);
  assert.deepEqual((await sendSettled(url, slow)).json, { duplicate: true });
  assert.equal(calls.get(slow.sessionId), 1);

  // A handler that answers 500, then one that throws: each releases the
  // claim, so the retry is handled; after the success, a duplicate.
  const flaky = delivery(['fail', 'throw']);
  assert.equal((await send(url, flaky)).status, 500);
  assert.equal((await sendSettled(url, flaky)).status, 500);
  const third = await sendSettled(url, flaky);
  assert.equal(third.status, 200, third.text);
  assert.deepEqual((await sendSettled(url, flaky)).json, { duplicate: true });
  assert.equal(calls.get(flaky.sessionId), 3);

  // A refused delivery is answered before any claim.
  const forged = delivery();
  const refused = await send(url, { ...forged, headers: { ...forged.headers, 'x-bullseye-signature': '0'.repeat(64) } });
  assert.deepEqual([refused.status, refused.json], [401, { error: 'signature_mismatch' }]);
  assert.equal(calls.get(forged.sessionId), undefined);
}

const STORES = {
  memory: async () => new MemoryStore(),
  'redis (ioredis)': async () => new RedisStore(await ioredisClient(redis.url), { prefix: `o-${++unique}:` }),
  'redis (node-redis)': async () => new RedisStore(await nodeRedisClient(redis.url), { prefix: `o-${++unique}:` }),
};

for (const integration of Object.keys(INTEGRATIONS)) {
  for (const [storeName, makeStore] of Object.entries(STORES)) {
    test(`${integration} with ${storeName}: duplicate, in flight, failure then retry`, async (t) => {
      await outcomes(await serve(t, integration, { dedupe: await makeStore() }));
    });
  }
}

/**
 * Redis killed mid-run: each integration answers 503 with Retry-After and
 * does not call the handler; with onStoreError 'process' it calls the
 * handler and warns; once Redis is back, the sender's retry is handled,
 * once.
 */
async function storeDown(t, integration, clientName) {
  const server = await RedisServer.start();
  t.after(() => server.stop());
  const client = await CLIENTS[clientName](server.url);
  const store = new RedisStore(client, { timeout: 0.5 });
  const strictLog = recorder();
  const openLog = recorder();
  const strictUrl = await serve(t, integration, { dedupe: store, logger: strictLog });
  const openUrl = await serve(t, integration, { dedupe: store, onStoreError: 'process', logger: openLog });

  const before = delivery();
  assert.equal((await send(strictUrl, before)).status, 200);

  await server.kill();
  const lost = delivery();
  const down = await send(strictUrl, lost);
  assert.deepEqual([down.status, down.json], [503, { error: 'store_unavailable' }]);
  assert.equal(down.headers.get('retry-after'), '30');
  assert.equal(calls.get(lost.sessionId), undefined, 'the handler is not called while the store is down');
  assert.ok(strictLog.lines.some(([level, line]) => level === 'warn' && /store failed .*answered 503/.test(line)), JSON.stringify(strictLog.lines));

  const open = delivery();
  const processedAnyway = await send(openUrl, open);
  assert.equal(processedAnyway.status, 200, processedAnyway.text);
  assert.equal(calls.get(open.sessionId), 1);
  assert.ok(openLog.lines.some(([level, line]) => level === 'warn' && /onStoreError: 'process'/.test(line)), JSON.stringify(openLog.lines));

  // Back (empty: no persistence in this test): the retry is handled once,
  // then it is a duplicate.
  await server.restart();
  let answer;
  for (let i = 0; i < 100; i++) {
    answer = await send(strictUrl, lost);
    if (answer.status === 200) break;
    assert.ok([409, 503].includes(answer.status), `${answer.status} ${answer.text}`);
    await sleep(50);
  }
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { processed: true, status: 200, key: `bullseye:org_dedupe:visitor.identified:${lost.sessionId}` });
  assert.deepEqual((await sendSettled(strictUrl, lost)).json, { duplicate: true });
  assert.equal(calls.get(lost.sessionId), 1);
}

for (const [integration, clientName] of [
  ['express', 'ioredis'],
  ['express', 'node-redis'],
  ['fastify', 'ioredis'],
  ['fastify', 'node-redis'],
  ['fetch', 'ioredis'],
  ['fetch', 'node-redis'],
]) {
  test(`${integration} over ${clientName}: Redis killed -> 503 + Retry-After; onStoreError 'process' handles it; back -> handled once`, async (t) => {
    await storeDown(t, integration, clientName);
  });
}

test('the integrations refuse de-duplication options that make no sense', () => {
  const store = new MemoryStore();
  assert.throws(() => expressMiddleware(webhook, { dedupe: {} }), /dedupe must be a store/);
  assert.throws(() => expressMiddleware(webhook, { dedupe: store, onStoreError: 'ignore' }), /onStoreError must be 'retry' or 'process'/);
  assert.throws(() => expressMiddleware(webhook, { dedupe: store, lease: 0 }), /lease must be a positive number of seconds/);
  assert.throws(() => expressMiddleware(webhook, { dedupe: store, retention: '1d' }), /retention must be a positive number/);
  assert.throws(() => expressMiddleware(webhook, { lease: 30 }), /lease applies only with a dedupe store/);
  assert.throws(() => expressMiddleware(webhook, { dedupes: store }), /unknown option "dedupes"/);
  assert.throws(() => webhook.handler(null), TypeError);
});

test('lease and retention (seconds) reach the store', async (t) => {
  const seen = [];
  const store = {
    claim: (key, bodyHash, leaseMs) => (seen.push(['claim', leaseMs]), { outcome: 'new', token: 'a'.repeat(32) }),
    complete: (key, token, bodyHash, retentionMs) => seen.push(['complete', retentionMs]),
    release: () => seen.push(['release']),
  };
  const url = await serve(t, 'fetch', { dedupe: store, lease: 5, retention: 3600 });
  assert.equal((await send(url, delivery())).status, 200);
  assert.deepEqual(seen, [['claim', 5000], ['complete', 3_600_000]]);
});

test('a complete that fails after the handler succeeded is retried in the background, so the retry is still a duplicate', async (t) => {
  const memory = new MemoryStore();
  let completes = 0;
  const flaky = {
    claim: (key, bodyHash, leaseMs) => memory.claim(key, bodyHash, leaseMs),
    complete(key, token, bodyHash, retentionMs) {
      completes += 1;
      if (completes <= 2) throw new Error('connection refused');
      return memory.complete(key, token, bodyHash, retentionMs);
    },
    release: (key, token) => memory.release(key, token),
  };
  const log = recorder();
  for (const integration of ['express', 'fetch']) {
    completes = 0;
    const url = await serve(t, integration, { dedupe: flaky, logger: log });
    const d = delivery();
    const answer = await send(url, d);
    assert.equal(answer.status, 200, 'a success stays a success');
    for (let i = 0; i < 100 && completes < 3; i++) await sleep(20);
    assert.equal(completes, 3);
    assert.deepEqual((await sendSettled(url, d)).json, { duplicate: true });
    assert.equal(calls.get(d.sessionId), 1);
  }
  assert.ok(log.lines.some(([level, line]) => level === 'error' && /complete failed .*retrying it in the background/.test(line)), JSON.stringify(log.lines));
  assert.ok(log.lines.some(([level, line]) => level === 'warn' && /complete succeeded on try 3/.test(line)), JSON.stringify(log.lines));
});

/** POST `d` and close the connection once the handler has started, without reading an answer. */
async function abandon(url, d) {
  const { hostname, port, pathname } = new URL(url);
  const request = http.request({ hostname, port, path: pathname, method: 'POST', headers: d.headers });
  request.on('error', () => {});
  request.end(d.body);
  while ((calls.get(d.sessionId) ?? 0) === 0) await sleep(5);
  request.destroy();
  await sleep(50);
}

for (const integration of Object.keys(INTEGRATIONS)) {
  test(`${integration}: a client that leaves before the answer; the claim is settled by what the handler answers after`, async (t) => {
    const url = await serve(t, integration, { dedupe: new MemoryStore() });
    // The handler succeeds after the client left: the delivery is done.
    let finish;
    const succeeded = delivery([new Promise((resolve) => (finish = resolve))]);
    await abandon(url, succeeded);
    assert.equal((await send(url, succeeded)).status, 409, 'still in flight while the handler runs');
    finish();
    assert.deepEqual((await sendSettled(url, succeeded)).json, { duplicate: true });
    assert.equal(calls.get(succeeded.sessionId), 1);

    // The handler fails after the client left: released, so the retry is handled.
    let fail;
    const failing = delivery([new Promise((resolve) => (fail = resolve)).then(() => Promise.reject(new Error('failed late')))]);
    await abandon(url, failing);
    fail();
    const retried = await sendSettled(url, failing);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.json.processed, true);
    assert.equal(calls.get(failing.sessionId), 2);
  });
}

// ---------------------------------------------------------------------------
// The same key with a different body: delivery_conflict on every path

const crypto = require('node:crypto');
const { bodyHash } = lib;
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const A = sha256('body a');
const B = sha256('body b');

/** `d`'s delivery (same session, so the same key) with another body. */
function otherBody(d) {
  const body = d.body.replace('jane@acme.example', 'john@acme.example');
  return { ...d, body, headers: { ...d.headers, 'x-bullseye-signature': hmac(SECRET, body) } };
}

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

/** Both paths over HTTP: another body while the first is done, then while one is in flight. */
async function conflicts(url, log) {
  const done = delivery();
  assert.equal((await send(url, done)).status, 200);
  const refused = await send(url, otherBody(done));
  assert.deepEqual([refused.status, refused.json], [409, { error: 'delivery_conflict' }]);
  assert.equal(refused.headers.get('retry-after'), null);
  assert.deepEqual((await send(url, done)).json, { duplicate: true });
  assert.equal(calls.get(done.sessionId), 1);

  let finish;
  const running = new Promise((resolve) => (finish = resolve));
  const slow = delivery([running]);
  const pending = send(url, slow);
  while ((calls.get(slow.sessionId) ?? 0) === 0) await sleep(5);
  const busy = await send(url, otherBody(slow));
  assert.deepEqual([busy.status, busy.json], [409, { error: 'delivery_conflict' }]);
  finish();
  assert.equal((await pending).status, 200);
  assert.equal(calls.get(slow.sessionId), 1);

  // Logged at warning with both hashes, never the body.
  const warned = log.lines.filter(([level, line]) => level === 'warn' && line.includes('delivery_conflict'));
  assert.equal(warned.length, 2, JSON.stringify(log.lines));
  assert.ok(warned[0][1].includes(sha256(otherBody(done).body)) && warned[0][1].includes(`${sha256(done.body)} (done)`), warned[0][1]);
  assert.ok(warned[1][1].includes(`${sha256(slow.body)} (in_flight)`), warned[1][1]);
  assert.ok(warned.every(([, line]) => !line.includes('acme.example')), 'no body in the log');
}

for (const integration of Object.keys(INTEGRATIONS)) {
  for (const [storeName, makeStore] of Object.entries(STORES)) {
    test(`${integration} with ${storeName}: delivery_conflict refused (done, in flight), or processed once with onConflict 'process'`, async (t) => {
      const log = recorder();
      await conflicts(await serve(t, integration, { dedupe: await makeStore(), logger: log }), log);

      const url = await serve(t, integration, { dedupe: await makeStore(), onConflict: 'process', logger: recorder() });
      const first = delivery();
      const other = otherBody(first);
      assert.equal((await send(url, first)).status, 200);
      const otherAnswer = await send(url, other);
      assert.equal(otherAnswer.status, 200, otherAnswer.text);
      assert.deepEqual((await send(url, other)).json, { duplicate: true });
      assert.deepEqual((await send(url, first)).json, { duplicate: true });
      assert.equal(calls.get(first.sessionId), 2);
    });
  }
}

test('onConflict is checked', () => {
  assert.throws(() => expressMiddleware(webhook, { dedupe: new MemoryStore(), onConflict: 'ignore' }), /onConflict must be 'refuse' or 'process'/);
  assert.throws(() => expressMiddleware(webhook, { onConflict: 'process' }), /onConflict applies only with a dedupe store/);
});

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
// A cache of recently completed keys in front of a store; waiting for a copy in flight

const { CachedStore } = lib;

test('CachedStore answers the keys this process completed without the store (and checks the body)', async () => {
  const memory = new MemoryStore();
  let claims = 0;
  const counting = {
    claim: (...args) => (claims++, memory.claim(...args)),
    complete: (...args) => memory.complete(...args),
    release: (...args) => memory.release(...args),
  };
  const store = new CachedStore(counting, { capacity: 100 });
  const first = await store.claim('k', A, 60_000);
  assert.equal((await store.claim('k', A, 60_000)).outcome, 'in_flight'); // not done yet: the store answers
  assert.equal(await store.complete('k', first.token, A, 86_400_000), 'done');
  assert.deepEqual(await store.claim('k', A, 60_000), { outcome: 'duplicate' });
  assert.deepEqual(await store.claim('k', B, 60_000), { outcome: 'conflict', storedHash: A, found: 'done' });
  assert.equal(claims, 2);
  assert.equal(store.size, 1);
  assert.throws(() => new CachedStore({}), TypeError);
});

test('CachedStore over RedisStore: a completed key needs no round trip', async () => {
  const raw = await ioredisClient(redis.url);
  const prefix = `cache-${++unique}:`;
  const store = new CachedStore(new RedisStore(raw, { prefix }));
  const claim = await store.claim('k', A, 60_000);
  await store.complete('k', claim.token, A, 86_400_000);
  await raw.del(`${prefix}k`); // gone from Redis: only the cache knows it
  assert.deepEqual(await store.claim('k', A, 60_000), { outcome: 'duplicate' });
  assert.equal((await store.claim('k', B, 60_000)).outcome, 'conflict');
});

for (const integration of Object.keys(INTEGRATIONS)) {
  test(`${integration}: waitForInFlight answers a duplicate once the first copy is done, or takes an ended lease`, async (t) => {
    const memory = new MemoryStore();
    let claims = 0;
    const counting = {
      claim: (...args) => (claims++, memory.claim(...args)),
      complete: (...args) => memory.complete(...args),
      release: (...args) => memory.release(...args),
    };
    const url = await serve(t, integration, { dedupe: counting, waitForInFlight: 20, logger: recorder() });
    let finish;
    const running = new Promise((resolve) => (finish = resolve));
    const slow = delivery([running]);
    const pending = send(url, slow);
    while ((calls.get(slow.sessionId) ?? 0) === 0) await sleep(5);
    const waiting = send(url, slow);
    while (claims < 2) await sleep(5); // the copy found it in flight before it ends
    finish();
    assert.equal((await pending).status, 200);
    assert.deepEqual((await waiting).json, { duplicate: true });
    assert.equal(calls.get(slow.sessionId), 1);

    // A holder that died: its lease ends while the copy waits, which takes the claim.
    const orphan = delivery();
    memory.claim(`bullseye:org_dedupe:visitor.identified:${orphan.sessionId}`, sha256(orphan.body), 300);
    assert.equal((await send(url, orphan)).status, 200);
    assert.equal(calls.get(orphan.sessionId), 1);
  });
}

test('waitForInFlight is checked', () => {
  assert.throws(() => expressMiddleware(webhook, { dedupe: new MemoryStore(), waitForInFlight: -1 }), /waitForInFlight must be a positive number/);
  assert.throws(() => expressMiddleware(webhook, { waitForInFlight: 5 }), /waitForInFlight applies only with a dedupe store/);
});
