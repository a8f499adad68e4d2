'use strict';
// A fleet receiver for tests/fleet/fleet.py: Express, one process,
// de-duplicating on the Redis at REDIS_URL (through ioredis), verifying with
// BULLSEYE_SECRET, on 127.0.0.1:PORT (0: any free port; the first line on
// stdout says which). The handler's side effect is one line,
// "delivery key<TAB>pid", appended to SIDE_EFFECTS_FILE with one write
// (the file opened O_APPEND), so several processes can share the file.
// LEASE_SECONDS sets the claim's lease (default the core's 60 s).
const fs = require('node:fs');
const express = require('express');
const { Redis } = require('ioredis');
const { Webhook, RedisStore, expressMiddleware, deliveryKeyOf } = require('..');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`fleet-receiver: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const webhook = new Webhook(required('BULLSEYE_SECRET'));
// Fail fast while Redis is down (no offline queue): each call is then a 503
// with Retry-After at once, and the sender retries. (With ioredis's default
// queue, calls wait for the reconnection, up to the store's timeout.)
const redis = new Redis(required('REDIS_URL'), { enableOfflineQueue: false, retryStrategy: (times) => Math.min(times * 50, 500) });
redis.on('error', () => {}); // the store reports failures per call (503); ioredis reconnects on its own
const store = new RedisStore(redis, { timeout: Number(process.env.STORE_TIMEOUT ?? 2) }); // STORE_TIMEOUT: seconds per call
const lease = process.env.LEASE_SECONDS ? Number(process.env.LEASE_SECONDS) : undefined;
const sideEffects = fs.openSync(required('SIDE_EFFECTS_FILE'), 'a');

const app = express();
app.post('/webhooks/bullseye', expressMiddleware(webhook, { dedupe: store, lease }), (req, res) => {
  fs.appendFileSync(sideEffects, `${deliveryKeyOf(req.bullseyeEvent)}\t${process.pid}\n`);
  res.json({ ok: true });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

function stop() {
  server.close();
  redis.disconnect();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
