'use strict';
// One npm package everywhere: the Node package's tarball (dist/, `make
// dist-node`) is `npm install`ed into a fresh folder, then used
// (a) in a Worker: bundled as wrangler does (esbuild, conditions workerd and
//     worker, the .wasm kept as a module of its own) and run in workerd
//     through Miniflare;
// (b) in headless Chromium: bundled by esbuild for the browser (the
//     `browser` export) and loaded by a page served on 127.0.0.1;
// (c) in Node with the native addon deleted: it falls back to the
//     WebAssembly build it carries, and the shared suite (every vector, the
//     API, the async path) and the Express and Fastify tests run on it.
// In (a) and (b) every verify and construct_event case of
// fixtures/vectors.json and every Bitnob case runs through the async path
// (Web Crypto there) and the sync one (tests/js/async-cases.mjs).
// Each fails, never skips, when what it needs is missing.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../impl.js');

const PKG = path.join(ROOT, 'bindings-node');
const FIXTURES = path.join(ROOT, 'fixtures');
const { version } = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
const tarball = path.join(ROOT, 'dist', `bullseye-webhooks-${version}.tgz`);
const devRequire = (name) => require(require.resolve(name, { paths: [PKG] }));
const CHROMIUM = '/usr/bin/chromium';
// The two modules: the Bullseye verifier's and the Bitnob verifier's.
const WASM_FILES = ['bullseye_webhooks_wasm_bg.wasm', 'bullseye_webhooks_bitnob_bg.wasm'];

let installDir;

/** The tarball installed once into a fresh folder: its node_modules/bullseye-webhooks. */
function installed() {
  if (installDir === undefined) {
    assert.ok(fs.existsSync(tarball), `${tarball} is missing: run make dist-node`);
    installDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-edge-'));
    fs.writeFileSync(path.join(installDir, 'package.json'), JSON.stringify({ name: 'edge-app', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: installDir, stdio: 'pipe' });
  }
  return path.join(installDir, 'node_modules', 'bullseye-webhooks');
}

test.after(() => {
  if (installDir) fs.rmSync(installDir, { recursive: true, force: true });
});

/** What the runners take: both vector files and the payload files (as hex, to cross into a Worker or a page). */
function vectorsMessage() {
  const dir = path.join(FIXTURES, 'payloads');
  return JSON.stringify({
    vectors: JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vectors.json'), 'utf8')),
    bitnob: JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bitnob-vectors.json'), 'utf8')),
    files: Object.fromEntries(fs.readdirSync(dir).map((file) => [file, fs.readFileSync(path.join(dir, file)).toString('hex')])),
  });
}

// The script bundled with the package in (a) and (b): runs the vectors it is
// given and reports, with how many compares Web Crypto ran.
const RUNNER = `
import * as lib from 'bullseye-webhooks';
import { runAsyncVectors } from './async-cases.mjs';

const verify = crypto.subtle.verify.bind(crypto.subtle);
let signs = 0; // calls of crypto.subtle.verify: the async path's compares
crypto.subtle.verify = (algorithm, key, signature, data) => {
  signs++;
  return verify(algorithm, key, signature, data);
};

export async function run(message, init) {
  if (init) await Promise.all([lib.init(), lib.initBitnob()]);
  const { vectors, bitnob, files } = message;
  const payloads = new Map(Object.entries(files).map(([name, hex]) => [name, Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16))]));
  const report = await runAsyncVectors(lib, vectors, bitnob, payloads);
  return { ...report, signs, hasExpress: 'expressMiddleware' in lib, hasInit: typeof lib.init === 'function' };
}
`;

/** esbuild's bundle of `entry` (a file in `dir`, beside the installed package's node_modules). */
async function bundle(dir, entry, options) {
  const esbuild = devRequire('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(dir, entry)],
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'error',
    absWorkingDir: dir,
    ...options,
  });
  return result.outputFiles[0].text;
}

function appWith(files) {
  const dir = path.dirname(installed()).replace(/node_modules$/, '');
  const app = fs.mkdtempSync(path.join(dir, 'app-'));
  fs.copyFileSync(path.join(ROOT, 'tests', 'js', 'async-cases.mjs'), path.join(app, 'async-cases.mjs'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(app, name), text);
  return app;
}

test('(a) npm install in a Worker: bundled as wrangler does, every vector passes in workerd, the compares by Web Crypto', { timeout: 180_000 }, async () => {
  const { Miniflare } = devRequire('miniflare');
  const app = appWith({
    'worker.js': `${RUNNER}
export default {
  async fetch(request) {
    return Response.json(await run(await request.json(), false));
  },
};
`,
  });
  // wrangler's resolution: the workerd and worker conditions; a .wasm
  // import becomes a compiled WebAssembly.Module, a module of its own.
  const wasmPlugin = {
    name: 'wasm-module',
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = path.basename(args.path);
        fs.copyFileSync(path.join(args.resolveDir, args.path), path.join(app, file));
        return { path: `./${file}`, external: true };
      });
    },
  };
  const script = await bundle(app, 'worker.js', { conditions: ['workerd', 'worker'], platform: 'neutral', mainFields: ['module', 'main'], plugins: [wasmPlugin] });
  assert.doesNotMatch(script, /napi|\.node['"]/, 'the Worker bundle holds the Node entry');
  const mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.js', contents: script },
      ...WASM_FILES.map((file) => ({ type: 'CompiledWasm', path: file, contents: fs.readFileSync(path.join(app, file)) })),
    ],
    compatibilityDate: '2026-04-01',
  });
  try {
    const response = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: vectorsMessage() });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const report = JSON.parse(text);
    assert.deepEqual(report.failures.slice(0, 20), [], `${report.failures.length} failures in workerd`);
    assert.ok(report.cases > 1200 && report.bitnobCases >= 100, text.slice(0, 300));
    assert.ok(report.signs > 1000, `Web Crypto verified only ${report.signs} times in workerd`);
    assert.equal(report.hasExpress, false, 'the Worker got the Node entry');
    console.log(`workerd: ${report.cases} Bullseye and ${report.bitnobCases} Bitnob vectors, ${report.signs} compares by Web Crypto`);
  } finally {
    await mf.dispose();
  }
});

test('(b) npm install in Chromium through a bundler (esbuild): every vector passes, the compares by Web Crypto', { timeout: 180_000 }, async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: make setup-wasm installs Debian's chromium`);
  const { chromium } = devRequire('playwright-core');
  const app = appWith({ 'page.js': `${RUNNER}\nwindow.bullseyeRun = (message) => run(message, true);\n` });
  const script = await bundle(app, 'page.js', { platform: 'browser' });
  assert.doesNotMatch(script, /napi|node:fs/, 'the browser bundle holds a Node entry');
  // The web entry fetches each .wasm beside the script (new URL(..., import.meta.url)).
  const routes = {
    '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>edge</title><script type="module" src="/page.js"></script>'],
    '/page.js': ['text/javascript', script],
  };
  for (const file of WASM_FILES) routes[`/${file}`] = ['application/wasm', fs.readFileSync(path.join(installed(), 'wasm', 'pkg', file))];
  const server = http.createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': route[0] }).end(route[1]);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => typeof window.bullseyeRun === 'function', null, { timeout: 30_000 });
    const report = await page.evaluate((message) => window.bullseyeRun(JSON.parse(message)), vectorsMessage());
    assert.deepEqual(errors, []);
    assert.deepEqual(report.failures.slice(0, 20), [], `${report.failures.length} failures in Chromium`);
    assert.ok(report.cases > 1200 && report.bitnobCases >= 100, JSON.stringify(report).slice(0, 300));
    assert.ok(report.signs > 1000, `Web Crypto verified only ${report.signs} times in Chromium`);
    assert.equal(report.hasExpress, false, 'the page got the Node entry');
    assert.equal(report.hasInit, true);
    console.log(`chromium: ${report.cases} Bullseye and ${report.bitnobCases} Bitnob vectors, ${report.signs} compares by Web Crypto`);
  } finally {
    await context?.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test('(c) npm install in Node with the addon deleted: the WASM fallback passes the shared suite and the integrations', { timeout: 600_000 }, () => {
  const pkg = installed();
  const addons = fs.readdirSync(path.join(pkg, 'native')).filter((file) => file.endsWith('.node'));
  assert.ok(addons.length > 0, 'the tarball carries no addon');
  // A copy of the installed package without its addon: what a platform
  // without a prebuilt one gets.
  const hidden = path.join(path.dirname(pkg), 'bullseye-webhooks-no-addon');
  fs.cpSync(pkg, hidden, { recursive: true });
  for (const file of addons) fs.rmSync(path.join(hidden, 'native', file));
  const probe = execFileSync(
    process.execPath,
    ['-e', "const l = require(process.argv[1]); let e; try { new l.MemoryStore() } catch (x) { e = x.message } console.log(JSON.stringify({ impl: l.implementation, e }))", hidden],
    { encoding: 'utf8' },
  );
  const { impl, e } = JSON.parse(probe);
  assert.equal(impl, 'wasm');
  assert.match(e, /MemoryStore needs the native addon/);
  // The fallback's sync verify hashes by node:crypto, as the WASM package
  // does in Node: one HMAC per secret (two here), for a good signature and
  // for a tampered body alike, none for a malformed signature.
  const hashing = execFileSync(
    process.execPath,
    ['-e', `
      const crypto = require('node:crypto');
      let hmacs = 0;
      const createHmac = crypto.createHmac;
      crypto.createHmac = (...args) => (hmacs++, createHmac(...args));
      const l = require(process.argv[1]);
      const webhook = new l.Webhook(['old-secret', 'new-secret']);
      const body = '{"event_type":"visitor.identified"}';
      const signature = createHmac('sha256', 'new-secret').update(body).digest('hex');
      const counted = (fn) => { const before = hmacs; let code = null; try { fn() } catch (x) { code = x.code } return [hmacs - before, code] };
      console.log(JSON.stringify([
        counted(() => webhook.verify(body, signature)),
        counted(() => webhook.verify(body + ' ', signature)),
        counted(() => webhook.verify(body, 'abc')),
      ]));`, hidden],
    { encoding: 'utf8' },
  );
  assert.deepEqual(JSON.parse(hashing), [[2, null], [2, 'signature_mismatch'], [0, 'malformed_signature']]);
  assert.equal(JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require(process.argv[1]).implementation)', pkg], { encoding: 'utf8' })), 'native');
  // import, with every named export the CommonJS entry has.
  const esm = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `import * as l from ${JSON.stringify(path.join(hidden, 'index.mjs'))}; import { createRequire } from 'node:module'; const cjs = createRequire(import.meta.url)(${JSON.stringify(hidden)}); console.log(JSON.stringify({ impl: l.implementation, missing: Object.keys(cjs).filter((k) => !(k in l)) }))`],
    { encoding: 'utf8' },
  );
  assert.deepEqual(JSON.parse(esm), { impl: 'wasm', missing: [] });

  const shared = fs.readdirSync(path.join(ROOT, 'tests', 'js')).filter((file) => file.endsWith('.test.js')).map((file) => path.join(ROOT, 'tests', 'js', file));
  const integrations = ['express', 'fastify', 'delivery-key'].map((name) => path.join(ROOT, 'tests', 'js', 'node', `${name}.test.js`));
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...shared, ...integrations], {
    cwd: ROOT,
    // Without NODE_TEST_CONTEXT, which would make this run report to the
    // parent runner instead of printing its own results.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_TEST_CONTEXT')), BULLSEYE_IMPL: 'package', BULLSEYE_PACKAGE_DIR: hidden },
    encoding: 'utf8',
    timeout: 540_000,
  });
  assert.equal(run.status, 0, `the shared suite failed on the fallback:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
  const passed = Number(/# pass (\d+)/.exec(run.stdout)?.[1] ?? /ℹ pass (\d+)/.exec(run.stdout)?.[1]);
  assert.ok(passed > 1700, `only ${passed} tests passed on the fallback:\n${run.stdout.slice(-2000)}`);
  console.log(`node without the addon: ${passed} tests of the shared suite and the Express and Fastify tests passed on the WASM fallback`);
});
