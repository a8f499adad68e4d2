'use strict';
// `make dist` packs bindings-node into dist/; this installs that tarball into
// a fresh folder outside the repository and uses it with require and import.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../impl.js');

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'bindings-node', 'package.json'), 'utf8'));
const tarball = path.join(ROOT, 'dist', `bullseye-webhooks-${version}.tgz`);

const script = (load) => `
${load}
const crypto = require('node:crypto');
const body = '{"event":"visitor.identified","visitor":{"email":"a@b.example"}}';
const signature = crypto.createHmac('sha256', 'whsec_pkg').update(body).digest('hex');
const event = new Webhook('whsec_pkg').constructEvent(Buffer.from(body), signature);
let code;
try { new Webhook('whsec_pkg').verify(body, '0'.repeat(64)); } catch (e) { code = e instanceof WebhookError && e.code; }
console.log(JSON.stringify({ email: event.visitor.email, code, resolved: RESOLVED }));
`;

test('the packed tarball installs into a fresh folder and works with require and import', (t) => {
  assert.ok(fs.existsSync(tarball), `${tarball} is missing: run make dist`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-pkg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, stdio: 'pipe' });

  const installed = path.join(dir, 'node_modules', 'bullseye-webhooks');
  const files = fs.readdirSync(installed).sort();
  assert.ok(files.includes('index.d.ts') && files.includes('index.mjs') && files.includes('native'), files.join(' '));
  assert.ok(!files.includes('src') && !files.includes('Cargo.toml'), `sources shipped: ${files.join(' ')}`);
  assert.ok(fs.readdirSync(path.join(installed, 'native')).some((f) => f.endsWith('.node')), 'no addon in the package');
  for (const licence of ['LICENSE-MIT', 'LICENSE-APACHE']) {
    assert.ok(files.includes(licence), `${licence} not shipped: ${files.join(' ')}`);
    assert.ok(fs.readFileSync(path.join(installed, licence)).equals(fs.readFileSync(path.join(ROOT, licence))), `${licence} differs from the repository's`);
  }

  const expected = { email: 'a@b.example', code: 'signature_mismatch' };
  const cjs = script("const { Webhook, WebhookError } = require('bullseye-webhooks'); const RESOLVED = require.resolve('bullseye-webhooks');");
  fs.writeFileSync(path.join(dir, 'use.cjs'), cjs);
  const fromRequire = JSON.parse(execFileSync(process.execPath, ['use.cjs'], { cwd: dir, encoding: 'utf8' }));
  assert.deepEqual({ ...fromRequire, resolved: undefined }, { ...expected, resolved: undefined });
  assert.ok(fromRequire.resolved.startsWith(fs.realpathSync(dir)), fromRequire.resolved);

  const esm = script(
    "import { Webhook, WebhookError } from 'bullseye-webhooks'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); const RESOLVED = import.meta.resolve('bullseye-webhooks');",
  );
  fs.writeFileSync(path.join(dir, 'use.mjs'), esm);
  const fromImport = JSON.parse(execFileSync(process.execPath, ['use.mjs'], { cwd: dir, encoding: 'utf8' }));
  assert.deepEqual({ ...fromImport, resolved: undefined }, { ...expected, resolved: undefined });
  assert.match(fromImport.resolved, /node_modules\/bullseye-webhooks\/index\.mjs$/);

  // Every export the entry loads on first use (the integrations, the stores,
  // the queue's modules, BullMQ's adapter) loads from the tarball: a module
  // left out of `files` fails here.
  const lazy = `const m = require('bullseye-webhooks'); const failed = [];
for (const name of Object.keys(m)) { try { if (m[name] === undefined) failed.push(name + ': undefined'); } catch (e) { failed.push(name + ': ' + e.message.split('\\n')[0]); } }
console.log(JSON.stringify({ failed, queue: [m.QueueWorker, m.QueueReceiver, m.RedisStreamQueue, m.Envelope, m.BullmqQueue].map((f) => typeof f) }));`;
  fs.writeFileSync(path.join(dir, 'lazy.cjs'), lazy);
  const loaded = JSON.parse(execFileSync(process.execPath, ['lazy.cjs'], { cwd: dir, encoding: 'utf8' }));
  assert.deepEqual(loaded, { failed: [], queue: ['function', 'function', 'function', 'function', 'function'] });
});
