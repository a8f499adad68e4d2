'use strict';
// De-duplication in every integration (Express, Fastify, the Fetch handler),
// each on a real server on 127.0.0.1, over MemoryStore and RedisStore (both
// clients, a real redis-server): duplicate, in flight, failure then retry; the
// options' checks; lease and retention; a complete retried in the
// background; a client that leaves; waitForInFlight.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { lib } = require('../impl.js');
const { INTEGRATIONS, calls, countingStore, delivery, recorder, send, sendSettled, serve, sha256, sleep, storesOn, useRedis, webhook } = require('./dedupe-helpers.js');

const { MemoryStore, expressMiddleware } = lib;

const redis = useRedis();
const STORES = storesOn(redis);

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

for (const integration of Object.keys(INTEGRATIONS)) {
  for (const [storeName, makeStore] of Object.entries(STORES)) {
    test(`${integration} with ${storeName}: duplicate, in flight, failure then retry`, async (t) => {
      await outcomes(await serve(t, integration, { dedupe: await makeStore() }));
    });
  }
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
  const flaky = countingStore(2);
  const log = recorder();
  for (const integration of ['express', 'fetch']) {
    flaky.completes = 0;
    const url = await serve(t, integration, { dedupe: flaky, logger: log });
    const d = delivery();
    const answer = await send(url, d);
    assert.equal(answer.status, 200, 'a success stays a success');
    for (let i = 0; i < 100 && flaky.completes < 3; i++) await sleep(20);
    assert.equal(flaky.completes, 3);
    assert.deepEqual((await sendSettled(url, d)).json, { duplicate: true });
    assert.equal(calls.get(d.sessionId), 1);
  }
  assert.ok(log.lines.some(([level, line]) => level === 'error' && /complete failed .*retrying it in the background/.test(line)), JSON.stringify(log.lines));
  assert.ok(log.lines.some(([level, line]) => level === 'warn' && /complete succeeded on try 3/.test(line)), JSON.stringify(log.lines));
});

test('a logger needs only warn: without error, a store failure is logged with its warn', async (t) => {
  const flaky = countingStore(1);
  for (const integration of Object.keys(INTEGRATIONS)) {
    flaky.completes = 0;
    const lines = [];
    const logger = { warn: (line) => lines.push(['warn', line]), debug: (line) => lines.push(['debug', line]) };
    const url = await serve(t, integration, { dedupe: flaky, logger });
    const d = delivery();
    assert.equal((await send(url, d)).status, 200);
    for (let i = 0; i < 100 && flaky.completes < 2; i++) await sleep(20);
    assert.deepEqual((await sendSettled(url, d)).json, { duplicate: true });
    assert.ok(lines.some(([level, line]) => level === 'warn' && /complete failed .*retrying it in the background/.test(line)), `${integration}: ${JSON.stringify(lines)}`);
    assert.ok(lines.some(([level, line]) => level === 'warn' && /complete succeeded on try 2/.test(line)), `${integration}: ${JSON.stringify(lines)}`);
  }
  assert.throws(() => expressMiddleware(webhook, { dedupe: flaky, logger: { error: console.error } }), /logger must have a warn method/);
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
// Waiting for a copy in flight

for (const integration of Object.keys(INTEGRATIONS)) {
  test(`${integration}: waitForInFlight answers a duplicate once the first copy is done, or takes an ended lease`, async (t) => {
    const counting = countingStore();
    const { memory } = counting;
    const url = await serve(t, integration, { dedupe: counting, waitForInFlight: 20, logger: recorder() });
    let finish;
    const running = new Promise((resolve) => (finish = resolve));
    const slow = delivery([running]);
    const pending = send(url, slow);
    while ((calls.get(slow.sessionId) ?? 0) === 0) await sleep(5);
    const waiting = send(url, slow);
    while (counting.claims < 2) await sleep(5); // the copy found it in flight before it ends
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
