'use strict';
// A queue receiver for tests/fleet/queue_fleet.py: node:http, one process,
// answering at once through QueueReceiver (verify, claim in Redis, XADD to
// STREAM) without running any handler.
const http = require('node:http');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const Redis = require(path.join(root, 'bindings-node', 'node_modules', 'ioredis'));
const { Webhook, RedisStore, RedisStreamQueue, QueueReceiver } = require(path.join(root, 'bindings-node'));

const { BULLSEYE_SECRET, REDIS_URL, STREAM, PREFIX, PORT } = process.env;
const client = () => {
  const made = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  made.on('error', () => {});
  return made;
};
const receiver = new QueueReceiver(
  new Webhook(BULLSEYE_SECRET),
  new RedisStreamQueue(client(), { stream: STREAM, timeout: 2 }),
  new RedisStore(client(), { prefix: PREFIX }),
  { lease: Number(process.env.LEASE_SECONDS ?? 600) },
);

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const answer = await receiver.receive(Buffer.concat(chunks), req.headers);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  })
  .listen(Number(PORT), '127.0.0.1');
