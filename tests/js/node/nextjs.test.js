'use strict';
// The Next.js App Router example (examples/nextjs, next and react pinned by
// its package-lock.json, installed by `make setup-node-nextjs`) as users run
// it: the package's tarball (dist/, `make dist-node`) installed into it,
// `next build`, then `next start` on 127.0.0.1. One app, both runtimes:
// /api/webhooks/node (the Node.js runtime, the native addon, a MemoryStore)
// and /api/webhooks/edge (`runtime = 'edge'`, the package's `edge-light`
// export: the WebAssembly build). Each gets signed, tampered and unsigned
// deliveries; each refusal is one log line without secret, signature or body.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { ROOT } = require('../impl.js');
const { post } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

const APP = path.join(ROOT, 'examples', 'nextjs');
const NEXT = path.join(APP, 'node_modules', 'next', 'dist', 'bin', 'next');
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'bindings-node', 'package.json'), 'utf8'));
const TARBALL = path.join(ROOT, 'dist', `bullseye-webhooks-${version}.tgz`);
const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', BULLSEYE_WEBHOOK_SECRET: SECRET };
const JSON_TYPE = { 'content-type': 'application/json' };

let server;
let base;
let output = '';

/** A free port on 127.0.0.1 (next start takes a number, not 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

test.before(async () => {
  assert.ok(fs.existsSync(NEXT), `${NEXT} is missing: run make setup-node-nextjs`);
  assert.ok(fs.existsSync(TARBALL), `${TARBALL} is missing: run make dist-node`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', TARBALL], { cwd: APP, stdio: 'pipe' });
  const started = Date.now();
  execFileSync(process.execPath, [NEXT, 'build'], { cwd: APP, env: ENV, stdio: 'pipe', timeout: 600_000 });
  console.log(`next build: ${Math.round((Date.now() - started) / 1000)} s`);
  const port = await freePort();
  // Its own process group, so the test ends next start and anything it spawned.
  server = spawn(process.execPath, [NEXT, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: APP, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    const seen = (chunk) => {
      output += chunk;
      if (/Ready in/.test(output)) resolve();
    };
    server.stdout.on('data', seen);
    server.stderr.on('data', seen);
    server.once('exit', (code) => reject(new Error(`next start exited ${code}:\n${output}`)));
  });
  base = `http://127.0.0.1:${port}`;
}, { timeout: 660_000 });

test.after(() => {
  if (server && server.exitCode === null) {
    server.removeAllListeners('exit');
    process.kill(-server.pid, 'SIGTERM');
  }
});

/** The refusal lines next start printed since `from`, once `count` are in (they cross a pipe), or after 5 s. */
async function refusalsSince(from, count) {
  const lines = () => output.slice(from).split('\n').filter((line) => line.includes('refused a delivery'));
  for (let waited = 0; lines().length < count && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return lines();
}

test('Node.js runtime: signed accepted by the native addon, the redelivery answered from the store, tampered 401, unsigned 400', async () => {
  const url = `${base}/api/webhooks/node`;
  const from = output.length;
  const ok = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
  assert.deepEqual([ok.status, ok.json], [200, { received: 'visitor.identified', runtime: 'nodejs', implementation: 'native' }]);
  const again = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
  assert.deepEqual([again.status, again.json], [200, { duplicate: true }]);
  const bad = await post(url, tampered, { ...JSON_TYPE, 'x-bullseye-signature': signed });
  assert.deepEqual([bad.status, bad.json], [401, { error: 'signature_mismatch' }]);
  const unsigned = await post(url, identification, JSON_TYPE);
  assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }]);
  const lines = await refusalsSince(from, 2);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.ok(!line.includes(SECRET) && !line.includes(signed) && !line.includes('visitor'), line);
});

test('edge runtime: signed accepted by the WebAssembly build, tampered 401, unsigned 400', async () => {
  const url = `${base}/api/webhooks/edge`;
  const from = output.length;
  const ok = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
  assert.deepEqual([ok.status, ok.json], [200, { received: 'visitor.identified', runtime: 'edge' }]);
  const bad = await post(url, tampered, { ...JSON_TYPE, 'x-bullseye-signature': signed });
  assert.deepEqual([bad.status, bad.json], [401, { error: 'signature_mismatch' }]);
  const unsigned = await post(url, identification, JSON_TYPE);
  assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }]);
  const lines = await refusalsSince(from, 2);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.ok(!line.includes(SECRET) && !line.includes(signed) && !line.includes('visitor'), line);
});
