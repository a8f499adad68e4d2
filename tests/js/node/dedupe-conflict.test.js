'use strict';
// delivery_conflict over HTTP: the same key with another body, refused (done,
// in flight) or processed once with onConflict 'process', in every
// integration over every store, logged with both hashes and never the body.
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { INTEGRATIONS, calls, delivery, otherBody, recorder, send, serve, sha256, sleep, storesOn, useRedis, webhook } = require('./dedupe-helpers.js');

const { MemoryStore, expressMiddleware } = lib;

const redis = useRedis();
const STORES = storesOn(redis);

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
