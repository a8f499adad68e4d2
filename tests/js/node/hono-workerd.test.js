'use strict';
// honoMiddleware in a real workerd (Miniflare, pinned in bindings-node's dev
// dependencies): hono-worker.mjs, a Hono app, is bundled by esbuild as
// wrangler bundles a Worker (conditions workerd and worker, the .wasm kept as
// a module of its own), so `bullseye-webhooks` is the Node package's
// `workerd` export (the WebAssembly build). Signed, tampered and unsigned
// deliveries go through workerd's HTTP entry; the refusal is logged once,
// without the secret, the signature or a body byte.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../impl.js');
const { requireDev } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

const { Miniflare } = requireDev('miniflare');
const { bundleWorker } = require('./workerd-bundle.js');
const PKG = path.join(ROOT, 'bindings-node');

let mf;
let modules;

test.before(async () => {
  // `bullseye-webhooks` resolves to the package folder, `hono` to the dev dependency.
  modules = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-hono-workerd-'));
  fs.mkdirSync(path.join(modules, 'node_modules'));
  fs.symlinkSync(PKG, path.join(modules, 'node_modules', 'bullseye-webhooks'));
  const worker = await bundleWorker(path.join(__dirname, 'hono-worker.mjs'), [path.join(modules, 'node_modules'), path.join(PKG, 'node_modules')]);
  assert.doesNotMatch(worker.script, /napi|\.node['"]/, 'the Worker bundle holds the Node entry');
  assert.ok(worker.modules.length > 1, 'the Worker bundle imports no .wasm: not the workerd export');
  mf = new Miniflare({
    modules: worker.modules,
    compatibilityDate: '2026-04-01',
    bindings: { BULLSEYE_WEBHOOK_SECRET: SECRET },
    durableObjects: { CLAIMS: 'DeliveryClaims' },
  });
});

test.after(async () => {
  await mf?.dispose();
  if (modules) fs.rmSync(modules, { recursive: true, force: true });
});

async function deliver(body, headers, route = '/webhooks/bullseye') {
  const response = await mf.dispatchFetch(`http://worker.test${route}`, { method: 'POST', body, headers });
  return { status: response.status, json: await response.json() };
}

test('in workerd, a signed delivery reaches the Hono route with the event on c.get("bullseyeEvent")', { timeout: 60_000 }, async () => {
  assert.deepEqual(await deliver(identification, { 'x-bullseye-signature': signed }), { status: 200, json: { received: 'visitor.identified' } });
});

test('in workerd, a tampered delivery is answered 401 signature_mismatch and logged once, without secret, signature or body', { timeout: 60_000 }, async () => {
  assert.deepEqual(await deliver(tampered, { 'x-bullseye-signature': signed }), { status: 401, json: { error: 'signature_mismatch' } });
  const records = await (await mf.dispatchFetch('http://worker.test/records')).json();
  assert.equal(records.length, 1, JSON.stringify(records));
  assert.match(records[0], /signature_mismatch/);
  assert.ok(!records[0].includes(SECRET) && !records[0].includes(signed) && !records[0].includes('visitor'), records[0]);
});

test('in workerd, an unsigned delivery is answered 400 missing_signature', { timeout: 60_000 }, async () => {
  assert.deepEqual(await deliver(identification, {}), { status: 400, json: { error: 'missing_signature' } });
});

test('in workerd, honoMiddleware with a DurableObjectStore handles a delivery once and answers its copy as a duplicate', { timeout: 60_000 }, async () => {
  const once = (body) => deliver(body, { 'x-bullseye-signature': signed }, '/webhooks/bullseye-once');
  assert.deepEqual(await once(identification), { status: 200, json: { received: 'visitor.identified' } });
  assert.deepEqual(await once(identification), { status: 200, json: { duplicate: true } });
  assert.equal(await (await mf.dispatchFetch('http://worker.test/runs')).json(), 1);
});
