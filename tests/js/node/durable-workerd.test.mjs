// De-duplication on a Durable Object with the Node package's `workerd`
// export, in a real workerd through Miniflare: the WASM package's Worker
// (bindings-wasm/tests/durable-worker.js, importing `bullseye-webhooks`) is
// bundled by esbuild as wrangler bundles a Worker (conditions workerd and
// worker, each .wasm kept as a module of its own), then the same checks run
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
const { requireDev } = require('./http.js');

const esbuild = requireDev('esbuild');
const PKG = path.join(ROOT, 'bindings-node');
const COMPATIBILITY_DATE = '2026-04-01';

/** The Worker bundled as wrangler would, and the .wasm modules it imports. */
function bundle() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-durable-workerd-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'bullseye-webhooks'));
    const entry = path.join(dir, 'worker.js');
    fs.writeFileSync(entry, durableWorker('bullseye-webhooks'));
    const wasm = new Map();
    const result = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      write: false,
      logLevel: 'error',
      conditions: ['workerd', 'worker'],
      platform: 'neutral',
      mainFields: ['module', 'main'],
      nodePaths: [path.join(dir, 'node_modules')],
      external: ['*.wasm'],
    });
    // The .wasm imports, as the package resolved them (external above: kept as module names).
    const script = result.outputFiles[0].text.replace(/from\s+"([^"]*\/pkg\/([^"/]+\.wasm))"/g, (_, from, name) => {
      wasm.set(name, fs.readFileSync(path.join(PKG, 'wasm', 'pkg', name)));
      return `from "./${name}"`;
    });
    assert.ok(wasm.size > 0, 'the Worker bundle imports no .wasm: not the workerd export');
    return {
      compatibilityDate: COMPATIBILITY_DATE,
      modules: [
        { type: 'ESModule', path: 'worker.js', contents: script },
        ...[...wasm].map(([name, contents]) => ({ type: 'CompiledWasm', path: name, contents })),
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
