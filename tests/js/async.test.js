'use strict';
// The async path (verifyAsync, constructEventAsync) on the package
// BULLSEYE_IMPL names, over every verify and construct_event case of
// fixtures/vectors.json and every case of fixtures/bitnob-vectors.json
// (tests/js/async-cases.mjs, which Chromium and workerd run too): the
// vectors' codes, and events equal to the sync path's. In Node both packages
// compute the HMAC themselves (Web Crypto is slower here); the Web Crypto
// path runs in Node in bindings-wasm/tests/async.test.mjs, and in Chromium
// and workerd in tests/js/node/edge.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { lib, name, FIXTURES } = require('./impl.js');

const read = (file) => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));

function payloadFiles() {
  const dir = path.join(FIXTURES, 'payloads');
  return new Map(fs.readdirSync(dir).map((file) => [file, new Uint8Array(fs.readFileSync(path.join(dir, file)))]));
}

test(`the async path gives every vector's answer (${name})`, async () => {
  const { runAsyncVectors } = await import('./async-cases.mjs');
  const report = await runAsyncVectors(lib, read('vectors.json'), read('bitnob-vectors.json'), payloadFiles());
  assert.deepEqual(report.failures.slice(0, 20), [], `${report.failures.length} failures`);
  assert.ok(report.cases > 1200, `only ${report.cases} Bullseye cases ran`);
  assert.ok(report.bitnobCases >= 100, `only ${report.bitnobCases} Bitnob cases ran`);
});

test(`the async methods reject (never throw) and take what the sync ones take (${name})`, async () => {
  const body = '{"event":"visitor.identified","timestamp":"2024-01-15T10:30:00Z"}';
  const signature = lib.sign('whsec_async', body);
  const webhook = new lib.Webhook(['whsec_other', 'whsec_async'], { tolerance: 300 });
  const calls = [
    () => webhook.verifyAsync({ parsed: true }, signature),
    () => webhook.verifyAsync(body, 42),
    () => webhook.constructEventAsync(body, signature, { now: 'soon' }),
  ];
  for (const call of calls) {
    const pending = call();
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending);
  }
  await assert.rejects(webhook.verifyAsync({ parsed: true }, signature), (e) => e instanceof lib.WebhookError && e.code === 'invalid_body');
  await assert.rejects(webhook.verifyAsync(body, 42), TypeError);
  assert.equal(await webhook.verifyAsync(Buffer.from(body), { 'X-Bullseye-Signature': signature }), undefined);
  const at = Date.parse('2024-01-15T10:31:00Z');
  const event = await webhook.constructEventAsync(new TextEncoder().encode(body).buffer, signature, { now: new Date(at) });
  assert.deepEqual({ ...event }, { event: 'visitor.identified', timestamp: '2024-01-15T10:30:00Z', event_type: 'visitor.identified' });
  await assert.rejects(webhook.constructEventAsync(body, signature, { now: at + 3_600_000 }), (e) => e.code === 'timestamp_out_of_tolerance');
  // Secrets never show, whichever path ran.
  assert.doesNotMatch(JSON.stringify(webhook) + require('node:util').inspect(webhook), /whsec_/);
});
