'use strict';
// BullMQ as the queue of the hand-off, with real BullMQ Workers on a real
// redis-server: each delivery handled once, retries with the core's backoff,
// the failed set as dead letters (with the reason, the claim released), and
// a worker process killed mid-job whose job another worker handles once.
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

const { Queue, Worker, UnrecoverableError } = requireDev('bullmq');
const Redis = requireDev('ioredis');
const { Webhook, RedisStore, QueueReceiver, BullmqQueue, bullmqProcessor, bullmqBackoff, sign, deliveryKeyOf } = lib;

const SECRET = 'whsec_bullmq_tests';
const webhook = new Webhook(SECRET);
const quiet = { warn() {}, error() {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let redis;
const closers = [];

test.before(async () => {
  redis = await RedisServer.start();
});

test.after(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.stop();
});

function connection() {
  const url = new URL(redis.url);
  return { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
}

function setup() {
  const name = `q-${crypto.randomUUID()}`;
  const queue = new Queue(name, { connection: connection() });
  const client = new Redis(redis.url);
  closers.push(() => queue.close(), () => client.disconnect());
  const store = new RedisStore(client, { prefix: `${name}:` });
  return { name, queue, store, receiver: new QueueReceiver(webhook, new BullmqQueue(queue, { maxAttempts: 3 }), store) };
}

function delivery(session) {
  const body = JSON.stringify({ event_type: 'visitor.identified', organization_id: 'org_b', session_id: session });
  return [Buffer.from(body), { 'x-bullseye-signature': sign(SECRET, body) }];
}

const keyOf = (session) => `bullseye:org_b:visitor.identified:${session}`;

async function waitFor(until, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await until())) {
    assert.ok(Date.now() < deadline, what);
    await sleep(50);
  }
}

test('BullMQ: each delivery once, a failure retried with backoff, the last failure in the failed set', async () => {
  const { name, queue, store, receiver } = setup();
  const handled = [];
  const calls = {};
  const processor = bullmqProcessor(
    webhook,
    store,
    (event) => {
      const key = deliveryKeyOf(event);
      calls[key] = [...(calls[key] ?? []), Date.now()];
      if (key === keyOf('b5') && calls[key].length === 1) throw new Error('the CRM is down');
      if (key === keyOf('b9')) throw new RangeError('no such account');
      handled.push(key);
    },
    { UnrecoverableError, logger: quiet },
  );
  for (let i = 0; i < 10; i += 1) assert.equal((await receiver.receive(...delivery(`b${i}`))).status, 202);
  assert.equal((await receiver.receive(...delivery('b1'))).status, 409);
  const worker = new Worker(name, processor, {
    connection: connection(),
    settings: { backoffStrategy: bullmqBackoff({ retryDelay: 0.2, maxRetryDelay: 0.3 }) },
  });
  closers.push(() => worker.close());
  await waitFor(async () => handled.length === 9 && (await queue.getFailedCount()) === 1, 30000, 'not every job settled');
  assert.deepEqual([...handled].sort(), Array.from({ length: 9 }, (_, i) => keyOf(`b${i}`)).sort());
  assert.ok(calls[keyOf('b5')][1] - calls[keyOf('b5')][0] >= 200);
  assert.equal(calls[keyOf('b9')].length, 3);
  const [failed] = await queue.getFailed();
  assert.equal(failed.failedReason, 'RangeError: no such account');
  assert.equal(JSON.parse(failed.data.envelope).key, keyOf('b9'));
  assert.deepEqual((await receiver.receive(...delivery('b1'))).body, { duplicate: true });
  assert.equal((await store.claim(keyOf('b9'), '', 60000)).outcome, 'new'); // released
});

test('BullMQ: an envelope changed in the queue fails at once, without the handler', async () => {
  const { name, queue, store } = setup();
  await queue.add('delivery', { envelope: 'not json', token: 't' }, { attempts: 3 });
  const handled = [];
  const worker = new Worker(name, bullmqProcessor(webhook, store, (event) => handled.push(event), { UnrecoverableError, logger: quiet }), {
    connection: connection(),
  });
  closers.push(() => worker.close());
  await waitFor(async () => (await queue.getFailedCount()) === 1, 20000, 'the job did not fail');
  const [failed] = await queue.getFailed();
  assert.match(failed.failedReason, /^invalid_envelope: /);
  assert.equal(failed.attemptsMade, 1);
  assert.deepEqual(handled, []);
});

function start(name, store, sideEffects, hangOn = '') {
  return startWorker(path.join(__dirname, 'bullmq-worker.js'), { REDIS_URL: redis.url, SECRET, SIDE_EFFECTS: sideEffects, QUEUE: name, PREFIX: store.prefix, HANG_ON: hangOn });
}


test('BullMQ: a worker killed mid-job loses it to another, which handles it once', async () => {
  const { name, store, receiver } = setup();
  const sideEffects = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-bullmq-')), 'side-effects');
  const sessions = Array.from({ length: 5 }, (_, i) => `k${i}`);
  for (const session of sessions) assert.equal((await receiver.receive(...delivery(session))).status, 202);
  const doomed = await start(name, store, sideEffects, keyOf('k0'));
  let survivor;
  try {
    await waitFor(() => lines(sideEffects).some(([what, key]) => what === 'start' && key === keyOf('k0')), 20000, 'k0 never started');
    doomed.kill('SIGKILL');
    await new Promise((resolve) => (doomed.exitCode !== null || doomed.signalCode !== null ? resolve() : doomed.once('exit', resolve)));
    survivor = await start(name, store, sideEffects);
    await waitFor(() => lines(sideEffects).filter(([what]) => what === 'done').length === sessions.length, 30000, 'not every job was handled');
    await sleep(3000); // past the lock: nothing runs twice later either
  } finally {
    killAll([doomed, survivor]);
  }
  assertTakenOver(sideEffects, sessions.map(keyOf), keyOf('k0'), doomed, survivor);
});
