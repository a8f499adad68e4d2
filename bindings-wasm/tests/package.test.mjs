// The npm pack tarball in dist/ (make dist-wasm), installed into a fresh
// folder and used: by name from an ES module and from require() in Node, and
// by the demo Worker in workerd.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkWorker, withWorker } from './worker-checks.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const VERSION = JSON.parse(execFileSync('npm', ['pkg', 'get', 'version'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }));
const TARBALL = join(DIST, `bullseye-webhooks-wasm-${VERSION}.tgz`);

test('the packed tarball installs into a fresh folder and works in Node and workerd', { timeout: 180_000 }, async () => {
  assert.ok(readdirSync(DIST).includes(`bullseye-webhooks-wasm-${VERSION}.tgz`), `${TARBALL} is missing: run make dist-wasm`);
  const listing = execFileSync('tar', ['-tzf', TARBALL], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  assert.deepEqual(listing, [
    'package/LICENSE-APACHE',
    'package/LICENSE-MIT',
    'package/README.md',
    'package/answers.js',
    'package/backend-bitnob.js',
    'package/backend.js',
    'package/bitnob.js',
    'package/bullseye-node.js',
    'package/bullseye-workerd.js',
    'package/bullseye.d.ts',
    'package/bullseye.js',
    'package/dedupe.js',
    'package/durable.js',
    'package/fetch.js',
    'package/hono.js',
    'package/index.d.ts',
    'package/index.js',
    'package/inputs.js',
    'package/node.js',
    'package/observe.js',
    'package/package.json',
    'package/pkg/bullseye_webhooks_bitnob.js',
    'package/pkg/bullseye_webhooks_bitnob_bg.wasm',
    'package/pkg/bullseye_webhooks_wasm.js',
    'package/pkg/bullseye_webhooks_wasm_bg.wasm',
    'package/support.js',
    'package/verifier.js',
    'package/webhooks.js',
    'package/workerd.d.ts',
    'package/workerd.js',
  ]);

  for (const licence of ['LICENSE-MIT', 'LICENSE-APACHE']) {
    const packed = execFileSync('tar', ['-xOzf', TARBALL, `package/${licence}`]);
    assert.ok(packed.equals(readFileSync(fileURLToPath(new URL(`../../${licence}`, import.meta.url)))), `${licence} differs from the repository's`);
  }

  const app = mkdtempSync(join(tmpdir(), 'bullseye-wasm-app-'));
  try {
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', TARBALL], { cwd: app, stdio: 'pipe' });
    const esm = `
      import { Webhook, WebhookError, sign } from 'bullseye-webhooks-wasm';
      const body = '{"event":"visitor.identified","visitor":{"email":"a@b.example"}}';
      const event = new Webhook('whsec_app').constructEvent(body, sign('whsec_app', body));
      let code;
      try { new Webhook('whsec_app').verify(body, sign('other', body)); } catch (e) { code = e instanceof WebhookError && e.code; }
      console.log(JSON.stringify([event.visitor.email, code]));
    `;
    const fromImport = execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd: app, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(fromImport), ['a@b.example', 'signature_mismatch']);
    // The Bullseye-only entry, by its subpath export (Node's condition).
    const only = `
      import * as only from 'bullseye-webhooks-wasm/bullseye';
      const body = '{"event":"visitor.identified","visitor":{"email":"a@b.example"}}';
      console.log(JSON.stringify([new only.Webhook('whsec_app').constructEvent(body, only.sign('whsec_app', body)).visitor.email, 'BitnobWebhook' in only]));
    `;
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', only], { cwd: app, encoding: 'utf8' })), ['a@b.example', false]);
    const cjs = `console.log(require('bullseye-webhooks-wasm').sign('whsec_test', '{}'))`;
    const fromRequire = execFileSync(process.execPath, ['-e', cjs], { cwd: app, encoding: 'utf8' });
    assert.equal(fromRequire.trim(), '46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440');
    const types = execFileSync(process.execPath, ['-e', `console.log(require.resolve('bullseye-webhooks-wasm/package.json'))`], { cwd: app, encoding: 'utf8' });
    await withWorker(join(types.trim(), '..'), checkWorker);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
