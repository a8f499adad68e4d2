'use strict';
// De-duplication with the store down: Redis (a real redis-server of each
// test's own) killed mid-run under every integration, over both clients.
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { RedisServer } = require('./redis-server.js');
const { CLIENTS, calls, delivery, recorder, send, sendSettled, serve, sleep } = require('./dedupe-helpers.js');

const { RedisStore } = lib;

/**
 * Redis killed mid-run: each integration answers 503 with Retry-After and
 * does not call the handler; with onStoreError 'process' it calls the
 * handler and warns; once Redis is back, the sender's retry is handled,
 * once.
 */
async function storeDown(t, integration, clientName) {
  const server = await RedisServer.start();
  t.after(() => server.stop());
  const client = await CLIENTS[clientName](server.url);
  const store = new RedisStore(client, { timeout: 0.5 });
  const strictLog = recorder();
  const openLog = recorder();
  const strictUrl = await serve(t, integration, { dedupe: store, logger: strictLog });
  const openUrl = await serve(t, integration, { dedupe: store, onStoreError: 'process', logger: openLog });

  const before = delivery();
  assert.equal((await send(strictUrl, before)).status, 200);

  await server.kill();
  const lost = delivery();
  const down = await send(strictUrl, lost);
  assert.deepEqual([down.status, down.json], [503, { error: 'store_unavailable' }]);
  assert.equal(down.headers.get('retry-after'), '30');
  assert.equal(calls.get(lost.sessionId), undefined, 'the handler is not called while the store is down');
  assert.ok(strictLog.lines.some(([level, line]) => level === 'warn' && /store failed .*answered 503/.test(line)), JSON.stringify(strictLog.lines));

  const open = delivery();
  const processedAnyway = await send(openUrl, open);
  assert.equal(processedAnyway.status, 200, processedAnyway.text);
  assert.equal(calls.get(open.sessionId), 1);
  assert.ok(openLog.lines.some(([level, line]) => level === 'warn' && /onStoreError: 'process'/.test(line)), JSON.stringify(openLog.lines));

  // Back (empty: no persistence in this test): the retry is handled once,
  // then it is a duplicate.
  await server.restart();
  let answer;
  for (let i = 0; i < 100; i++) {
    answer = await send(strictUrl, lost);
    if (answer.status === 200) break;
    assert.ok([409, 503].includes(answer.status), `${answer.status} ${answer.text}`);
    await sleep(50);
  }
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { processed: true, status: 200, key: `bullseye:org_dedupe:visitor.identified:${lost.sessionId}` });
  assert.deepEqual((await sendSettled(strictUrl, lost)).json, { duplicate: true });
  assert.equal(calls.get(lost.sessionId), 1);
}

for (const [integration, clientName] of [
  ['express', 'ioredis'],
  ['express', 'node-redis'],
  ['fastify', 'ioredis'],
  ['fastify', 'node-redis'],
  ['fetch', 'ioredis'],
  ['fetch', 'node-redis'],
]) {
  test(`${integration} over ${clientName}: Redis killed -> 503 + Retry-After; onStoreError 'process' handles it; back -> handled once`, async (t) => {
    await storeDown(t, integration, clientName);
  });
}
