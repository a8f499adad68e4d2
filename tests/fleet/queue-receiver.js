'use strict';
// A queue receiver for tests/fleet/queue_fleet.py: node:http, one process,
// answering at once through QueueReceiver (verify, claim in Redis, enqueue)
// without running any handler. QUEUE=streams (default) adds to the Redis
// stream STREAM; QUEUE=bullmq adds a job to the BullMQ queue BULLMQ_QUEUE
// (BullmqQueue), which tests/js/node/bullmq-worker.js processes.
// With ANSWER_TIMES set, each answer's time inside this process (from the
// request's head parsed to the last byte handed to the kernel) is appended
// to that file: "<wall-clock start, s> <ms> <status> <ms in receive()>".
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const Redis = require(path.join(root, 'bindings-node', 'node_modules', 'ioredis'));
const { Webhook, RedisStore, RedisStreamQueue, BullmqQueue, QueueReceiver } = require(path.join(root, 'bindings-node'));

const { BULLSEYE_SECRET, REDIS_URL, STREAM, PREFIX, PORT, QUEUE = 'streams', ANSWER_TIMES } = process.env;
// No offline queue: while Redis is away a command fails at once (never
// written: the claim is released, the answer is 503) instead of waiting for
// the reconnection.
const reconnecting = { maxRetriesPerRequest: 1, retryStrategy: () => 100, enableOfflineQueue: false };
const client = () => {
  const made = new Redis(REDIS_URL, reconnecting);
  made.on('error', () => {});
  return made;
};

function bullmq() {
  const { Queue } = require(path.join(root, 'bindings-node', 'node_modules', 'bullmq'));
  const url = new URL(REDIS_URL);
  const queue = new Queue(process.env.BULLMQ_QUEUE, { connection: { host: url.hostname, port: Number(url.port), ...reconnecting } });
  queue.on('error', () => {});
  return new BullmqQueue(queue, { timeout: 2 });
}

const receiver = new QueueReceiver(
  new Webhook(BULLSEYE_SECRET),
  QUEUE === 'bullmq' ? bullmq() : new RedisStreamQueue(client(), { stream: STREAM, timeout: 2 }),
  new RedisStore(client(), { prefix: PREFIX }),
  { lease: Number(process.env.LEASE_SECONDS ?? 600) },
);
const times = ANSWER_TIMES ? fs.openSync(ANSWER_TIMES, 'a') : null;

http
  .createServer((req, res) => {
    const wall = Date.now() / 1000;
    const started = process.hrtime.bigint();
    const ms = (since) => (Number(process.hrtime.bigint() - since) / 1e6).toFixed(3);
    let inReceive = '0';
    if (times !== null) {
      res.on('finish', () => fs.writeSync(times, `${wall.toFixed(6)} ${ms(started)} ${res.statusCode} ${inReceive}\n`));
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const receiving = process.hrtime.bigint();
      const answer = await receiver.receive(Buffer.concat(chunks), req.headers);
      inReceive = ms(receiving);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  })
  .listen(Number(PORT), '127.0.0.1');
