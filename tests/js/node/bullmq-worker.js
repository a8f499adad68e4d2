'use strict';
// A real BullMQ Worker process for bullmq.test.js: the queue QUEUE on
// REDIS_URL, recording "start <key> <pid>" and "done <key> <pid>" in
// SIDE_EFFECTS; it hangs in the handler of HANG_ON (the test kills it there).
// LOCK_SECONDS (default 2): its jobs' lock, and the run lease with it
// (tests/fleet/queue_fleet.py gives a longer one: its workers share the CPU).
const fs = require('node:fs');
const { lib } = require('../impl.js');
const { requireDev } = require('./http.js');

const { Worker, UnrecoverableError } = requireDev('bullmq');
const Redis = requireDev('ioredis');
const { Webhook, RedisStore, bullmqProcessor, bullmqBackoff, deliveryKeyOf } = lib;
const { REDIS_URL, SECRET, SIDE_EFFECTS, QUEUE, PREFIX, HANG_ON } = process.env;
const lock = Number(process.env.LOCK_SECONDS ?? 2);

const url = new URL(REDIS_URL);
const processor = bullmqProcessor(
  new Webhook(SECRET),
  new RedisStore(new Redis(REDIS_URL), { prefix: PREFIX }),
  async (event) => {
    const key = deliveryKeyOf(event);
    fs.appendFileSync(SIDE_EFFECTS, `start ${key} ${process.pid}\n`);
    if (key === HANG_ON) await new Promise(() => {});
    fs.appendFileSync(SIDE_EFFECTS, `done ${key} ${process.pid}\n`);
  },
  { UnrecoverableError, runLease: lock, logger: { warn() {}, error() {} } },
);
const worker = new Worker(QUEUE, processor, {
  connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
  // A dead worker's job comes back once its lock ends (checked each second).
  lockDuration: lock * 1000,
  stalledInterval: 1000,
  settings: { backoffStrategy: bullmqBackoff({ retryDelay: 0.1 }) },
});
worker.on('error', () => {});
worker.waitUntilReady().then(() => process.stdout.write('ready\n'));
