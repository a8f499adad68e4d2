'use strict';
// bullseye-webhooks/partner in Deno (the `deno` npm package, pinned in
// bindings-node's dev dependencies): partner-deno.mjs imports the module the
// package's `./partner` export names for `import` and, allowed the network
// to 127.0.0.1 only, calls every endpoint of the emulator (spawned here),
// which delivers the test webhook to a receiver in this process; also a wrong
// key and a server that never answers (a timeout).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { ROOT } = require('../impl.js');
const { listen } = require('./http.js');
const { Emulator } = require('./emulator.js');

const PKG = path.join(ROOT, 'bindings-node');
const DENO = path.join(PKG, 'node_modules', '.bin', 'deno');
const KEY = 'pk_deno_partner_Wc7n';

async function server(t, respond) {
  const seen = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      respond(req, res);
    });
  });
  const url = await listen(srv);
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return { url, seen };
}

function deno(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(DENO, args, { env: { ...process.env, ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

test('the partner client in Deno, against the emulator', { timeout: 120_000 }, async (t) => {
  assert.ok(fs.existsSync(DENO), `${DENO} is missing: install bindings-node's dev dependencies (make setup-node)`);
  const emulator = await Emulator.start({ key: KEY });
  t.after(() => emulator.stop());
  const receiver = await server(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const slow = await server(t, () => {});
  const manifest = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  const entry = pathToFileURL(path.join(PKG, manifest.exports['./partner'].import)).href;

  const run = await deno(['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env=KEY,API,RECEIVER,SLOW', `--allow-read=${PKG}`, path.join(__dirname, 'partner-deno.mjs'), entry], {
    KEY,
    API: emulator.baseUrl,
    RECEIVER: `${receiver.url}/hooks/identification`,
    SLOW: `${slow.url}/api/v1`,
  });
  assert.equal(run.code, 0, `deno failed:\n${run.stderr}`);
  const seen = JSON.parse(run.stdout.trim().split('\n').pop());

  assert.match(seen.runtime, /^deno \d+\./);
  assert.match(seen.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  const none = { url: null, enabled: false, hasSecret: false };
  assert.deepEqual(seen.before, { identification: none, billing: none });
  assert.deepEqual(seen.set, { url: `${receiver.url}/hooks/identification`, enabled: true, hasSecret: true });
  assert.deepEqual([seen.test.success, seen.test.message], [true, 'Test webhook sent successfully']);
  assert.equal(receiver.seen.length, 1);
  const delivery = receiver.seen[0];
  assert.equal(delivery.headers['x-bullseye-signature'], crypto.createHmac('sha256', seen.secret).update(delivery.body).digest('hex'));
  assert.deepEqual([seen.page.total, seen.page.logs.length, seen.page.logs[0].status, seen.page.logs[0].statusCode], [1, 1, 'delivered', 200]);
  assert.deepEqual(seen.all, [seen.page.logs[0].id]);
  assert.deepEqual(
    { ...seen.wrongKey, message: undefined },
    { isPartnerApiError: true, kind: 'api_status', status: 401, code: 'unauthorized', serverMessage: 'invalid API key', message: undefined },
  );
  assert.ok(!seen.wrongKey.message.includes('pk_wrong_in_deno'));
  assert.deepEqual([seen.slow.isPartnerApiError, seen.slow.kind, seen.slow.status], [true, 'transport', null]);
  assert.match(seen.slow.message, /timed out after 200 ms/);
  assert.ok(!seen.printed.includes(KEY), seen.printed);
  assert.equal(seen.printed.split('[REDACTED]').length - 1, 2, seen.printed);
});
