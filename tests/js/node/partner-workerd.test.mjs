// bullseye-webhooks/partner in a real workerd (Miniflare, pinned in
// bindings-node's dev dependencies), loaded as wrangler would load it: the
// module the package's `./partner` export names for `import`, under its
// package name. Over real HTTP on 127.0.0.1, from inside the Worker:
// - partner-worker.mjs calls every endpoint of the emulator (spawned here),
//   which delivers the test webhook to a receiver in this process, and a
//   scripted 503-then-200 server and one that never answers;
// - the README's Worker example answers from the emulator's logs, compared
//   with what the Node client reads.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { ROOT } = require('../impl.js');
const { listen, requireDev } = require('./http.js');
const { Emulator } = require('./emulator.js');

const { Miniflare } = requireDev('miniflare');
const PKG = path.join(ROOT, 'bindings-node');
const { PartnerClient } = require(path.join(PKG, 'partner.js'));
const KEY = 'pk_workerd_partner_Xr4v';
const COMPATIBILITY_DATE = '2026-04-01';

/** Miniflare options for `script`, with the package's partner module under its import name. */
function workerOptions(script, bindings) {
  const manifest = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  const entry = manifest.exports['./partner'].import;
  return {
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: script },
      { type: 'ESModule', path: `${manifest.name}/partner`, contents: fs.readFileSync(path.join(PKG, entry), 'utf8') },
    ],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
  };
}

async function inWorkerd(t, script, bindings) {
  const mf = new Miniflare(workerOptions(script, bindings));
  t.after(() => mf.dispose());
  const response = await mf.dispatchFetch('http://worker.test/');
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text);
}

/** A node:http server on 127.0.0.1; `respond(req, res, n)` answers the n-th request. */
async function server(t, respond) {
  const seen = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      respond(req, res, seen.length - 1);
    });
  });
  const url = await listen(srv);
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return { url, seen };
}

const answer = (res, status, value) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

test('the partner client in workerd: every endpoint, errors, retries, a timeout', { timeout: 120_000 }, async (t) => {
  const emulator = await Emulator.start({ key: KEY });
  t.after(() => emulator.stop());
  const receiver = await server(t, (req, res) => answer(res, 200, { ok: true }));
  const flakyConfig = { identification: { url: null, enabled: false, hasSecret: false }, billing: { url: null, enabled: false, hasSecret: false }, extra: 1 };
  const flaky = await server(t, (req, res, n) => (n === 0 ? answer(res, 503, { message: 'busy' }) : answer(res, 200, flakyConfig)));
  const slow = await server(t, () => {});

  const seen = await inWorkerd(t, fs.readFileSync(fileURLToPath(new URL('partner-worker.mjs', import.meta.url)), 'utf8'), {
    KEY,
    API: emulator.baseUrl,
    RECEIVER: `${receiver.url}/hooks/identification`,
    FLAKY: `${flaky.url}/api/v1`,
    SLOW: `${slow.url}/api/v1`,
  });

  assert.match(seen.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(seen.secret.slice(6), 'base64url').length, 32);
  const none = { url: null, enabled: false, hasSecret: false };
  assert.deepEqual(seen.before, { identification: none, billing: none });
  const configured = { url: `${receiver.url}/hooks/identification`, enabled: true, hasSecret: true };
  assert.deepEqual(seen.set, configured);
  assert.deepEqual(seen.after, { identification: configured, billing: none });
  assert.equal(seen.test.success, true);
  assert.equal(seen.test.message, 'Test webhook sent successfully');

  // The emulator delivered the test, signed with the secret made in workerd.
  assert.equal(receiver.seen.length, 1);
  const delivery = receiver.seen[0];
  assert.equal(delivery.url, '/hooks/identification');
  assert.equal(delivery.headers['x-bullseye-signature'], crypto.createHmac('sha256', seen.secret).update(delivery.body).digest('hex'));

  assert.deepEqual([seen.page.total, seen.page.page, seen.page.pageSize, seen.page.logs.length], [1, 1, 1, 1]);
  assert.deepEqual([seen.page.logs[0].status, seen.page.logs[0].statusCode, seen.page.logs[0].type], ['delivered', 200, 'identification']);
  assert.deepEqual(seen.all, [seen.page.logs[0].id]);

  assert.deepEqual(
    { ...seen.wrongKey, message: undefined },
    { isPartnerApiError: true, name: 'PartnerApiError', kind: 'api_status', status: 401, code: 'unauthorized', serverMessage: 'invalid API key', message: undefined },
  );
  assert.ok(!seen.wrongKey.message.includes('pk_wrong_in_workerd'));

  assert.deepEqual(seen.flaky, flakyConfig);
  assert.equal(flaky.seen.length, 2, 'the 503 was retried');
  assert.ok(flaky.seen.every((r) => r.headers['x-partner-api-key'] === KEY));

  assert.deepEqual([seen.slow.isPartnerApiError, seen.slow.kind, seen.slow.status], [true, 'transport', null]);
  assert.match(seen.slow.message, /timed out after 200 ms/);

  assert.ok(!seen.printed.includes(KEY), seen.printed);
  assert.match(seen.printed, /\[REDACTED\]/);
});

test("the README's Worker example answers from the emulator's logs", { timeout: 120_000 }, async (t) => {
  const text = fs.readFileSync(path.join(PKG, 'README.md'), 'utf8');
  const start = text.indexOf('\n## Partner API\n');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const worker = [...section.matchAll(/```javascript\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => /export default \{/.test(code));
  assert.ok(worker, 'the Partner API section has a Worker example');

  const emulator = await Emulator.start({ key: KEY });
  t.after(() => emulator.stop());
  const receiver = await server(t, (req, res) => answer(res, 500, { error: 'down' }));
  const client = new PartnerClient({ apiKey: KEY, baseUrl: emulator.baseUrl });
  await client.setWebhook('billing', { url: `${receiver.url}/billing`, secret: 'whsec_readme_worker', enabled: true });
  assert.equal((await client.sendTest('billing')).success, false);
  // The first attempt and its 3 retries (60 ms, 300 ms, 1.8 s at this time scale), all failed.
  const deadline = Date.now() + 20_000;
  while ((await client.logs({ status: 'failed' })).total < 4) {
    assert.ok(Date.now() < deadline, 'the retries did not all happen');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const expected = await client.logs({ status: 'failed', pageSize: 10 });
  assert.equal(expected.total, 4);

  const answered = await inWorkerd(t, worker, { BULLSEYE_PARTNER_API_KEY: KEY, BULLSEYE_PARTNER_API_URL: emulator.baseUrl });
  assert.deepEqual(answered, { failed: 4, latest: expected.logs.map((entry) => [entry.attemptedAt, 500]) });
  assert.equal(receiver.seen.length, 4);
});
