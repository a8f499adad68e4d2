'use strict';
// The runnable examples in examples/node-*: each started as its own process
// (the package resolved as `bullseye-webhooks`, as users require it), then
// sent a signed, a tampered and an unsigned delivery.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { ROOT } = require('../impl.js');
const { post } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

// `bullseye-webhooks` resolves to the package folder; the frameworks come
// from its dev dependencies.
const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-examples-'));
fs.mkdirSync(path.join(modules, 'node_modules'));
fs.symlinkSync(path.join(ROOT, 'bindings-node'), path.join(modules, 'node_modules', 'bullseye-webhooks'));
const ENV = {
  ...process.env,
  BULLSEYE_WEBHOOK_SECRET: SECRET,
  PORT: '0',
  NODE_PATH: [path.join(modules, 'node_modules'), path.join(ROOT, 'bindings-node', 'node_modules')].join(path.delimiter),
};
test.after(() => fs.rmSync(modules, { recursive: true, force: true }));

/** Start `script`, resolve to its base URL once it prints "listening on URL". */
function start(script) {
  const child = spawn(process.execPath, [script], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve({ child, base: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${err}`)));
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

for (const name of ['node-express', 'node-koa', 'node-nestjs', 'node-hono']) {
  test(`examples/${name}: signed accepted, tampered 401, unsigned 400`, async () => {
    const { child, base } = await start(path.join(ROOT, 'examples', name, 'server.js'));
    try {
      const url = `${base}/webhooks/bullseye`;
      const ok = await post(url, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json, { received: 'visitor.identified' });
      const bad = await post(url, tampered, { ...JSON_TYPE, 'x-bullseye-signature': signed });
      assert.deepEqual([bad.status, bad.json], [401, { error: 'signature_mismatch' }]);
      const unsigned = await post(url, identification, JSON_TYPE);
      assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }]);
    } finally {
      child.removeAllListeners('exit');
      child.kill();
    }
  });
}

test('examples/node-lambda: invoke.js with REST and function URL events: signed 200, tampered 401, unsigned 400', () => {
  const dir = path.join(ROOT, 'examples', 'node-lambda');
  const bodies = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-lambda-'));
  try {
    const run = (body, ...signature) => {
      const file = path.join(bodies, 'body.json');
      fs.writeFileSync(file, body);
      const out = execFileSync(process.execPath, [path.join(dir, 'invoke.js'), file, ...signature], { env: ENV, encoding: 'utf8' });
      return out.trim().split('\n').map((line) => JSON.parse(line)).map(({ shape, response }) => [shape, response.statusCode, JSON.parse(response.body)]);
    };
    assert.deepEqual(run(identification, signed), [
      ['rest', 200, { received: 'visitor.identified' }],
      ['function url', 200, { received: 'visitor.identified' }],
    ]);
    assert.deepEqual(run(tampered, signed), [
      ['rest', 401, { error: 'signature_mismatch' }],
      ['function url', 401, { error: 'signature_mismatch' }],
    ]);
    assert.deepEqual(run(identification), [
      ['rest', 400, { error: 'missing_signature' }],
      ['function url', 400, { error: 'missing_signature' }],
    ]);
  } finally {
    fs.rmSync(bodies, { recursive: true, force: true });
  }
});
