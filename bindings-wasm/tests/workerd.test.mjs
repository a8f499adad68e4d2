// In a real workerd through Miniflare, on the package's workerd entry:
// - the demo Worker (demo/worker.js) answers dispatchFetch per the receiver
//   protocol (200 signed, 401 tampered, 400 malformed or missing, 413 too
//   large), reading fields of the verified event, and its Bitnob route;
// - every case of fixtures/bitnob-vectors.json runs inside the Worker
//   (tests/bitnob-worker.js over tests/bitnob-cases.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { workerModules } from '../demo/miniflare.mjs';
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
