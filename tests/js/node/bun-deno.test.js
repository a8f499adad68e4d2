'use strict';
// The Node package under Bun and under Deno (both pinned dev dependencies of
// bindings-node: the npm packages `bun` and `deno` ship their binaries), as
// users install it: the tarball (dist/, `make dist-node`) `npm install`ed
// into a fresh folder, then examples/bun/server.js (Bun.serve, the native
// addon, a MemoryStore) and examples/deno/server.ts (Deno.serve, an `npm:`
// specifier, resolved from that folder's node_modules: the package's `deno`
// export, the WebAssembly build) run there on 127.0.0.1 and get signed,
// tampered and unsigned deliveries. A runtime that cannot run here fails.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../impl.js');
const { post } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

const BIN = path.join(ROOT, 'bindings-node', 'node_modules', '.bin');
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'bindings-node', 'package.json'), 'utf8'));
const TARBALL = path.join(ROOT, 'dist', `bullseye-webhooks-${version}.tgz`);
const JSON_TYPE = { 'content-type': 'application/json' };

let dir;

/** The tarball installed once into a fresh folder. */
function installed() {
  if (dir === undefined) {
    assert.ok(fs.existsSync(TARBALL), `${TARBALL} is missing: run make dist-node`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-bun-deno-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'receiver', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', TARBALL], { cwd: dir, stdio: 'pipe' });
    // Deno resolves `npm:` specifiers from this node_modules, as npm laid it out.
    fs.writeFileSync(path.join(dir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }));
  }
  return dir;
}

test.after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Run `args` of `runtime` in the installed folder; resolves once it prints "listening on URL". */
function start(runtime, args) {
  const binary = path.join(BIN, runtime);
  assert.ok(fs.existsSync(binary), `${binary} is missing: install bindings-node's dev dependencies (make setup-node)`);
  const env = { ...process.env, BULLSEYE_WEBHOOK_SECRET: SECRET, PORT: '0', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
  const child = spawn(binary, args, { cwd: installed(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const receiver = { child, output: '' };
  return new Promise((resolve, reject) => {
    const seen = (chunk) => {
      receiver.output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(receiver.output);
      if (match && !receiver.base) {
        receiver.base = match[1];
        resolve(receiver);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${runtime} ${args.join(' ')} exited ${code}:\n${receiver.output}`)));
  });
}

function stop({ child }) {
  child.removeAllListeners('exit');
  child.kill();
}

/** The refusal lines the receiver printed since `from`, once `count` are in (they cross a pipe), or after 5 s. */
async function refusalsSince(receiver, from, count) {
  const lines = () => receiver.output.slice(from).split('\n').filter((line) => line.includes('refused a delivery'));
  for (let waited = 0; lines().length < count && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return lines();
}

/** Signed 200, tampered 401, unsigned 400, each refusal one log line without secret, signature or body. */
async function refusals(receiver) {
  const url = `${receiver.base}/webhooks/bullseye`;
  const from = receiver.output.length;
  const bad = await post(url, tampered, { ...JSON_TYPE, 'x-bullseye-signature': signed });
  assert.deepEqual([bad.status, bad.json], [401, { error: 'signature_mismatch' }]);
  const unsigned = await post(url, identification, JSON_TYPE);
  assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }]);
  const lines = await refusalsSince(receiver, from, 2);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.ok(!line.includes(SECRET) && !line.includes(signed) && !line.includes('visitor'), line);
}

test('examples/bun under Bun: signed accepted, the redelivery answered from the store, tampered 401, unsigned 400', { timeout: 120_000 }, async () => {
  const app = installed();
  fs.copyFileSync(path.join(ROOT, 'examples', 'bun', 'server.js'), path.join(app, 'bun-server.js'));
  const version = execFileSync(path.join(BIN, 'bun'), ['--version'], { encoding: 'utf8' }).trim();
  const receiver = await start('bun', ['bun-server.js']);
  try {
    const url = `${receiver.base}/webhooks/bullseye`;
    const ok = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
    assert.deepEqual([ok.status, ok.json], [200, { received: 'visitor.identified' }]);
    // Only the native addon has the stores: this answer is the addon's, in Bun.
    const again = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
    assert.deepEqual([again.status, again.json], [200, { duplicate: true }]);
    await refusals(receiver);
    console.log(`bun ${version}: the native addon, de-duplication included`);
  } finally {
    stop(receiver);
  }
});

test('examples/deno under Deno, through npm:bullseye-webhooks: signed accepted, tampered 401, unsigned 400', { timeout: 120_000 }, async () => {
  const app = installed();
  fs.copyFileSync(path.join(ROOT, 'examples', 'deno', 'server.ts'), path.join(app, 'deno-server.ts'));
  const version = execFileSync(path.join(BIN, 'deno'), ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const pkg = path.join(app, 'node_modules', 'bullseye-webhooks');
  const receiver = await start('deno', ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env=BULLSEYE_WEBHOOK_SECRET,PORT', `--allow-read=${pkg}`, 'deno-server.ts']);
  try {
    const url = `${receiver.base}/webhooks/bullseye`;
    const ok = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
    assert.deepEqual([ok.status, ok.json], [200, { received: 'visitor.identified' }]);
    await refusals(receiver);
    console.log(`${version}: the WebAssembly build (the package's deno export)`);
  } finally {
    stop(receiver);
  }
});
