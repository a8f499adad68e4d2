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
const hashes = []; // and its key's hash
const verify = crypto.subtle.verify.bind(crypto.subtle);
crypto.subtle.verify = (algorithm, key, signature, data) => {
  signs.push(data.byteLength);
  hashes.push(key.algorithm.hash.name);
  return verify(algorithm, key, signature, data);
};
const imports = []; // the hash of each crypto.subtle.importKey
const importKey = crypto.subtle.importKey.bind(crypto.subtle);
crypto.subtle.importKey = (format, keyData, algorithm, ...rest) => {
  imports.push(algorithm.hash);
  return importKey(format, keyData, algorithm, ...rest);
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
  assert.deepEqual(hashes.filter((hash) => hash !== 'SHA-256'), [], 'the legacy Bitnob vectors are the core\'s to hash');
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

test('Bitnob: the timestamped MACs are Web Crypto\'s, under every secret, after the checks before hashing; the legacy ones the core\'s', async () => {
  const body = '{"event":"virtualcard.transaction.debit","data":{"id":"tx_1"}}';
  const sent = 1700000000;
  const now = { now: sent * 1000 };
  imports.length = 0;
  const bitnob = new lib.BitnobWebhook(['bn_new', 'bn_old'], { maxBodyBytes: 100 });
  await bitnob.verifyAsync(body, {}, now).catch(() => {}); // its keys imported
  // Once per secret, not per delivery; no SHA-512 key (the legacy scheme is the core's).
  assert.deepEqual(imports, ['SHA-256', 'SHA-256']);
  const timestamped = { 'X-Bitnob-Signature': lib.signBitnob('bn_old', body, sent), 'X-Bitnob-Timestamp': String(sent) };
  const message = `${sent}.${body}`.length;
  signs.length = hashes.length = 0;
  await bitnob.verifyAsync(body, timestamped, now);
  const event = await bitnob.constructEventAsync(body, timestamped, now);
  assert.equal(event.event_type, 'virtualcard.transaction.debit');
  assert.deepEqual(signs, [message, message, message, message]);
  assert.deepEqual(hashes, ['SHA-256', 'SHA-256', 'SHA-256', 'SHA-256']);
  // The legacy scheme, HMAC-SHA512 of the body alone: hashed by the core (the
  // .wasm's SHA-512 is the faster for Bitnob's bodies), with the same answers.
  const legacy = { 'x-bitnob-signature': lib.signBitnobLegacy('bn_new', body) };
  signs.length = hashes.length = 0;
  await bitnob.verifyAsync(body, legacy);
  assert.equal((await bitnob.constructEventAsync(body, legacy)).data.id, 'tx_1');
  await assert.rejects(bitnob.verifyAsync(body, { 'x-bitnob-signature': lib.signBitnobLegacy('bn_other', body) }), (e) => e.code === 'signature_mismatch');
  assert.deepEqual(signs, []);
  // Refused before any hashing.
  signs.length = 0;
  const big = 'x'.repeat(101);
  await assert.rejects(bitnob.verifyAsync(big, { 'x-bitnob-signature': lib.signBitnob('bn_new', big, sent), 'x-bitnob-timestamp': String(sent) }, now), (e) => e.code === 'body_too_large');
  await assert.rejects(bitnob.constructEventAsync(body, { 'x-bitnob-timestamp': String(sent) }, now), (e) => e.code === 'missing_signature');
  await assert.rejects(bitnob.verifyAsync(body, { 'x-bitnob-signature': 'ab'.repeat(33) }, now), (e) => e.code === 'malformed_signature');
  await assert.rejects(bitnob.verifyAsync(body, { 'x-bitnob-signature': 'zz'.repeat(32) }, now), (e) => e.code === 'malformed_signature');
  const noLegacy = new lib.BitnobWebhook('bn_new', { legacySha512: false });
  await assert.rejects(noLegacy.constructEventAsync(body, legacy), (e) => e.code === 'malformed_signature');
  assert.deepEqual(signs, [], 'no hashing before the size and shape checks pass');
  // A mismatch tries every secret too; the window comes after the MACs.
  await assert.rejects(bitnob.verifyAsync(body, { ...timestamped, 'X-Bitnob-Timestamp': String(sent + 1) }, now), (e) => e.code === 'signature_mismatch');
  assert.equal(signs.length, 2);
  await assert.rejects(bitnob.constructEventAsync(body, timestamped, { now: (sent + 301) * 1000 }), (e) => e.code === 'timestamp_out_of_tolerance');
  assert.equal(signs.length, 4);
  // The sync API never calls Web Crypto.
  signs.length = 0;
  bitnob.verify(body, timestamped, now);
  bitnob.constructEvent(body, legacy);
  assert.deepEqual(signs, []);
});

test('Bitnob: the timestamp is hashed as the core reads it, and the event read from the bytes hashed', async () => {
  const body = new TextEncoder().encode('{"event":"wallet.credited","n":1}');
  const bitnob = new lib.BitnobWebhook('bn_a', { tolerance: null });
  // Not trimmed, repeats joined with ", ", not ASCII: the core's text, hashed as its UTF-8.
  for (const [headers, timestamp] of [
    [[['X-Bitnob-Timestamp', ' 17e8 ']], ' 17e8 '],
    [[['x-bitnob-timestamp', '1'], ['X-BITNOB-TIMESTAMP', 'é']], '1, é'],
    [[], ''],
  ]) {
    const signed = [...headers, ['X-Bitnob-Signature', lib.signBitnob('bn_a', body, timestamp)]];
    signs.length = 0;
    await bitnob.verifyAsync(body, signed);
    assert.deepEqual(signs, [new TextEncoder().encode(`${timestamp}.`).length + body.length], JSON.stringify(timestamp));
  }
  const headers = { 'x-bitnob-signature': lib.signBitnob('bn_a', body, 1700000000), 'x-bitnob-timestamp': '1700000000' };
  await bitnob.constructEventAsync(body.slice(), headers); // its keys imported: the next call awaits only the MAC
  for (const signature of [headers, { 'x-bitnob-signature': lib.signBitnobLegacy('bn_a', body) }]) {
    const mine = body.slice();
    signs.length = 0;
    const pending = bitnob.constructEventAsync(mine, signature);
    mine.set(new TextEncoder().encode('2'), mine.indexOf(0x31)); // "n":1 -> "n":2 while the MAC is awaited
    const event = await pending;
    // The timestamped MAC by Web Crypto, awaited; the legacy one by the core, before the call returns.
    assert.equal(signs.length, signature === headers ? 1 : 0);
    assert.deepEqual(Object.entries(event), [['event', 'wallet.credited'], ['n', 1], ['event_type', 'wallet.credited']]);
  }
});

test('Bitnob: unusual headers give the async path the sync path\'s answers', async () => {
  const body = '{"event":"wallet.credited"}';
  const sent = '1700000000';
  const bitnob = new lib.BitnobWebhook(['bn_a', 'bn_b'], { tolerance: null });
  const signature = lib.signBitnob('bn_b', body, sent);
  const outcome = async (call) => {
    try {
      const value = await call();
      return value === undefined ? 'ok' : JSON.stringify(value);
    } catch (error) {
      return error.code ?? `${error.name}: ${error.message}`;
    }
  };
  const cases = [
    [['X-Bitnob-Timestamp\t', sent], [' x-bitnob-signature ', signature]],
    [['x-bitnob-timestamp-2', '1'], ['X-Bitnob-Timestamp', sent], ['x-bitnob-signature', signature]],
    [['x-bitnob-signature', signature], ['x-bitnob-timestamp', `${sent}\0`]],
    [['x-bitnob-signature', signature], ['x-bitnob-timestamp', sent], ['x-bitnob-event', 'wallet.credited\uD800']],
    [['x-bitnob-signature', signature], ['x-bitnob-timestamp', sent], ['x-other\uDC00', '\uD83D'], ['x-bitnob-event', '\uDE00wallet.credited']],
    [...Array.from({ length: 20 }, (_, i) => [`x-edge-${i}`, `v${i}\0`]), ['X-BITNOB-SIGNATURE', signature], ['x-bitnob-timestamp', sent]],
  ];
  let verified = 0;
  for (const headers of cases) {
    signs.length = 0;
    const sync = [await outcome(() => bitnob.verify(body, headers)), await outcome(() => bitnob.constructEvent(body, headers))];
    const asynchronous = [await outcome(() => bitnob.verifyAsync(body, headers)), await outcome(() => bitnob.constructEventAsync(body, headers))];
    assert.deepEqual(asynchronous, sync, JSON.stringify(headers));
    if (sync[0] === 'ok') verified++;
    assert.equal(signs.length, 4, 'both async calls hashed by Web Crypto, under both secrets');
  }
  assert.ok(verified >= 4, `only ${verified} of the deliveries verified`);
});
