// De-duplication on a Durable Object with the Node package's `workerd`
// export, in a real workerd through Miniflare: the WASM package's Worker
// (bindings-wasm/tests/durable-worker.js, importing `bullseye-webhooks`) is
// bundled by esbuild as wrangler bundles a Worker (conditions workerd and
// worker, each .wasm kept as a module of its own: workerd-bundle.js), then the same checks run
// (bindings-wasm/tests/durable-checks.mjs). And the defaults durable.js
// keeps (the WASM build does not export them) are the core's.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

import { durableTests, durableWorker } from '../../../bindings-wasm/tests/durable-checks.mjs';

const require = createRequire(import.meta.url);
const { ROOT } = require('../impl.js');
const { bundleWorker } = require('./workerd-bundle.js');
const PKG = path.join(ROOT, 'bindings-node');
const COMPATIBILITY_DATE = '2026-04-01';

let bundled;

/** The Worker bundled as wrangler would (once), with the .wasm modules it imports. */
function bundle() {
  bundled ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-durable-workerd-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'bullseye-webhooks'));
      fs.writeFileSync(path.join(dir, 'worker.js'), durableWorker('bullseye-webhooks'));
      const { modules } = await bundleWorker(path.join(dir, 'worker.js'), [path.join(dir, 'node_modules')]);
      assert.ok(modules.length > 1, 'the Worker bundle imports no .wasm: not the workerd export');
      return { modules, compatibilityDate: COMPATIBILITY_DATE };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  })();
  return bundled;
}

test("the Durable Object store's defaults are the core's", async () => {
  const { native } = require(path.join(PKG, 'backend.js'));
  assert.ok(native, 'the native addon did not load');
  const { leaseMs, retentionMs, storeRetryAfterSecs } = native.deliveryDefaults();
  const { DEFAULTS } = await import(path.join(PKG, 'wasm', 'durable.js'));
  assert.deepEqual(
    { leaseMs: DEFAULTS.leaseMs, retentionMs: DEFAULTS.retentionMs, storeRetryAfterSecs: DEFAULTS.storeRetryAfterSecs },
    { leaseMs, retentionMs, storeRetryAfterSecs },
  );
});

durableTests('Node package, workerd export', bundle);
