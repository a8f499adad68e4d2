'use strict';
// A queue worker process for queue-redis.test.js: reads the stream on
// REDIS_URL and records each delivery it handles in SIDE_EFFECTS ("start
// <key> <pid>" before the handler's work, "done <key> <pid>" after). With
// HANG_ON set, the handler of that key never finishes (the test kills the
// process there). With FAIL_ONCE, the handler of each key ending in that
// text fails the first time any worker runs it ("failed <key>").
const fs = require('node:fs');
const { lib } = require('../impl.js');
const { requireDev } = require('./http.js');

const Redis = requireDev('ioredis');
const { Webhook, RedisStore, RedisStreamQueue, QueueWorker, deliveryKeyOf } = lib;
const { REDIS_URL, SECRET, SIDE_EFFECTS, STREAM, PREFIX, HANG_ON, FAIL_ONCE, CLAIM_IDLE = '1' } = process.env;

async function main() {
  const client = new Redis(REDIS_URL);
  const worker = new QueueWorker(
    new Webhook(SECRET),
    new RedisStreamQueue(client, { stream: STREAM }),
    new RedisStore(new Redis(REDIS_URL), { prefix: PREFIX }),
    async (event) => {
      const key = deliveryKeyOf(event);
      fs.appendFileSync(SIDE_EFFECTS, `start ${key} ${process.pid}\n`);
      if (key === HANG_ON) await new Promise(() => {});
      if (FAIL_ONCE && key.endsWith(FAIL_ONCE) && !fs.readFileSync(SIDE_EFFECTS, 'utf8').includes(`failed ${key} `)) {
        fs.appendFileSync(SIDE_EFFECTS, `failed ${key} ${process.pid}\n`);
        throw new Error('failing once, as asked');
      }
      fs.appendFileSync(SIDE_EFFECTS, `done ${key} ${process.pid}\n`);
    },
    { consumer: `node-worker-${process.pid}`, claimIdle: Number(CLAIM_IDLE), block: 0.2, logger: { warn() {}, error() {} } },
  );
  process.stdout.write('ready\n');
  await worker.run();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
