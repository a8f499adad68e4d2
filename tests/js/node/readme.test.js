'use strict';
// Runs the JavaScript examples of bindings-node/README.md and of the root
// README's Node section. A plain example must exit 0 and print what its
// `console.log(...); // expected` comments say; a server example is started
// (on a free port of 127.0.0.1) and sent real deliveries; a route handler
// module is imported and called with Requests. Examples that read
// REDIS_URL get a real redis-server, started for this file; Bitnob server
// examples are sent Bitnob deliveries; examples with a dedupe store are sent
// their signed delivery twice (the second answer: a duplicate).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const { ROOT } = require('../impl.js');
const { post } = require('./http.js');
const { SECRET, hmac, identification, tampered, signed } = require('../fixtures.js');
const { RedisServer } = require('./redis-server.js');

const PKG = path.join(ROOT, 'bindings-node');
const BITNOB_SECRET = 'bn_whsk_readme_tests_k3Yq';
const env = { ...process.env, BULLSEYE_WEBHOOK_SECRET: SECRET, BITNOB_WEBHOOK_SECRET: BITNOB_SECRET };

function jsBlocks(file, fromHeading) {
  let text = fs.readFileSync(file, 'utf8');
  if (fromHeading) {
    const start = text.indexOf(fromHeading);
    assert.ok(start >= 0, `${file} has no "${fromHeading}" section`);
    const end = text.indexOf('\n## ', start + fromHeading.length);
    text = text.slice(start, end < 0 ? undefined : end);
  }
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const blocks = [
  ...jsBlocks(path.join(PKG, 'README.md')).map((code, i) => [`bindings-node/README.md example ${i + 1}`, code]),
  ...jsBlocks(path.join(ROOT, 'README.md'), '## Node quickstart').map((code, i) => [`README.md Node example ${i + 1}`, code]),
];

test('the READMEs have their examples', () => {
  assert.ok(blocks.length >= 14, `found ${blocks.length} examples`);
  for (const name of ['RedisStore', 'MemoryStore', 'BitnobWebhook', 'handler(']) {
    assert.ok(blocks.some(([, code]) => code.includes(name)), `no example uses ${name}`);
  }
});

// Every import of a package path these READMEs show, in code blocks or in
// the text, resolves through that package's `exports` with Node's own
// resolver, as a bundler resolves it: a subpath that is not exported (a
// `.wasm` with a `?module` suffix, say) fails here, not in a user's build.
test('every package path the READMEs import is exported', () => {
  const packages = { 'bullseye-webhooks': PKG, 'bullseye-webhooks-wasm': path.join(ROOT, 'bindings-wasm') };
  const specifiers = new Set();
  for (const readme of ['README.md', 'bindings-node/README.md', 'bindings-wasm/README.md']) {
    const text = fs.readFileSync(path.join(ROOT, readme), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire\(\s*)['"](?:npm:)?(bullseye-webhooks(?:-wasm)?(?:\/[^'"]*)?)['"]/g)) specifiers.add(m[1]);
  }
  assert.ok(specifiers.has('bullseye-webhooks-wasm/web') && specifiers.has('bullseye-webhooks/partner'), [...specifiers].join(', '));
  for (const specifier of specifiers) {
    const name = specifier.startsWith('bullseye-webhooks-wasm') ? 'bullseye-webhooks-wasm' : 'bullseye-webhooks';
    // A require from inside the package resolves its own name through its `exports`.
    const resolve = () => createRequire(path.join(packages[name], 'package.json')).resolve(specifier);
    assert.doesNotThrow(resolve, `${specifier} does not resolve`);
  }
});

// The root README's "## Runtimes" tables: each row names a framework, an
// entry point and the tests that prove it, and every repository path a row
// names (tests, examples; `a/{b,c}` is both) exists.
test('every path the Runtimes tables name exists', () => {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf('\n## Runtimes\n');
  assert.ok(start >= 0, 'README.md has no "## Runtimes" section');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line) && !line.includes('| Proven by |'));
  assert.ok(rows.length >= 30, `found ${rows.length} rows`);
  const topDirs = new Set(fs.readdirSync(ROOT));
  const expand = (p) => {
    const m = /^(.*)\{([^}]*)\}(.*)$/.exec(p);
    return m ? m[2].split(',').map((alt) => `${m[1]}${alt}${m[3]}`) : [p];
  };
  const missing = [];
  for (const row of rows) {
    const cells = row.slice(1, -1).split(' | ').map((cell) => cell.trim());
    assert.equal(cells.length, 3, `not framework | entry point | proven by: ${row}`);
    assert.ok(cells[1] !== '' && /`/.test(cells[2]), `no entry point or no test: ${row}`);
    const paths = [...row.matchAll(/`([^`\s]+\/[^`\s]*)`/g)].map((m) => m[1]).filter((p) => topDirs.has(p.split('/')[0]));
    assert.ok(paths.some((p) => cells[2].includes(p)), `the Proven by cell names no test file: ${row}`);
    for (const p of paths.flatMap(expand)) if (!fs.existsSync(path.join(ROOT, p))) missing.push(p);
  }
  assert.deepEqual(missing, []);
});

let redis;
test.before(async () => {
  if (blocks.some(([, code]) => code.includes('REDIS_URL'))) {
    redis = await RedisServer.start();
    env.REDIS_URL = redis.url;
  }
});
test.after(() => redis?.stop());

/** Write an example inside the package folder, where `bullseye-webhooks` resolves to itself. */
function writeExample(t, code, ext) {
  const file = path.join(PKG, `.readme-test-${process.pid}-${Math.random().toString(36).slice(2)}.${ext}`);
  fs.writeFileSync(file, code);
  t.after(() => fs.rmSync(file, { force: true }));
  return file;
}

function expectedOutput(code) {
  return [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1].trim());
}

async function runServer(t, file, code) {
  const child = spawn(process.execPath, ['--require', path.join(__dirname, 'listen-hook.cjs'), file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /README_LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (status) => reject(new Error(`example exited ${status}: ${stderr}`)));
  });
  const route = /\.post\('([^']+)'/.exec(code)[1];
  const url = `http://127.0.0.1:${port}${route}`;
  const json = { 'content-type': 'application/json' };
  let deliveries;
  if (code.includes('BitnobWebhook')) {
    const body = Buffer.from('{"event":"transfer.success","data":{"reference":"ref_1","amount":500}}');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const bitnobSigned = { 'x-bitnob-signature': crypto.createHmac('sha256', BITNOB_SECRET).update(`${timestamp}.`).update(body).digest('hex'), 'x-bitnob-timestamp': timestamp };
    deliveries = { body, signed: bitnobSigned, tampered: Buffer.from(body.toString().replace('500', '5000')) };
  } else {
    deliveries = { body: identification, signed: { 'x-bullseye-signature': signed }, tampered };
  }
  const ok = await post(url, deliveries.body, { ...json, ...deliveries.signed });
  assert.equal(ok.status, 200, ok.text);
  if (/dedupe/.test(code)) {
    let again;
    for (let i = 0; i < 40; i++) {
      again = await post(url, deliveries.body, { ...json, ...deliveries.signed });
      if (again.status !== 409) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual([again.status, again.json], [200, { duplicate: true }]);
  }
  const unsigned = await post(url, deliveries.body, json);
  assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }]);
  const bad = await post(url, deliveries.tampered, { ...json, ...deliveries.signed });
  assert.deepEqual([bad.status, bad.json], [401, { error: 'signature_mismatch' }]);
}

async function runRouteHandler(t, file) {
  process.env.BULLSEYE_WEBHOOK_SECRET = SECRET;
  const { POST } = await import(pathToFileURL(file).href);
  const request = (body, signature) =>
    new Request('http://127.0.0.1/api/webhooks/bullseye', { method: 'POST', body, headers: { 'x-bullseye-signature': signature } });
  const ok = await POST(request(identification, signed));
  assert.deepEqual([ok.status, await ok.json()], [200, { ok: true }]);
  const bad = await POST(request(tampered, signed));
  assert.deepEqual([bad.status, await bad.json()], [401, { error: 'signature_mismatch' }]);
  const unsigned = await POST(request(identification, ''));
  assert.deepEqual([unsigned.status, await unsigned.json()], [400, { error: 'missing_signature' }]);
}

for (const [name, code] of blocks) {
  test(name, async (t) => {
    const esm = /^\s*(import|export) /m.test(code);
    const file = writeExample(t, code, esm ? 'mjs' : 'cjs');
    if (/export async function POST/.test(code)) return runRouteHandler(t, file);
    if (/\.listen\(/.test(code)) return runServer(t, file, code);
    const stdout = execFileSync(process.execPath, [file], { env, encoding: 'utf8' });
    const expected = expectedOutput(code);
    const printed = stdout.trim().split('\n');
    for (const want of expected) {
      assert.ok(printed.some((line) => line === want), `printed ${JSON.stringify(printed)}, expected a line ${JSON.stringify(want)}`);
    }
    return undefined;
  });
}
