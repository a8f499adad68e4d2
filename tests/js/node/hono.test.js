'use strict';
// The Hono middleware against a real Hono app served by @hono/node-server on
// 127.0.0.1: signed, tampered and unsigned deliveries, and one refusal log.
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { requireDev, post } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

const { Hono } = requireDev('hono');
const { serve } = requireDev('@hono/node-server');
const { Webhook, MemoryStore, honoMiddleware } = lib;

let server;
let base;
const records = [];

test.before(async () => {
  const app = new Hono();
  const logger = { warn: (message) => records.push(message) };
  app.post('/hook', honoMiddleware(new Webhook(SECRET), { logger }), (c) => c.json({ received: c.get('bullseyeEvent').event }));
  app.post('/once', honoMiddleware(new Webhook(SECRET), { dedupe: new MemoryStore(), lease: 30, retention: 60 }), (c) => c.json({ received: c.get('bullseyeEvent').event }));
  await new Promise((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      base = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});

test.after(() => new Promise((resolve) => server.close(resolve)));

test('a signed delivery reaches the route with the event on c.get("bullseyeEvent")', async () => {
  const answer = await post(`${base}/hook`, identification, { 'x-bullseye-signature': signed });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, { received: 'visitor.identified' });
});

test('a tampered delivery is answered 401 signature_mismatch, logged once without secret, signature or body', async () => {
  records.length = 0;
  const answer = await post(`${base}/hook`, tampered, { 'x-bullseye-signature': signed });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, { error: 'signature_mismatch' });
  assert.equal(records.length, 1);
  assert.match(records[0], /signature_mismatch/);
  assert.ok(!records[0].includes(SECRET) && !records[0].includes(signed) && !records[0].includes('visitor'));
});

test('an unsigned delivery is answered 400 missing_signature', async () => {
  const answer = await post(`${base}/hook`, identification);
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.json, { error: 'missing_signature' });
});

test('with a MemoryStore (the Node package), a redelivery is answered {"duplicate": true} without reaching the route', async () => {
  const first = await post(`${base}/once`, identification, { 'x-bullseye-signature': signed });
  assert.deepEqual([first.status, first.json], [200, { received: 'visitor.identified' }]);
  const again = await post(`${base}/once`, identification, { 'x-bullseye-signature': signed });
  assert.deepEqual([again.status, again.json], [200, { duplicate: true }]);
});
