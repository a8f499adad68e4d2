// The wasm package's own API tests in Node (the shared vector suite in
// tests/js runs too, with BULLSEYE_IMPL=wasm): entries and init, constants
// against the core, Fetch Request helpers, errors, what the package may not
// use, and the TypeScript types.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import * as lib from '../node.js';
import * as glue from '../pkg/bullseye_webhooks_wasm.js';

const { Webhook, WebhookError, sign, ERROR_CODES } = lib;
const PKG = new URL('..', import.meta.url);
const FIXTURES = new URL('../../fixtures/payloads/', import.meta.url);
const SECRET = 'whsec_api_test';
const identification = readFileSync(new URL('identification-event.json', FIXTURES));
// Bitnob's signature of '{}' at 1700000000 under 'whsec_test': Python's
// hmac.new(b'whsec_test', b'1700000000.{}', hashlib.sha256).hexdigest().
const BITNOB_APP_SIGNATURE = '35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91';

test('every export is declared in index.d.ts and every declaration exported', () => {
  const dts = readFileSync(new URL('index.d.ts', PKG), 'utf8');
  const declared = [...dts.matchAll(/^export (?:class|function|const) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(lib).sort(), [...new Set(declared)].sort());
});

test('the Bullseye-only entry: the full one without Bitnob, every export declared in bullseye.d.ts, no init step', () => {
  const script = `
    import * as only from './bullseye-node.js';
    import * as full from './node.js';
    const secret = 'whsec_entry';
    const body = '{"event_type":"visitor.identified"}';
    console.log(JSON.stringify({
      only: Object.keys(only).sort(),
      full: Object.keys(full).sort(),
      same: only.Webhook === full.Webhook && only.WebhookError === full.WebhookError,
      signed: only.sign(secret, body) === full.sign(secret, body),
      verified: new only.Webhook(secret).verify(body, full.sign(secret, body)),
    }));`;
  const answer = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PKG, encoding: 'utf8' }));
  const bitnob = ['BitnobWebhook', 'initBitnob', 'initBitnobSync', 'secretLast4', 'signBitnob', 'signBitnobLegacy'];
  assert.deepEqual(answer.only, answer.full.filter((name) => !bitnob.includes(name)));
  assert.deepEqual(bitnob.filter((name) => !answer.full.includes(name)), []);
  assert.deepEqual([answer.same, answer.signed, answer.verified], [true, true, undefined]);
  const dts = readFileSync(new URL('bullseye.d.ts', PKG), 'utf8');
  const values = dts.slice(dts.indexOf('export {'), dts.indexOf('export type {'));
  const declared = [...values.matchAll(/^ {2}(\w+),$/gm)].map((m) => m[1]);
  assert.deepEqual([...declared].sort(), answer.only);
});

test('constants and error codes equal the core', () => {
  assert.deepEqual(lib.coreErrorCodes(), [...ERROR_CODES]);
  assert.equal(lib.SIGNATURE_HEADER, glue.signatureHeader());
  assert.equal(lib.VISIT_SIGNATURE_HEADER, glue.visitSignatureHeader());
  assert.equal(lib.DEFAULT_MAX_BODY_BYTES, glue.defaultMaxBodyBytes());
  assert.ok(Object.isFrozen(ERROR_CODES));
});

test('initialising again, synchronously or not, is harmless', async () => {
  const bytes = readFileSync(new URL('pkg/bullseye_webhooks_wasm_bg.wasm', PKG));
  lib.initSync({ module: new WebAssembly.Module(bytes) });
  lib.initSync(bytes);
  await lib.init(bytes);
  await lib.init();
  new Webhook(SECRET).verify(identification, sign(SECRET, identification));
});

test('the web entry explains itself before init, and works after initSync', () => {
  const script = `
    import * as web from './index.js';
    import { readFileSync } from 'node:fs';
    let before;
    try { new web.Webhook('s'); } catch (e) { before = e.message; }
    web.initSync({ module: readFileSync('./pkg/bullseye_webhooks_wasm_bg.wasm') });
    let bitnobBefore;
    try { new web.BitnobWebhook('s'); } catch (e) { bitnobBefore = e.message; }
    web.initBitnobSync({ module: readFileSync('./pkg/bullseye_webhooks_bitnob_bg.wasm') });
    console.log(JSON.stringify({
      before,
      signed: web.sign('whsec_test', '{}'),
      bitnobBefore,
      bitnobSigned: web.signBitnob('whsec_test', '{}', 1700000000),
    }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PKG, encoding: 'utf8' }));
  assert.match(out.before, /not initialised: call `await init\(\)`/);
  assert.equal(out.signed, '46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440');
  assert.match(out.bitnobBefore, /Bitnob verifier is not initialised: call `await initBitnob\(\)`/);
  assert.equal(out.bitnobSigned, BITNOB_APP_SIGNATURE);
});

test('the Node entry compiles no module on import, and the Bitnob one only when first used', () => {
  // Compiles counted by wrapping WebAssembly.Module before the import.
  const script = `
    const counted = [];
    const Module = WebAssembly.Module;
    const counting = function (bytes) { counted.push(bytes.byteLength); return new Module(bytes); };
    counting.prototype = Module.prototype;
    WebAssembly.Module = counting;
    const lib = await import('./node.js');
    const atImport = counted.length;
    lib.sign('whsec_test', '{}');
    const afterSign = counted.length;
    new lib.BitnobWebhook('whsec_test');
    new lib.BitnobWebhook('whsec_test');
    console.log(JSON.stringify([atImport, afterSign, counted.length]));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PKG, encoding: 'utf8' }));
  assert.deepEqual(out, [0, 1, 2]);
});

test('require() of the package directory gives the same API', () => {
  const out = execFileSync(process.execPath, ['-e', `const l = require(${JSON.stringify(PKG.pathname)}); console.log(l.sign('whsec_test', '{}'))`], {
    encoding: 'utf8',
  });
  assert.equal(out.trim(), '46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440');
});

test('failures are WebhookError instances with code and status; misuse is a TypeError', () => {
  const webhook = new Webhook(SECRET);
  const cases = [
    [() => webhook.verify(identification, 'zz'), 'malformed_signature', 400],
    [() => webhook.verify(identification, sign('other', identification)), 'signature_mismatch', 401],
    [() => webhook.verify(identification, {}), 'missing_signature', 400],
    [() => webhook.verify(JSON.parse(identification), 'x'), 'invalid_body', 400],
    [() => new Webhook(''), 'invalid_secret', 500],
    [() => new Webhook(undefined), 'invalid_secret', 500],
    [() => new Webhook(SECRET, { maxBodyBytes: 10 }).verify(identification, 'x'), 'body_too_large', 413],
    [() => webhook.constructEvent('[1]', sign(SECRET, '[1]')), 'invalid_body', 400],
  ];
  for (const [run, code, status] of cases) {
    assert.throws(run, (error) => error instanceof WebhookError && error.code === code && error.status === status, code);
  }
  assert.throws(() => webhook.verify(42, 'x'), TypeError);
  assert.throws(() => new Webhook(SECRET, { tolerance: -1 }), TypeError);
  assert.throws(() => new Webhook(SECRET, { nope: 1 }), TypeError);
  assert.throws(() => webhook.constructEvent('{}', 'x', { now: 'soon' }), TypeError);
});

test('secrets never show in inspect, JSON or error messages', () => {
  const webhook = new Webhook([SECRET, 'whsec_other']);
  assert.equal(inspect(webhook).includes('whsec'), false);
  assert.equal(JSON.stringify(webhook).includes('whsec'), false);
  assert.match(inspect(webhook), /REDACTED; 2/);
});

test('events are plain objects: the payload plus event_type; the clock is injectable', () => {
  const webhook = new Webhook(SECRET, { tolerance: 300 });
  const body = '{"event":"visitor.identified","timestamp":"2024-01-15T10:30:00Z","visitor":{"id":7,"email":"a@b.example"},"extra":1}';
  const at = Date.UTC(2024, 0, 15, 10, 31);
  const event = webhook.constructEvent(body, sign(SECRET, body), { now: new Date(at) });
  assert.deepEqual(event, { event: 'visitor.identified', event_type: 'visitor.identified', timestamp: '2024-01-15T10:30:00Z', visitor: { id: '7', email: 'a@b.example' }, extra: 1 });
  assert.ok(lib.isVisitorIdentified(event));
  assert.throws(() => webhook.constructEvent(body, sign(SECRET, body)), { code: 'timestamp_out_of_tolerance' });
});

function request(body, headers = {}) {
  return new Request('https://receiver.example/bullseye', { method: 'POST', body, headers });
}

test('verifyRequest and constructEventFromRequest read a Fetch Request', async () => {
  const webhook = new Webhook(SECRET, { maxBodyBytes: 8192 });
  const signature = sign(SECRET, identification);
  const verified = await webhook.verifyRequest(request(identification, { 'X-Bullseye-Signature': signature }));
  assert.deepEqual(Buffer.from(verified), identification);
  const event = await webhook.constructEventFromRequest(request(identification, { 'x-bullseye-signature': signature }));
  assert.equal(event.event_type, 'visitor.identified');
  assert.equal(typeof event.visitor.email, 'string');

  await assert.rejects(webhook.verifyRequest(request('{"x":1}', { 'x-bullseye-signature': signature })), { code: 'signature_mismatch' });
  await assert.rejects(webhook.verifyRequest(request('{}')), { code: 'missing_signature' });
  await assert.rejects(webhook.verifyRequest(request(new Uint8Array(9000), { 'content-length': '9000' })), { code: 'body_too_large' });
  const stream = new ReadableStream({
    pull(controller) {
      controller.enqueue(new Uint8Array(4096));
    },
  });
  await assert.rejects(webhook.verifyRequest(new Request('https://r.example/', { method: 'POST', body: stream, duplex: 'half' })), {
    code: 'body_too_large',
  });
  const used = request('{}', { 'x-bullseye-signature': sign(SECRET, '{}') });
  await used.text();
  await assert.rejects(webhook.verifyRequest(used), { code: 'invalid_body' });
  await assert.rejects(webhook.verifyRequest({}), TypeError);
});

test('the shipped JS uses no Buffer, node:crypto only from the Node entries, and Web Crypto only for the async path and the claims in workerd', () => {
  // Web Crypto: the async path's HMAC (verifier.js) and the check of where
  // it is faster (backend.js; tests/async.test.mjs shows the sync API never
  // calls it); in workerd, the body's hash kept with a claim (durable.js).
  // node:crypto: the Node entries give it to backend.js for the sync path's
  // HMAC (tests/node-hmac.test.mjs), taken when first used, never imported.
  const webCrypto = new Set(['backend.js', 'verifier.js', 'durable.js']);
  const nodeEntries = new Set(['node.js', 'bullseye-node.js']);
  const shared = ['support.js', 'inputs.js', 'answers.js', 'verifier.js', 'bitnob.js', 'webhooks.js'];
  for (const file of ['index.js', 'backend.js', 'backend-bitnob.js', 'bullseye.js', 'bullseye-node.js', 'bullseye-workerd.js', ...shared, 'workerd.js', 'durable.js', 'dedupe.js', 'node.js', 'pkg/bullseye_webhooks_wasm.js', 'pkg/bullseye_webhooks_bitnob.js']) {
    const code = readFileSync(new URL(file, PKG), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(code, /\bBuffer\b/, file);
    if (nodeEntries.has(file)) {
      assert.deepEqual(code.match(/.*node:crypto.*/g), ["  nodeCrypto: () => globalThis.process?.getBuiltinModule?.('node:crypto'),"], file);
    } else {
      assert.doesNotMatch(code, /node:crypto/, file);
    }
    if (!webCrypto.has(file)) assert.doesNotMatch(code, /crypto\.subtle|\bsubtle\b/, file);
  }
});

test('the types check under tsc --strict', () => {
  // The workerd entry's types apart (tsconfig.workerd.json): they add de-duplication to the handler's options.
  for (const config of ['tsconfig.json', 'tsconfig.workerd.json', 'tsconfig.bullseye.json']) {
    execFileSync(new URL('node_modules/.bin/tsc', PKG).pathname, ['-p', new URL(`tests/types/${config}`, PKG).pathname], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  }
});
