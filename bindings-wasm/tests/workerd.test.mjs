// In a real workerd through Miniflare, on the package's workerd entry:
// - the demo Worker (demo/worker.js) answers dispatchFetch per the receiver
//   protocol (200 signed, 401 tampered, 400 malformed or missing, 413 too
//   large), reading fields of the verified event, and its Bitnob route;
// - every case of fixtures/bitnob-vectors.json runs inside the Worker
//   (tests/bitnob-worker.js over tests/bitnob-cases.mjs);
// - a Worker on the Bullseye-only entry (`bullseye-webhooks-wasm/bullseye`),
//   bundled as wrangler bundles it, answers the same and carries nothing of
//   Bitnob's or of the Durable Object store.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { workerModules } from '../demo/miniflare.mjs';
import { bundledWorker } from '../bench/wrangler-bundle.mjs';
import { sign } from '../node.js';
import { checkWorker, withWorker } from './worker-checks.mjs';

const PKG = fileURLToPath(new URL('..', import.meta.url));

test('a Worker on the package answers in workerd: 200 signed, 401 tampered, 400 malformed, and Bitnob', { timeout: 120_000 }, async () => {
  await withWorker(PKG, checkWorker);
});

test('every Bitnob vector passes inside workerd', { timeout: 120_000 }, async () => {
  const options = workerModules(fileURLToPath(new URL('bitnob-worker.js', import.meta.url)), PKG);
  options.modules.push({ type: 'ESModule', path: 'bitnob-cases.mjs', contents: readFileSync(new URL('bitnob-cases.mjs', import.meta.url), 'utf8') });
  const mf = new Miniflare(options);
  try {
    const vectors = readFileSync(new URL('../../fixtures/bitnob-vectors.json', import.meta.url));
    const response = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: vectors });
    assert.equal(response.status, 200, await response.clone().text());
    const report = await response.json();
    assert.deepEqual(report.failures, [], `${report.failures.length} Bitnob failures in workerd`);
    assert.equal(report.cases, JSON.parse(vectors).cases.length);
    assert.ok(report.cases >= 100 && report.helpers > 0, JSON.stringify(report));
    console.log(`workerd: ${report.cases} Bitnob vectors and ${report.helpers} secret-helper cases passed`);
  } finally {
    await mf.dispose();
  }
});

test('a Worker on the Bullseye-only entry, bundled, answers in workerd and carries no Bitnob or store code', { timeout: 120_000 }, async () => {
  const secret = 'whsec_workerd_bullseye';
  const worker = `import { Webhook, WebhookError } from 'bullseye-webhooks-wasm/bullseye';
    let webhook;
    export default {
      async fetch(request, env) {
        webhook ??= new Webhook(env.SECRET);
        const body = new Uint8Array(await request.arrayBuffer());
        const signature = request.headers.get('x-bullseye-signature');
        try {
          const event = new URL(request.url).pathname === '/async'
            ? await webhook.constructEventAsync(body, signature)
            : webhook.constructEvent(body, signature);
          return Response.json({ event_type: event.event_type, email: event.visitor?.email ?? null });
        } catch (error) {
          if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
          throw error;
        }
      },
    };`;
  const options = await bundledWorker(worker, PKG);
  const bundle = options.modules[0].contents;
  // Only the Bullseye module, and none of the Bitnob glue, the claim flow or the store.
  assert.deepEqual(options.modules.slice(1).map((module) => module.path), ['pkg/bullseye_webhooks_wasm_bg.wasm']);
  // esbuild heads each bundled file's code with a `// <path>` comment.
  const files = [...bundle.matchAll(/^\/\/ (\S+\.js)$/gm)].map((match) => match[1]);
  assert.ok(files.includes('bullseye-workerd.js') && files.includes('pkg/bullseye_webhooks_wasm.js'), files.join(', '));
  for (const absent of ['pkg/bullseye_webhooks_bitnob.js', 'backend-bitnob.js', 'bitnob.js', 'durable.js', 'dedupe.js']) {
    assert.ok(!files.includes(absent), `the bundle holds ${absent}`);
  }
  const mf = new Miniflare({ ...options, bindings: { SECRET: secret } });
  try {
    const body = readFileSync(new URL('../../fixtures/payloads/identification-event.json', import.meta.url));
    const email = JSON.parse(body).visitor.email;
    for (const path of ['/', '/async']) {
      const signed = await mf.dispatchFetch(`http://worker.test${path}`, { method: 'POST', body, headers: { 'x-bullseye-signature': sign(secret, body) } });
      assert.deepEqual([signed.status, await signed.json()], [200, { event_type: 'visitor.identified', email }], path);
      const tampered = await mf.dispatchFetch(`http://worker.test${path}`, { method: 'POST', body: body.toString().replace('visitor', 'visiter'), headers: { 'x-bullseye-signature': sign(secret, body) } });
      assert.deepEqual([tampered.status, await tampered.json()], [401, { error: 'signature_mismatch' }], path);
      const unsigned = await mf.dispatchFetch(`http://worker.test${path}`, { method: 'POST', body });
      assert.deepEqual([unsigned.status, await unsigned.json()], [400, { error: 'missing_signature' }], path);
    }
  } finally {
    await mf.dispose();
  }
});
