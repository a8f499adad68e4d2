'use strict';
// The partner-API client (bullseye-webhooks/partner, pure JS on fetch) over
// real HTTP on 127.0.0.1:
// - against the emulator (a local Bullseye, spawned here): every endpoint,
//   real deliveries to a receiver on this process (signatures checked with
//   node:crypto), retries seen in the logs, pagination and every filter,
//   a wrong key;
// - the options checked, and the documented default base URL (retries,
//   timeouts and the wire, against scripted servers: partner-wire.test.js);
// - the key never in an inspect, JSON, string or error, even when a server
//   echoes it;
// - generateSecret's format, source (crypto.getRandomValues) and randomness;
// - the subpath loads without the native addon, by require and import.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const util = require('node:util');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { ROOT } = require('../impl.js');
const { listen } = require('./http.js');
const { Emulator } = require('./emulator.js');
const { KEY, scripted, json, text, rejects, until, collect } = require('./partner-helpers.js');

const PKG = path.join(ROOT, 'bindings-node');
const { PartnerClient, PartnerApiError, generateSecret, DEFAULT_BASE_URL, WEBHOOK_TYPES } = require(path.join(PKG, 'partner.js'));

test.describe('against the emulator', () => {
  let emulator;
  let client;
  const received = []; // deliveries the receiver got: { path, headers, body }
  let billingAnswers = []; // statuses the billing route answers next (then 200)
  let receiverUrl;
  let receiver;
  const secrets = {};

  test.before(async () => {
    emulator = await Emulator.start({ key: KEY });
    receiver = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        const status = req.url.startsWith('/billing') && billingAnswers.length ? billingAnswers.shift() : 200;
        json(res, status, { ok: status === 200 });
      });
    });
    receiverUrl = await listen(receiver);
    client = new PartnerClient({ apiKey: KEY, baseUrl: emulator.baseUrl, initialBackoffMs: 20 });
  });
  test.after(async () => {
    receiver?.closeAllConnections();
    receiver?.close();
    await emulator?.stop();
  });

  test('getWebhooks: a new emulator has neither webhook configured', async () => {
    assert.deepEqual(await client.getWebhooks(), {
      identification: { url: null, enabled: false, hasSecret: false },
      billing: { url: null, enabled: false, hasSecret: false },
    });
  });

  test('setWebhook sends url, secret and enabled, and answers the new configuration', async () => {
    secrets.identification = generateSecret();
    secrets.billing = generateSecret();
    const identification = await client.setWebhook('identification', {
      url: `${receiverUrl}/identification`,
      secret: secrets.identification,
      enabled: true,
    });
    assert.deepEqual(identification, { url: `${receiverUrl}/identification`, enabled: true, hasSecret: true });
    // Only the fields given change.
    await client.setWebhook('billing', { url: `${receiverUrl}/billing` });
    assert.deepEqual(await client.setWebhook('billing', { secret: secrets.billing }), { url: `${receiverUrl}/billing`, enabled: false, hasSecret: true });
    assert.deepEqual(await client.setWebhook('billing', { enabled: true }), { url: `${receiverUrl}/billing`, enabled: true, hasSecret: true });
    assert.deepEqual(await client.getWebhooks(), {
      identification: { url: `${receiverUrl}/identification`, enabled: true, hasSecret: true },
      billing: { url: `${receiverUrl}/billing`, enabled: true, hasSecret: true },
    });
  });

  test('setWebhook: null removes the URL and the secret; the server refuses a bad URL with its message', async () => {
    const other = generateSecret();
    await client.setWebhook('identification', { url: 'http://127.0.0.1:9/gone', secret: other });
    assert.deepEqual(await client.setWebhook('identification', { url: null, secret: null }), { url: null, enabled: true, hasSecret: false });
    const error = await rejects(client.setWebhook('identification', { url: 'ftp://example.com/hook' }));
    assert.ok(error instanceof PartnerApiError);
    assert.equal(error.kind, 'api_status');
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.serverMessage, 'url must be an http:// or https:// URL of at most 2048 characters');
    assert.match(error.message, /^partner API answered 400 to PUT \/partner\/webhooks\/identification: url must be/);
    // Put it back for the deliveries below.
    await client.setWebhook('identification', { url: `${receiverUrl}/identification`, secret: secrets.identification });
  });

  test('sendTest delivers a signed test webhook of each type', async () => {
    const before = received.length;
    const result = await client.sendTest('identification');
    assert.equal(result.success, true);
    assert.equal(result.message, 'Test webhook sent successfully');
    assert.equal(typeof result.deliveryId, 'string', 'the emulator\'s extra fields are kept');
    const billing = await client.sendTest('billing');
    assert.equal(billing.success, true);
    assert.equal(received.length, before + 2);
    const [id, bill] = received.slice(before);
    assert.equal(id.path, '/identification');
    assert.equal(JSON.parse(id.body).event_type, 'visitor.identified');
    assert.equal(id.headers['x-bullseye-signature'], crypto.createHmac('sha256', secrets.identification).update(id.body).digest('hex'));
    assert.equal(bill.path, '/billing');
    assert.equal(JSON.parse(bill.body).event_type, 'billing.test');
    assert.equal(bill.headers['x-bullseye-signature'], crypto.createHmac('sha256', secrets.billing).update(bill.body).digest('hex'));
  });

  test('a receiver answering 500 twice: sendTest says so, and the logs show the retries', async () => {
    billingAnswers = [500, 500];
    const result = await client.sendTest('billing');
    assert.equal(result.success, false);
    assert.match(result.message, /the receiver answered 500/);
    const attempts = await until('the third attempt', async () => {
      const mine = (await collect(client.iterLogs({ type: 'billing' }))).filter((e) => e.deliveryId === result.deliveryId);
      return mine.length === 3 && mine;
    });
    attempts.sort((a, b) => a.attempt - b.attempt);
    assert.deepEqual(
      attempts.map((e) => [e.attempt, e.status, e.statusCode]),
      [
        [1, 'failed', 500],
        [2, 'failed', 500],
        [3, 'delivered', 200],
      ],
    );
    for (const entry of attempts) {
      assert.equal(entry.type, 'billing');
      assert.equal(typeof entry.id, 'string');
      assert.ok(!Number.isNaN(Date.parse(entry.attemptedAt)), entry.attemptedAt);
      assert.equal(typeof entry.responseTimeMs, 'number');
    }
  });

  test('logs pages and iterLogs walks every page, with each filter', async () => {
    // Six more identification tests: 1 + 6 = 7 identification attempts in
    // all, besides 4 billing ones (1 test, then 3 attempts of the retried one).
    for (let i = 0; i < 6; i++) assert.equal((await client.sendTest('identification')).success, true);
    const all = await client.logs({ pageSize: 100 });
    assert.equal(all.total, 11);
    assert.equal(all.logs.length, 11);
    assert.equal((await client.logs()).pageSize, 20, 'the emulator\'s default page size');

    const pages = [];
    for (let page = 1; page <= 6; page++) pages.push(await client.logs({ page, pageSize: 2 }));
    assert.deepEqual(
      pages.map((p) => [p.page, p.pageSize, p.total, p.logs.length]),
      [
        [1, 2, 11, 2],
        [2, 2, 11, 2],
        [3, 2, 11, 2],
        [4, 2, 11, 2],
        [5, 2, 11, 2],
        [6, 2, 11, 1],
      ],
    );
    const paged = pages.flatMap((p) => p.logs.map((e) => e.id));
    assert.deepEqual(paged, all.logs.map((e) => e.id));
    assert.equal(new Set(paged).size, 11);
    assert.deepEqual((await collect(client.iterLogs({ pageSize: 2 }))).map((e) => e.id), paged);
    assert.deepEqual((await collect(client.iterLogs({ pageSize: 3, page: 3 }))).map((e) => e.id), paged.slice(6));
    assert.deepEqual((await client.logs({ page: 7, pageSize: 2 })).logs, []);

    const identification = await collect(client.iterLogs({ type: 'identification', pageSize: 3 }));
    assert.equal(identification.length, 7);
    assert.ok(identification.every((e) => e.type === 'identification' && e.status === 'delivered'));
    const billing = await collect(client.iterLogs({ type: 'billing', pageSize: 3 }));
    assert.equal(billing.length, 4);
    const failed = await collect(client.iterLogs({ status: 'failed', pageSize: 1 }));
    assert.deepEqual(failed.map((e) => [e.type, e.statusCode]), [['billing', 500], ['billing', 500]]);
    const billingDelivered = await client.logs({ type: 'billing', status: 'delivered' });
    assert.equal(billingDelivered.total, 2);

    const org = all.logs[0].organizationId;
    assert.equal(typeof org, 'string');
    assert.equal((await client.logs({ organizationId: org, pageSize: 100 })).total, 11);
    const none = await client.logs({ organizationId: 'no-such-organization' });
    assert.deepEqual([none.total, none.logs], [0, []]);
    assert.deepEqual(await collect(client.iterLogs({ organizationId: 'no-such-organization' })), []);
  });

  test('a wrong API key: 401 with the server\'s message, on every call, never retried into success', async () => {
    const wrong = 'pk_wrong_7Zt1_key';
    const bad = new PartnerClient({ apiKey: wrong, baseUrl: emulator.baseUrl });
    const calls = [
      () => bad.getWebhooks(),
      () => bad.setWebhook('billing', { enabled: false }),
      () => bad.sendTest('identification'),
      () => bad.logs(),
      () => collect(bad.iterLogs()),
    ];
    for (const call of calls) {
      const error = await rejects(call());
      assert.ok(error instanceof PartnerApiError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.kind, 'api_status');
      assert.equal(error.code, 'unauthorized');
      assert.equal(error.serverMessage, 'invalid API key');
      assert.equal(error.isUnauthorized, true);
      assert.ok(!util.inspect(error, { showHidden: true }).includes(wrong));
    }
    assert.equal((await client.getWebhooks()).billing.enabled, true, 'the refused PUT changed nothing');
  });
});
test.describe('configuration', () => {
  test('the documented base URL is the default, and calls go to it through the given fetch', async () => {
    const client = new PartnerClient({ apiKey: KEY });
    assert.equal(client.baseUrl, 'https://api.app.bullseye.so/api/v1');
    assert.equal(DEFAULT_BASE_URL, 'https://api.app.bullseye.so/api/v1');
    assert.deepEqual([client.timeoutMs, client.maxRetries], [30_000, 3]);
    const calls = [];
    const recording = new PartnerClient({
      apiKey: KEY,
      fetch: async (url, init) => {
        calls.push([url, init.method, init.headers['X-Partner-API-Key'], init.redirect]);
        return new Response('{"identification":{},"billing":{}}', { status: 200 });
      },
    });
    await recording.getWebhooks();
    assert.deepEqual(calls, [['https://api.app.bullseye.so/api/v1/partner/webhooks', 'GET', KEY, 'manual']]);
    assert.deepEqual(WEBHOOK_TYPES, ['identification', 'billing']);
  });

  test('unusable options are a config PartnerApiError, naming the option but never the key', () => {
    const cases = [
      [undefined, /options object/],
      [{}, /apiKey is required/],
      [{ apiKey: '' }, /apiKey is required/],
      [{ apiKey: 'pk with space' }, /character an HTTP header cannot carry/],
      [{ apiKey: 'pk_line\nbreak' }, /character an HTTP header cannot carry/],
      [{ apiKey: KEY, baseUrl: 'ftp://example.com' }, /baseUrl "ftp:\/\/example.com" is not an http/],
      [{ apiKey: KEY, baseUrl: 'not a url' }, /baseUrl/],
      [{ apiKey: KEY, maxRetries: -1 }, /maxRetries must be an integer from 0 to 10/],
      [{ apiKey: KEY, maxRetries: 11 }, /maxRetries/],
      [{ apiKey: KEY, timeoutMs: 0 }, /timeoutMs/],
      [{ apiKey: KEY, fetch: 'no' }, /no fetch/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new PartnerClient(options),
        (error) => error instanceof PartnerApiError && error.kind === 'config' && message.test(error.message) && !error.message.includes('with space') && !error.message.includes(KEY),
        String(message),
      );
    }
  });
});

test.describe('the key never shows', () => {
  const hidden = (value) => !value.includes(KEY) && !value.includes('9hQ2xv');

  test('not in inspect, JSON, String or any property of the client', () => {
    const client = new PartnerClient({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9/api/v1' });
    const shown = [
      util.inspect(client),
      util.inspect(client, { showHidden: true, depth: Infinity, getters: true }),
      util.format('%o %O %j', client, client, client),
      JSON.stringify(client),
      JSON.stringify({ nested: { client } }),
      String(client),
      `${client}`,
      JSON.stringify(Object.getOwnPropertyNames(client).map((k) => client[k])),
      JSON.stringify(Object.entries({ ...client })),
      util.inspect(structuredClone({ ...client })),
    ];
    for (const text of shown) assert.ok(hidden(text), text);
    assert.deepEqual(Object.getOwnPropertyNames(client), []);
    assert.deepEqual(Object.getOwnPropertySymbols(client), []);
    assert.deepEqual(JSON.parse(JSON.stringify(client)), { baseUrl: 'http://127.0.0.1:9/api/v1', apiKey: '[REDACTED]', timeoutMs: 30000, maxRetries: 3 });
  });

  test('not in an error, even when the server echoes the key or the new secret', async (t) => {
    const secret = 'whsec_rotating_9fR3_do_not_print';
    const server = await scripted(t, (req, res, n, body) => {
      const key = req.headers['x-partner-api-key'];
      if (n === 0) return json(res, 401, { error: `bad_${key}`, message: `the key ${key} is revoked` });
      if (n === 1) return text(res, 403, `forbidden for ${key} (${key})`);
      return json(res, 400, { error: 'invalid_request', message: `secret ${JSON.parse(body).secret} is too weak` });
    });
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, maxRetries: 0 });
    const errors = [await rejects(client.getWebhooks()), await rejects(client.logs()), await rejects(client.setWebhook('billing', { secret }))];
    assert.equal(server.seen[0].headers['x-partner-api-key'], KEY, 'the key did go out, in its header');
    assert.equal(errors[0].serverMessage, 'the key [REDACTED] is revoked');
    assert.equal(errors[0].code, 'bad_[REDACTED]');
    assert.equal(errors[1].serverMessage, 'forbidden for [REDACTED] ([REDACTED])');
    assert.equal(errors[2].serverMessage, 'secret [REDACTED] is too weak');
    for (const error of errors) {
      for (const text of [error.message, error.stack, util.inspect(error, { showHidden: true, depth: Infinity }), JSON.stringify(error), String(error)]) {
        assert.ok(hidden(text) && !text.includes(secret), text);
      }
    }
  });

  test('not in a transport error, whatever the fetch it failed in says', async () => {
    const client = new PartnerClient({
      apiKey: KEY,
      maxRetries: 0,
      fetch: async (url, init) => {
        throw new TypeError(`fetch failed for ${JSON.stringify(init.headers)}`, { cause: new Error(`header ${init.headers['X-Partner-API-Key']}`) });
      },
    });
    const error = await rejects(client.getWebhooks());
    assert.equal(error.kind, 'transport');
    assert.match(error.message, /fetch failed for .*\[REDACTED\]/);
    assert.ok(!('cause' in error));
    for (const text of [error.message, error.stack, util.inspect(error, { showHidden: true, depth: Infinity })]) assert.ok(hidden(text), text);
  });
});

test.describe('generateSecret', () => {
  test('whsec_ + 43 base64url characters: 32 bytes, canonical, all different', () => {
    const secrets = Array.from({ length: 2000 }, () => generateSecret());
    assert.equal(new Set(secrets).size, secrets.length);
    let ones = 0;
    for (const secret of secrets) {
      assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64url');
      assert.equal(bytes.length, 32);
      assert.equal(bytes.toString('base64url'), secret.slice(6), 'canonical encoding');
      for (const byte of bytes) for (let b = byte; b; b >>= 1) ones += b & 1;
    }
    // 512,000 random bits: the share of ones is 0.5 within 0.005 (about 7 standard deviations).
    const share = ones / (secrets.length * 256);
    assert.ok(Math.abs(share - 0.5) < 0.005, `share of one bits: ${share}`);
  });

  test('its bytes come from crypto.getRandomValues, spelled as unpadded base64url', (t) => {
    const fills = [Uint8Array.from({ length: 32 }, (_, i) => i), Uint8Array.from({ length: 32 }, (_, i) => [0xfb, 0xff, 0xbf][i % 3])];
    let calls = 0;
    t.mock.method(globalThis.crypto, 'getRandomValues', (array) => {
      assert.equal(array.length, 32);
      array.set(fills[calls++]);
      return array;
    });
    // Expected values written out (Python: base64.urlsafe_b64encode(...).rstrip(b'=')).
    assert.equal(generateSecret(), 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8');
    assert.equal(generateSecret(), 'whsec_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8');
    assert.equal(calls, 2);
  });
});

test.describe('the package subpath', () => {
  const run = (args, input) => execFileSync(process.execPath, args, { cwd: PKG, encoding: 'utf8', input });

  test('require and import load it without the native addon, with the same names', () => {
    const loaded = JSON.parse(
      run(['-e', "const p = require('bullseye-webhooks/partner'); console.log(JSON.stringify({ names: Object.keys(p).sort(), modules: Object.keys(require.cache), file: require.resolve('bullseye-webhooks/partner') }))"]),
    );
    assert.deepEqual(loaded.modules, [path.join(PKG, 'partner.js')]);
    assert.equal(loaded.file, path.join(PKG, 'partner.js'));
    const imported = JSON.parse(
      run(['--input-type=module', '-e', "import * as p from 'bullseye-webhooks/partner'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); console.log(JSON.stringify({ names: Object.keys(p).sort(), resolved: import.meta.resolve('bullseye-webhooks/partner'), cjs: Object.keys(r.cache) }))"]),
    );
    assert.deepEqual(imported.names, loaded.names);
    assert.match(imported.resolved, /\/bindings-node\/partner\.mjs$/);
    assert.deepEqual(imported.cjs, [], 'the ES module loads no CommonJS file (so no addon)');
    assert.deepEqual(loaded.names, ['API_KEY_ENV', 'API_KEY_HEADER', 'DEFAULT_BASE_URL', 'PartnerApiError', 'PartnerClient', 'SECRET_PREFIX', 'SECRET_RANDOM_BYTES', 'WEBHOOK_TYPES', '_internal', 'generateSecret']);
  });

  test('partner.js is made from partner.mjs, and instanceof holds across the two', async () => {
    run([path.join(PKG, 'scripts', 'partner-cjs.mjs'), '--check']);
    const esm = await import(path.join(PKG, 'partner.mjs'));
    assert.notEqual(esm.PartnerApiError, PartnerApiError);
    assert.ok(new esm.PartnerApiError('x') instanceof PartnerApiError);
    assert.ok(new PartnerApiError('x') instanceof esm.PartnerApiError);
    assert.ok(!(new Error('x') instanceof PartnerApiError));
    class Narrower extends PartnerApiError {}
    assert.ok(!(new PartnerApiError('x') instanceof Narrower), 'a subclass keeps the ordinary check');
    assert.ok(new Narrower('x') instanceof PartnerApiError);
  });

  test('npm pack ships partner.js, partner.mjs and partner.d.ts, and exports ./partner', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PKG, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    const files = packed.files.map((f) => f.path);
    for (const file of ['partner.js', 'partner.mjs', 'partner.d.ts']) assert.ok(files.includes(file), files.join(' '));
    const manifest = require(path.join(PKG, 'package.json'));
    assert.deepEqual(manifest.exports['./partner'], { types: './partner.d.ts', import: './partner.mjs', require: './partner.js', default: './partner.mjs' });
  });
});
