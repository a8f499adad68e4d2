// The sync path in Node (the Node entry): the HMAC of the body under each
// secret is node:crypto's, handed to the core's checkMacs, and every answer
// is the one the core gives when it hashes itself. Each case runs through
// two Webhooks with the same secrets: one made as the entry makes it
// (node:crypto), one made where Node has no process.getBuiltinModule (so
// the core hashes, as before); the answers must be equal, and a spy on
// node:crypto's HMAC shows which deliveries were hashed, and how often.
// (The shared suite, tests/js with BULLSEYE_IMPL=wasm, and the conformance
// run take every vector through this path too.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { format, inspect } from 'node:util';

// Before the package makes any key: the body length of each HMAC update.
const nodeCrypto = process.getBuiltinModule('node:crypto');
const hashed = [];
let failing = false; // node:crypto throwing, as a broken OpenSSL would
const createHmac = nodeCrypto.createHmac;
nodeCrypto.createHmac = (algorithm, key) => {
  if (failing) throw new Error('node:crypto: failing, as the test asks');
  const hmac = createHmac(algorithm, key);
  const update = hmac.update.bind(hmac);
  hmac.update = (data) => {
    hashed.push(data.byteLength);
    return update(data);
  };
  return hmac;
};

const lib = await import('../node.js');
const { Webhook, WebhookError, sign } = lib;
const PKG = new URL('..', import.meta.url);
const identification = new Uint8Array(readFileSync(new URL('../../fixtures/payloads/identification-event.json', import.meta.url)));
const IDENTIFIED_AT = Date.parse('2025-01-15T10:30:00Z');

/** A Webhook made where Node has no process.getBuiltinModule: the core's own HMAC. */
function coreHashing(secrets, options) {
  const getBuiltinModule = process.getBuiltinModule;
  process.getBuiltinModule = undefined;
  try {
    return new Webhook(secrets, options);
  } finally {
    process.getBuiltinModule = getBuiltinModule;
  }
}

/** What a call answers, comparable across the two paths. */
function outcome(run) {
  try {
    return { value: run() };
  } catch (error) {
    return { thrown: error.constructor.name, code: error.code, status: error.status, message: error.message };
  }
}

/**
 * `run(webhook)` through node:crypto's path and the core's: equal answers.
 * Answers node:crypto's answer and the body lengths it hashed.
 */
function bothPaths(secrets, options, run) {
  const viaNode = new Webhook(secrets, options);
  const viaCore = coreHashing(secrets, options);
  hashed.length = 0;
  const answer = outcome(() => run(viaNode));
  const nodeHashed = [...hashed];
  hashed.length = 0;
  assert.deepEqual(outcome(() => run(viaCore)), answer);
  assert.deepEqual(hashed, [], 'the core-hashing Webhook never calls node:crypto');
  return [answer, nodeHashed];
}

const SECRET = 'whsec_node_hmac';
const good = sign(SECRET, identification);

test('a good signature verifies and constructs the event, hashed once by node:crypto', () => {
  const [verified, hashes] = bothPaths(SECRET, undefined, (w) => w.verify(identification, good));
  assert.deepEqual(verified, { value: undefined });
  assert.deepEqual(hashes, [identification.byteLength]);
  // The same body as text, a Buffer, an ArrayBuffer and a DataView; a signature in capitals with whitespace around.
  const text = new TextDecoder().decode(identification);
  const views = [text, Buffer.from(identification), identification.slice().buffer, new DataView(identification.slice().buffer)];
  for (const body of views) assert.deepEqual(bothPaths(SECRET, undefined, (w) => w.verify(body, good))[0], { value: undefined });
  assert.deepEqual(bothPaths(SECRET, undefined, (w) => w.verify(identification, ` ${good.toUpperCase()}\t`))[1], [identification.byteLength]);
  const [event] = bothPaths(SECRET, { tolerance: 300 }, (w) => w.constructEvent(identification, { 'X-Bullseye-Signature': good }, { now: IDENTIFIED_AT }));
  assert.equal(event.value.event_type, 'visitor.identified');
  assert.equal(event.value.visitor.email, 'jane.doe@acme-industries.example');
  // The known answer: HMAC-SHA256 of '{}' under 'whsec_test' (core/src/webhook.rs's doctest).
  const known = '46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440';
  assert.deepEqual(bothPaths('whsec_test', undefined, (w) => w.verify('{}', known)), [{ value: undefined }, [2]]);
});

test('rotated secrets: a match on the second, and every secret hashed whichever matches', () => {
  const secrets = ['whsec_old', new TextEncoder().encode('whsec_new'), 'whsec_spare'];
  const body = '{"event":"billing.credits_low","credits":12}';
  for (const signer of ['whsec_old', 'whsec_new', 'whsec_spare']) {
    assert.deepEqual(bothPaths(secrets, undefined, (w) => w.verify(body, sign(signer, body))), [{ value: undefined }, [body.length, body.length, body.length]]);
  }
  const [event, hashes] = bothPaths(secrets, undefined, (w) => w.constructEvent(body, sign('whsec_new', body)));
  assert.equal(event.value.event_type, 'billing.credits_low');
  assert.equal(hashes.length, 3);
  const [refused, tried] = bothPaths(secrets, undefined, (w) => w.verify(body, sign('whsec_unknown', body)));
  assert.equal(refused.code, 'signature_mismatch');
  assert.equal(tried.length, 3);
});

test('a tampered body is a signature_mismatch (401), after hashing under every secret', () => {
  const tampered = identification.slice();
  tampered[100] ^= 1;
  const [verified, hashes] = bothPaths([SECRET, 'whsec_b'], undefined, (w) => w.verify(tampered, good));
  assert.deepEqual([verified.thrown, verified.code, verified.status], ['WebhookError', 'signature_mismatch', 401]);
  assert.deepEqual(hashes, [tampered.byteLength, tampered.byteLength]);
  const [constructed] = bothPaths(SECRET, { tolerance: 300 }, (w) => w.constructEvent(tampered, good, { now: IDENTIFIED_AT }));
  assert.equal(constructed.code, 'signature_mismatch');
});

test('short, odd, non-hex or missing signatures are refused before any hashing', () => {
  const cases = [
    ['abcd', 'malformed_signature'],
    [good.slice(1), 'malformed_signature'],
    [`${good}0`, 'malformed_signature'],
    [`${good.slice(0, 63)}g`, 'malformed_signature'],
    [`sha256=${good}`, 'malformed_signature'],
    [`${good}, ${good}`, 'malformed_signature'],
    ['', 'missing_signature'],
    ['  \t', 'missing_signature'],
    [undefined, 'missing_signature'],
    [{ 'content-type': 'application/json' }, 'missing_signature'],
  ];
  for (const [signature, code] of cases) {
    for (const run of [(w) => w.verify(identification, signature), (w) => w.constructEvent(identification, signature)]) {
      const [answer, hashes] = bothPaths([SECRET, 'whsec_b'], undefined, run);
      assert.deepEqual([answer.thrown, answer.code, answer.status], ['WebhookError', code, 400], String(signature));
      assert.deepEqual(hashes, [], `${JSON.stringify(signature)}: hashed before the checks`);
    }
  }
});

test('a body over the limit is body_too_large (413) and never hashed; at the limit it is hashed', () => {
  const limit = 100;
  const over = 'x'.repeat(limit + 1);
  for (const signature of [sign(SECRET, over), 'zz', '']) {
    for (const run of [(w) => w.verify(over, signature), (w) => w.constructEvent(over, signature)]) {
      const [answer, hashes] = bothPaths(SECRET, { maxBodyBytes: limit }, run);
      assert.deepEqual([answer.code, answer.status], ['body_too_large', 413]);
      assert.deepEqual(hashes, []);
    }
  }
  const at = 'x'.repeat(limit);
  assert.deepEqual(bothPaths(SECRET, { maxBodyBytes: limit }, (w) => w.verify(at, sign(SECRET, at))), [{ value: undefined }, [limit]]);
});

test("constructEvent's checks after the signature, and the clock, answer as the core's", () => {
  const at = (now) => (w) => w.constructEvent(identification, good, { now });
  const late = bothPaths(SECRET, { tolerance: 300 }, at(IDENTIFIED_AT + 301_000))[0];
  assert.deepEqual([late.code, late.status], ['timestamp_out_of_tolerance', 401]);
  for (const [body, code] of [['[1]', 'invalid_body'], ['{"no":"type"}', 'invalid_payload'], [new Uint8Array([0xff, 0xfe]), 'invalid_body']]) {
    assert.equal(bothPaths(SECRET, undefined, (w) => w.constructEvent(body, sign(SECRET, body)))[0].code, code);
  }
  // Clocks the core refuses, with a good and with a bad signature: the refusal of the delivery wins.
  for (const now of [-1, 1e300]) {
    assert.equal(bothPaths(SECRET, { tolerance: 300 }, at(now))[0].thrown, 'TypeError');
    assert.equal(bothPaths(SECRET, { tolerance: 300 }, (w) => w.constructEvent(identification, 'ab', { now }))[0].code, 'malformed_signature');
  }
  // A body that is not UTF-8 is hashed as its bytes; a string as its UTF-8.
  const accented = '{"event":"billing.credits_low","note":"héllo \u{1f600}"}';
  assert.deepEqual(bothPaths(SECRET, undefined, (w) => w.verify(accented, sign(SECRET, new TextEncoder().encode(accented))))[0], { value: undefined });
});

test('verifyAsync and constructEventAsync in Node run this sync path', async () => {
  const webhook = new Webhook(SECRET);
  hashed.length = 0;
  await webhook.verifyAsync(identification, good);
  assert.equal((await webhook.constructEventAsync(identification, good)).event_type, 'visitor.identified');
  await assert.rejects(webhook.verifyAsync(identification, sign('other', identification)), (e) => e instanceof WebhookError && e.code === 'signature_mismatch');
  assert.deepEqual(hashed, [identification.byteLength, identification.byteLength, identification.byteLength]);
});

test("node:crypto's MACs do not stay in the module's memory after the core compared them", async () => {
  // initSync answers the instance the package already made (wasm-bindgen returns it once made).
  const { initSync } = await import('../pkg/bullseye_webhooks_wasm.js');
  const secrets = ['whsec_memory_a', 'whsec_memory_b'];
  const webhook = new Webhook(secrets);
  webhook.verify(identification, sign('whsec_memory_a', identification));
  const { memory } = initSync();
  // The MACs under each secret, computed here by node:crypto (the spy's original): with a
  // signature under neither secret, each is a MAC nobody sent, which would sign this body.
  const macs = secrets.map((secret) => new Uint8Array(createHmac('sha256', secret).update(identification).digest()));
  const held = () => {
    const heap = Buffer.from(memory.buffer);
    return macs.filter((mac) => heap.indexOf(mac) !== -1).length;
  };
  const other = sign('whsec_memory_other', identification);
  assert.throws(() => webhook.verify(identification, other), { code: 'signature_mismatch' });
  assert.equal(held(), 0, 'verify');
  assert.throws(() => webhook.constructEvent(identification, other), { code: 'signature_mismatch' });
  assert.equal(held(), 0, 'constructEvent');
  assert.equal(webhook.constructEvent(identification, sign('whsec_memory_b', identification)).event_type, 'visitor.identified');
  assert.equal(held(), 0, 'an accepted constructEvent');
});

test("the secrets never show: inspect, JSON and own keys; node:crypto's keys are its own copies", () => {
  const secret = new TextEncoder().encode('whsec_shown_nowhere');
  const webhook = new Webhook([secret, 'whsec_second_secret']);
  for (const shown of [inspect(webhook), inspect(webhook, { showHidden: true, depth: Infinity }), format('%o', webhook), JSON.stringify(webhook)]) {
    assert.doesNotMatch(shown, /whsec|KeyObject|symmetricKeySize/, shown);
    assert.match(shown, /REDACTED; 2/);
  }
  assert.deepEqual(Reflect.ownKeys(webhook), []);
  // The caller's bytes changed after: the keys were copied when the Webhook was made.
  const body = '{"event":"billing.credits_low"}';
  const signature = sign('whsec_shown_nowhere', body);
  secret.fill(0);
  hashed.length = 0;
  webhook.verify(body, signature);
  assert.equal(hashed.length, 2);
});

test('if node:crypto throws on a delivery, the core hashes it: the same answers', (t) => {
  t.after(() => {
    failing = false;
  });
  const body = '{"event":"billing.credits_low"}';
  for (const secrets of [SECRET, [SECRET, 'whsec_b']]) {
    const webhook = new Webhook(secrets);
    const viaCore = coreHashing(secrets);
    failing = true;
    for (const signature of [sign(SECRET, body), sign('whsec_other', body), 'zz', '']) {
      assert.deepEqual(outcome(() => webhook.verify(body, signature)), outcome(() => viaCore.verify(body, signature)));
      assert.deepEqual(outcome(() => webhook.constructEvent(body, signature)), outcome(() => viaCore.constructEvent(body, signature)));
    }
    assert.equal(outcome(() => webhook.constructEvent(body, sign(SECRET, body))).value.event_type, 'billing.credits_low');
    assert.equal(outcome(() => webhook.verify(body, sign('whsec_other', body))).code, 'signature_mismatch');
    failing = false;
  }
});

test("in FIPS mode node:crypto's HMAC is not used (its provider may refuse short keys)", (t) => {
  const getFips = nodeCrypto.getFips;
  t.after(() => {
    nodeCrypto.getFips = getFips;
  });
  nodeCrypto.getFips = () => 1;
  const webhook = new Webhook(SECRET);
  nodeCrypto.getFips = getFips;
  hashed.length = 0;
  webhook.verify(identification, good);
  assert.throws(() => webhook.verify(identification, sign('other', identification)), { code: 'signature_mismatch' });
  assert.deepEqual(hashed, []);
});

test('where the runtime is not Node (Deno, Bun take the Node entry), the core hashes, as before', () => {
  const script = `
    Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Deno/2.5.0' }, configurable: true });
    const nodeCrypto = process.getBuiltinModule('node:crypto');
    let calls = 0;
    const createHmac = nodeCrypto.createHmac;
    nodeCrypto.createHmac = (...args) => (calls++, createHmac(...args));
    const lib = await import('./node.js');
    const body = '{"event":"billing.credits_low"}';
    const webhook = new lib.Webhook('whsec_deno');
    webhook.verify(body, lib.sign('whsec_deno', body));
    let code;
    try { webhook.verify(body, lib.sign('whsec_other', body)); } catch (error) { code = error.code; }
    console.log(JSON.stringify([calls, code]));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PKG, encoding: 'utf8' }));
  assert.deepEqual(out, [0, 'signature_mismatch']);
});
