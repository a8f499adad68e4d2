'use strict';
// The Redis Streams hand-off on a real redis-server: the receiver answers
// at once, workers verify again, retry with backoff, dead-letter, and take
// over the message of a worker killed in the middle of it. Python workers
// read the same stream (bindings-python/tests/test_queue_redis.py).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { lib } = require('../impl.js');
const { requireDev } = require('./http.js');
const { RedisServer } = require('./redis-server.js');
const { startWorker, lines, killAll, assertTakenOver } = require('./worker-process.js');

const Redis = requireDev('ioredis');
const { Webhook, MemoryStore, RedisStore, RedisStreamQueue, QueueReceiver, QueueWorker, makeEnvelope, sign, deliveryKeyOf } = lib;

const SECRET = 'whsec_queue_tests';
const webhook = new Webhook(SECRET);
const quiet = { warn() {}, error() {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let redis;
const clients = [];

function client(url = redis.url, options = {}) {
  const made = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 100, ...options });
  made.on('error', () => {});
  clients.push(made);
  return made;
}

test.before(async () => {
  redis = await RedisServer.start();
});

test.after(async () => {
  for (const made of clients) made.disconnect();
  await redis?.stop();
});

function delivery(session) {
  const body = JSON.stringify({ event_type: 'visitor.identified', organization_id: 'org_q', session_id: session });
  return [Buffer.from(body), { 'content-type': 'application/json', 'x-bullseye-signature': sign(SECRET, body) }];
}

const keyOf = (session) => `bullseye:org_q:visitor.identified:${session}`;

function parts() {
  const name = crypto.randomUUID();
  const queue = new RedisStreamQueue(client(), { stream: `test:{${name}}` });
  const store = new RedisStore(client(), { prefix: `test:${name}:` });
  return { queue, store, raw: client() };
}

async function drain(worker, until, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!until()) {
    assert.ok(Date.now() < deadline, 'the worker did not get there in time');
    await worker.runOnce();
  }
}

test('the receiver answers at once and a worker handles each delivery once', async () => {
  const { queue, store, raw } = parts();
  const receiver = new QueueReceiver(webhook, queue, store);
  const [body, headers] = delivery('s1');
  assert.deepEqual(await receiver.receive(body, headers), { status: 202, body: { queued: true }, headers: {} });
  const copy = await receiver.receive(body, headers);
  assert.equal(copy.status, 409);
  assert.deepEqual(copy.body, { error: 'delivery_in_flight' });
  assert.ok(Number(copy.headers['Retry-After']) >= 590);

  const handled = [];
  const worker = new QueueWorker(webhook, queue, store, (event) => handled.push(event), { block: 0.1, logger: quiet });
  await drain(worker, () => handled.length === 1);
  assert.equal(worker.counts.reclaimed, 0); // read as new, not taken over
  assert.equal(handled[0].event_type, 'visitor.identified');
  assert.equal(deliveryKeyOf(handled[0]), keyOf('s1'));
  assert.deepEqual((await receiver.receive(body, headers)).body, { duplicate: true });
  assert.equal(await worker.runOnce(), 0);
  assert.equal(handled.length, 1);
  assert.equal(await raw.xlen(queue.stream), 0);
});

test('refusals are answered before anything is claimed or queued', async () => {
  const { queue, store, raw } = parts();
  const receiver = new QueueReceiver(webhook, queue, store);
  const [body] = delivery('s2');
  const answer = await receiver.receive(body, { 'x-bullseye-signature': sign('whsec_other', body) });
  assert.deepEqual([answer.status, answer.body], [401, { error: 'signature_mismatch' }]);
  assert.equal(await raw.exists(queue.stream), 0);
  assert.equal((await store.claim(keyOf('s2'), '', 60000)).outcome, 'new');
});

test('a failing handler is retried with backoff, then succeeds', async () => {
  const { queue, store, raw } = parts();
  await new QueueReceiver(webhook, queue, store).receive(...delivery('s3'));
  const calls = [];
  const worker = new QueueWorker(
    webhook,
    queue,
    store,
    () => {
      calls.push(Date.now());
      if (calls.length < 3) throw new Error(`the CRM is down (call ${calls.length})`);
    },
    { retryDelay: 0.2, maxRetryDelay: 0.3, block: 0.05, logger: quiet },
  );
  await drain(worker, () => worker.counts.handled === 1);
  assert.equal(calls.length, 3);
  assert.ok(calls[1] - calls[0] >= 200 && calls[2] - calls[1] >= 300);
  assert.deepEqual([worker.counts.retried, worker.counts.dead], [2, 0]);
  assert.equal(await raw.zcard(queue.retrySet), 0);
  assert.equal((await store.claim(keyOf('s3'), '', 60000)).outcome, 'duplicate');
});

test('after the most attempts the message is dead-lettered with its reason, its claim released (logged on warn: the logger has no error)', async () => {
  const { queue, store, raw } = parts();
  const receiver = new QueueReceiver(webhook, queue, store);
  const [body, headers] = delivery('s4');
  await receiver.receive(body, headers);
  let calls = 0;
  const warned = [];
  const worker = new QueueWorker(
    webhook,
    queue,
    store,
    () => {
      calls += 1;
      throw new TypeError('no such account');
    },
    { maxAttempts: 3, retryDelay: 0.05, block: 0.05, logger: { warn: (line) => warned.push(line) } },
  );
  await drain(worker, () => worker.counts.dead === 1);
  assert.equal(calls, 3);
  assert.ok(warned.some((line) => line.includes(`delivery ${keyOf('s4')} moved to the dead letters after attempt 3`)), JSON.stringify(warned));
  const [dead] = await queue.dead();
  assert.equal(dead.attempts, '3');
  assert.equal(dead.reason, 'TypeError: no such account');
  assert.equal(JSON.parse(dead.envelope).key, keyOf('s4'));
  assert.equal(await raw.xlen(queue.stream), 0);
  assert.equal((await receiver.receive(body, headers)).status, 202);
});

test('an envelope changed in the queue is dead-lettered without running the handler', async () => {
  const { queue, store, raw } = parts();
  const [body, headers] = delivery('s5');
  const wire = JSON.parse(makeEnvelope(webhook, body, headers).toJson());
  wire.body = wire.body.replace('s5', 's6');
  await raw.xadd(queue.stream, '*', 'envelope', JSON.stringify(wire), 'token', 't', 'attempt', '1');
  await raw.xadd(queue.stream, '*', 'envelope', 'not json', 'token', 't', 'attempt', '1');
  const handled = [];
  const worker = new QueueWorker(webhook, queue, store, (event) => handled.push(event), { block: 0.05, logger: quiet });
  await drain(worker, () => worker.counts.dead === 2);
  assert.deepEqual(handled, []);
  const reasons = (await queue.dead()).map((d) => d.reason.split(':')[0]).sort();
  assert.deepEqual(reasons, ['invalid_envelope', 'signature_mismatch']);
});

test('the queue down answers 503 queue_unavailable and releases the claim (the message surely not sent)', async () => {
  const own = await RedisServer.start();
  const store = new MemoryStore(); // up while the queue is down
  // Without the offline queue, ioredis refuses a command it cannot write at once.
  const queueClient = client(own.url, { enableOfflineQueue: false });
  await new Promise((resolve) => queueClient.once('ready', resolve));
  const receiver = new QueueReceiver(webhook, new RedisStreamQueue(queueClient, { timeout: 1 }), store);
  await own.stop();
  const answer = await receiver.receive(...delivery('s7'));
  assert.deepEqual([answer.status, answer.body, answer.headers['Retry-After']], [503, { error: 'queue_unavailable' }, '30']);
  assert.equal(store.claim(keyOf('s7'), '', 60000).outcome, 'new');
});

function start(queue, store, sideEffects, hangOn = '') {
  return startWorker(path.join(__dirname, 'queue-worker.js'), { REDIS_URL: redis.url, SECRET, SIDE_EFFECTS: sideEffects, STREAM: queue.stream, PREFIX: store.prefix, HANG_ON: hangOn });
}


test('a worker killed mid-message loses it to another, which handles it once', async () => {
  const { queue, store, raw } = parts();
  const sideEffects = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-queue-')), 'side-effects');
  const receiver = new QueueReceiver(webhook, queue, store);
  const sessions = Array.from({ length: 20 }, (_, i) => `k${i}`);
  const doomed = await start(queue, store, sideEffects, keyOf('k0'));
  let survivor;
  try {
    for (const session of sessions) assert.equal((await receiver.receive(...delivery(session))).status, 202);
    let deadline = Date.now() + 20000;
    while (!lines(sideEffects).some(([what, key]) => what === 'start' && key === keyOf('k0'))) {
      assert.ok(Date.now() < deadline, 'the first worker never started k0');
      await sleep(50);
    }
    doomed.kill('SIGKILL');
    await new Promise((resolve) => (doomed.exitCode !== null || doomed.signalCode !== null ? resolve() : doomed.once('exit', resolve)));
    survivor = await start(queue, store, sideEffects);
    deadline = Date.now() + 30000;
    while (lines(sideEffects).filter(([what]) => what === 'done').length < sessions.length) {
      assert.ok(Date.now() < deadline, 'the deliveries were not all handled');
      await sleep(100);
    }
    await sleep(1500); // past the take-over idle time: nothing runs twice later either
  } finally {
    killAll([doomed, survivor]);
  }
  assertTakenOver(sideEffects, sessions.map(keyOf), keyOf('k0'), doomed, survivor);
  assert.equal(await raw.xlen(queue.stream), 0);
});

test('node-redis clients work as ioredis ones do', async () => {
  const { createClient } = requireDev('redis');
  const made = [];
  const connect = async () => {
    const one = createClient({ url: redis.url });
    one.on('error', () => {});
    await one.connect();
    made.push(one);
    return one;
  };
  try {
    const name = crypto.randomUUID();
    const queue = new RedisStreamQueue(await connect(), { stream: `test:{${name}}` });
    const store = new RedisStore(await connect(), { prefix: `test:${name}:` });
    const receiver = new QueueReceiver(webhook, queue, store);
    assert.equal((await receiver.receive(...delivery('nr1'))).status, 202);
    const handled = [];
    const worker = new QueueWorker(webhook, new RedisStreamQueue(await connect(), { stream: queue.stream }), store, (event) => handled.push(event), {
      block: 0.1,
      logger: quiet,
    });
    await drain(worker, () => handled.length === 1);
    assert.equal(worker.counts.reclaimed, 0); // read as new, not taken over
    assert.equal(deliveryKeyOf(handled[0]), keyOf('nr1'));
  } finally {
    for (const one of made) one.destroy();
  }
});
