// The async path on Web Crypto, in Node: the package's web entry with the
// user agent of a runtime other than Node (in Node itself the async path
// keeps the .wasm's HMAC, which is faster there), over every verify and
// construct_event case of fixtures/vectors.json and every Bitnob case
// (tests/js/async-cases.mjs, which Chromium and workerd run too). A spy on
// crypto.subtle.verify shows the compares ran in Web Crypto: one per secret
// per delivery that passes the checks before hashing, none for the others.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'fixtures');

// Before the package is imported: a runtime that is not Node.
Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'bullseye-webhooks-test/1 (not Node)' }, configurable: true });
const signs = []; // the body length of each crypto.subtle.verify
const verify = crypto.subtle.verify.bind(crypto.subtle);
crypto.subtle.verify = (algorithm, key, signature, data) => {
  signs.push(data.byteLength);
  return verify(algorithm, key, signature, data);
};

const lib = await import('../index.js');
lib.initSync(readFileSync(join(ROOT, 'bindings-wasm', 'pkg', 'bullseye_webhooks_wasm_bg.wasm')));
lib.initBitnobSync(readFileSync(join(ROOT, 'bindings-wasm', 'pkg', 'bullseye_webhooks_bitnob_bg.wasm')));
const { runAsyncVectors } = await import('../../tests/js/async-cases.mjs');

const read = (file) => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

test('the async path on Web Crypto gives every vector the sync path\'s answer', async () => {
  const dir = join(FIXTURES, 'payloads');
  const files = new Map(readdirSync(dir).map((file) => [file, new Uint8Array(readFileSync(join(dir, file)))]));
  signs.length = 0;
  const report = await runAsyncVectors(lib, read('vectors.json'), read('bitnob-vectors.json'), files);
  assert.deepEqual(report.failures.slice(0, 20), [], `${report.failures.length} failures`);
  assert.ok(report.cases > 1200 && report.bitnobCases >= 100, JSON.stringify(report));
  assert.ok(signs.length > 1000, `Web Crypto verified only ${signs.length} times`);
});

test('the compares run in Web Crypto, one per secret, only after the checks before hashing', async () => {
  const body = '{"event":"billing.credits_low"}';
  const webhook = new lib.Webhook(['whsec_a', 'whsec_b', 'whsec_c'], { maxBodyBytes: 100 });
  signs.length = 0;
  await webhook.verifyAsync(body, lib.sign('whsec_c', body));
  assert.deepEqual(signs, [body.length, body.length, body.length]);
  signs.length = 0;
  await assert.rejects(webhook.verifyAsync('x'.repeat(101), lib.sign('whsec_a', 'x')), (e) => e.code === 'body_too_large');
  await assert.rejects(webhook.verifyAsync(body, ''), (e) => e.code === 'missing_signature');
  await assert.rejects(webhook.verifyAsync(body, 'not hex'), (e) => e.code === 'malformed_signature');
  await assert.rejects(webhook.constructEventAsync(body, 'ab'.repeat(33)), (e) => e.code === 'malformed_signature');
  assert.deepEqual(signs, [], 'no hashing before the size and shape checks pass');
  await assert.rejects(webhook.verifyAsync(body, lib.sign('whsec_d', body)), (e) => e.code === 'signature_mismatch');
  assert.equal(signs.length, 3, 'every secret is tried for a mismatch too');
  // The sync API is unchanged and never calls Web Crypto.
  signs.length = 0;
  webhook.verify(body, lib.sign('whsec_b', body));
  assert.equal(webhook.constructEvent(body, lib.sign('whsec_a', body)).event_type, 'billing.credits_low');
  assert.deepEqual(signs, []);
});

test('the event is read from the bytes that were hashed, whatever the caller does to its buffer meanwhile', async () => {
  const body = new TextEncoder().encode('{"event":"billing.credits_low","n":1}');
  const webhook = new lib.Webhook('whsec_a');
  const signature = lib.sign('whsec_a', body);
  await webhook.constructEventAsync(body.slice(), signature); // its key imported: the next call awaits only the MAC
  signs.length = 0;
  const pending = webhook.constructEventAsync(body, signature);
  body.set(new TextEncoder().encode('2'), body.indexOf(0x31)); // "n":1 -> "n":2 while the MAC is awaited
  const event = await pending;
  assert.equal(signs.length, 1, 'the MAC was computed by Web Crypto');
  assert.deepEqual(Object.entries(event), [['event', 'billing.credits_low'], ['n', 1], ['event_type', 'billing.credits_low']]);
  // A body that is still too large is refused before any copy or hash.
  signs.length = 0;
  const small = new lib.Webhook('whsec_a', { maxBodyBytes: 10 });
  await assert.rejects(small.constructEventAsync(body, signature), (e) => e.code === 'body_too_large');
  assert.deepEqual(signs, []);
});

test('a signature with a non-ASCII character standing for a hex digit is malformed, as in the sync path', async () => {
  // Each character's low 7 bits are the digit it replaces ('é' is 0xE9,
  // whose low bits are 'i'; these are '0' to '9' and 'a' to 'f' plus 0x80,
  // 0x100 or 0xFF00): a decoder that looked at those bits alone would read
  // the right MAC, and Web Crypto would accept it.
  const body = '{"event":"billing.credits_low"}';
  const webhook = new lib.Webhook('whsec_a');
  const signature = lib.sign('whsec_a', body);
  for (const offset of [0x80, 0x100, 0xff00]) {
    for (const at of [0, 63]) {
      const forged = signature.slice(0, at) + String.fromCharCode(signature.charCodeAt(at) + offset) + signature.slice(at + 1);
      assert.equal(forged.length, 64);
      assert.throws(() => webhook.verify(body, forged), (e) => e.code === 'malformed_signature');
      signs.length = 0;
      await assert.rejects(webhook.verifyAsync(body, forged), (e) => e.code === 'malformed_signature');
      await assert.rejects(webhook.constructEventAsync(body, forged), (e) => e.code === 'malformed_signature');
      assert.deepEqual(signs, [], 'refused before any hashing');
    }
  }
  // The same signature in capitals is the same MAC.
  await webhook.verifyAsync(body, signature.toUpperCase());
});
