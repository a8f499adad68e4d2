'use strict';
// Runs the JavaScript examples of bindings-node/README.md and of the root
// README's Node section. A plain example must exit 0 and print what its
// `console.log(...); // expected` comments say; a server example is started
// (on a free port of 127.0.0.1) and sent real deliveries; a route handler
// module is imported and called with Requests.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { ROOT } = require('../impl.js');
const { post } = require('./http.js');
const { SECRET, hmac, identification, tampered, signed } = require('../fixtures.js');

const PKG = path.join(ROOT, 'bindings-node');
const env = { ...process.env, BULLSEYE_WEBHOOK_SECRET: SECRET };

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
  assert.ok(blocks.length >= 9, `found ${blocks.length} examples`);
});

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
  const ok = await post(url, identification, { 'content-type': 'application/json', 'x-bullseye-signature': signed });
  assert.equal(ok.status, 200, ok.text);
  const unsigned = await post(url, identification, { 'content-type': 'application/json' });
  assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }]);
  const bad = await post(url, tampered, { 'content-type': 'application/json', 'x-bullseye-signature': signed });
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
