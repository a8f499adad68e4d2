'use strict';
// BitnobWebhook in the Node package beyond the vectors: the signing helpers
// against node:crypto, every headers form, options, secret hygiene, and the
// same integrations as Webhook (Express, Fastify, the Fetch handler) with
// de-duplication, on real servers of 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const util = require('node:util');
const { lib } = require('../impl.js');
const { requireDev, listen, post } = require('./http.js');

const express = requireDev('express');
const Fastify = requireDev('fastify');
const {
  BitnobWebhook,
  WebhookError,
  MemoryStore,
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BITNOB_EVENT_HEADER,
  DEFAULT_BITNOB_TOLERANCE,
  secretLast4,
  signBitnob,
  signBitnobLegacy,
  deliveryKeyOf,
  expressMiddleware,
  fastifyPlugin,
} = lib;

const SECRET = 'bn_whsk_node_tests_R4nd0mZq2u';
const OLD = 'bn_whsk_node_tests_old_9x7w';
const BODY = '{"event":"virtualcard.transaction.debit","data":{"id":"txn_1","amount":2500}}';
const hmac256 = (secret, timestamp, body) => crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
const hmac512 = (secret, body) => crypto.createHmac('sha512', secret).update(body).digest('hex');
const sha256 = (body) => crypto.createHash('sha256').update(body).digest('hex');
const nowSeconds = () => Math.floor(Date.now() / 1000);

function signedHeaders(body = BODY, { secret = SECRET, timestamp = nowSeconds(), event } = {}) {
  const headers = { 'content-type': 'application/json', 'x-bitnob-signature': hmac256(secret, timestamp, body), 'x-bitnob-timestamp': String(timestamp) };
  if (event) headers['x-bitnob-event'] = event;
  return headers;
}

test('the constants, and the default window', () => {
  assert.deepEqual([BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER], ['X-Bitnob-Signature', 'X-Bitnob-Timestamp', 'X-Bitnob-Event']);
  assert.equal(DEFAULT_BITNOB_TOLERANCE, 300);
  const bitnob = new BitnobWebhook(SECRET);
  assert.deepEqual([bitnob.tolerance, bitnob.legacySha512, bitnob.maxBodyBytes], [300, true, 1024 * 1024]);
  const custom = new BitnobWebhook([SECRET, OLD], { tolerance: null, legacySha512: false, maxBodyBytes: 4096 });
  assert.deepEqual([custom.tolerance, custom.legacySha512, custom.maxBodyBytes], [null, false, 4096]);
});

test('signBitnob and signBitnobLegacy match node:crypto', () => {
  assert.equal(signBitnob(SECRET, BODY, 1764590400), hmac256(SECRET, '1764590400', BODY));
  assert.equal(signBitnob(Buffer.from(SECRET), Buffer.from(BODY), '1764590400'), hmac256(SECRET, '1764590400', BODY));
  assert.equal(signBitnobLegacy(SECRET, BODY), hmac512(SECRET, BODY));
  assert.throws(() => signBitnob(SECRET, BODY, 1.5), TypeError);
  assert.throws(() => signBitnob(SECRET, { event: 'x' }, 1), { code: 'invalid_body' });
});

test('the headers are read from every form, case-insensitively', () => {
  const bitnob = new BitnobWebhook(SECRET);
  const timestamp = nowSeconds();
  const signature = hmac256(SECRET, timestamp, BODY);
  const forms = [
    { 'x-bitnob-signature': signature, 'x-bitnob-timestamp': String(timestamp) },
    { 'X-BITNOB-SIGNATURE': signature, 'X-Bitnob-Timestamp': String(timestamp) },
    new Headers({ [BITNOB_SIGNATURE_HEADER]: signature, [BITNOB_TIMESTAMP_HEADER]: String(timestamp) }),
    new Map([['X-Bitnob-Signature', signature], ['x-bitnob-timestamp', String(timestamp)]]),
    [['X-Bitnob-Signature', signature], ['X-Bitnob-Timestamp', String(timestamp)]],
  ];
  for (const headers of forms) {
    bitnob.verify(BODY, headers);
    assert.equal(bitnob.constructEvent(BODY, headers).event_type, 'virtualcard.transaction.debit');
  }
  assert.throws(() => bitnob.verify(BODY, undefined), { code: 'missing_signature' });
  assert.throws(() => bitnob.verify(BODY, signature), { name: 'TypeError', message: /request's headers/ });
  assert.throws(() => bitnob.verify(BODY, [['x-bitnob-signature']]), TypeError);
});

test('the legacy scheme: accepted by default, refused when switched off, never timed', () => {
  const legacy = { 'x-bitnob-signature': hmac512(OLD, BODY) };
  const event = new BitnobWebhook([SECRET, OLD]).constructEvent(BODY, legacy, { now: new Date('2040-01-01') });
  assert.equal(event.event_type, 'virtualcard.transaction.debit');
  assert.throws(() => new BitnobWebhook([SECRET, OLD], { legacySha512: false }).verify(BODY, legacy), (error) => {
    assert.ok(error instanceof WebhookError);
    assert.equal(error.code, 'malformed_signature');
    assert.match(error.message, /SHA-512 scheme is switched off/);
    return true;
  });
});

test('the window: a stale or future timestamp is timestamp_out_of_tolerance (401); null turns it off', () => {
  const stale = signedHeaders(BODY, { timestamp: nowSeconds() - 301 });
  const future = signedHeaders(BODY, { timestamp: nowSeconds() + 400 });
  for (const headers of [stale, future]) {
    assert.throws(() => new BitnobWebhook(SECRET).verify(BODY, headers), { code: 'timestamp_out_of_tolerance', status: 401 });
    new BitnobWebhook(SECRET, { tolerance: null }).verify(BODY, headers);
  }
  new BitnobWebhook(SECRET, { tolerance: 600 }).verify(BODY, stale);
});

test('options are checked', () => {
  assert.throws(() => new BitnobWebhook(SECRET, { tolerance: '5m' }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { tolerance: -1 }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { legacySha512: 'no' }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { strict: true }), { name: 'TypeError', message: /unknown option "strict"/ });
  assert.throws(() => new BitnobWebhook(undefined), { code: 'invalid_secret' });
  assert.throws(() => new BitnobWebhook(''), { code: 'invalid_secret' });
  assert.throws(() => new BitnobWebhook([]), { code: 'invalid_secret' });
  assert.throws(() => new BitnobWebhook(SECRET).secretsEndingIn(1234), TypeError);
});

test('secretLast4 and secretsEndingIn answer without revealing the secrets', () => {
  assert.equal(secretLast4(SECRET), 'Zq2u');
  const bitnob = new BitnobWebhook([OLD, SECRET]);
  assert.deepEqual(bitnob.secretsEndingIn('Zq2u'), [1]);
  assert.deepEqual(bitnob.secretsEndingIn('9x7w'), [0]);
  assert.deepEqual(bitnob.secretsEndingIn('0000'), []);
});

test('no inspect, JSON, string or error message shows a secret', () => {
  const bitnob = new BitnobWebhook([SECRET, OLD], { tolerance: 60 });
  const shown = [
    util.inspect(bitnob),
    util.inspect(bitnob, { showHidden: true, depth: 10 }),
    JSON.stringify(bitnob),
    String(bitnob),
    `${Object.keys(bitnob)}`,
  ];
  assert.equal(util.inspect(bitnob), 'BitnobWebhook { secrets: [REDACTED; 2], tolerance: 60, legacySha512: true, maxBodyBytes: 1048576 }');
  assert.deepEqual(JSON.parse(JSON.stringify(bitnob)), { secrets: '[REDACTED; 2]', tolerance: 60, legacySha512: true, maxBodyBytes: 1048576 });
  // Every refusal, including ones carrying a signature made with each secret.
  const attempts = [
    [BODY, {}],
    [BODY, { 'x-bitnob-signature': 'short' }],
    [BODY, { 'x-bitnob-signature': SECRET }],
    [BODY, { 'x-bitnob-signature': hmac512(SECRET, BODY) + 'ab' }],
    [BODY, signedHeaders(BODY, { secret: 'not-the-secret' })],
    [BODY, signedHeaders(BODY, { timestamp: 1 })],
    ['{"event":', signedHeaders('{"event":')],
    ['{"data":1}', signedHeaders('{"data":1}')],
    ['{"event":"a"}', signedHeaders('{"event":"a"}', { event: 'b' })],
  ];
  for (const [body, headers] of attempts) {
    try {
      bitnob.constructEvent(body, headers);
      assert.fail(`accepted ${body}`);
    } catch (error) {
      assert.ok(error instanceof WebhookError, String(error));
      shown.push(error.message, error.stack, util.inspect(error), JSON.stringify(error));
    }
  }
  for (const text of shown) {
    for (const secret of [SECRET, OLD]) {
      // Not the secret, nor any 8 characters of it.
      for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 8)), `${JSON.stringify(text)} shows part of a secret`);
    }
  }
});

test('the unsigned event header must agree with the signed body', () => {
  const bitnob = new BitnobWebhook(SECRET);
  const body = '{"event":"card.created","data":{}}';
  assert.equal(bitnob.constructEvent(body, signedHeaders(body, { event: 'card.created' })).event_type, 'card.created');
  assert.throws(() => bitnob.constructEvent(body, signedHeaders(body, { event: 'card.deleted' })), { code: 'invalid_payload', message: /header/ });
  const unnamed = '{"data":{}}';
  assert.equal(bitnob.constructEvent(unnamed, signedHeaders(unnamed, { event: 'card.frozen' })).event_type, 'card.frozen');
  assert.throws(() => bitnob.constructEvent(unnamed, signedHeaders(unnamed)), { code: 'invalid_payload' });
});

// ---------------------------------------------------------------------------
// The integrations take a BitnobWebhook as they take a Webhook.

function received(event) {
  return { event_type: event.event_type, amount: event.data?.amount ?? null, key: deliveryKeyOf(event) };
}

async function servers(t, options) {
  const bitnob = new BitnobWebhook([SECRET, OLD]);
  const handled = [];
  const app = express();
  app.post('/bitnob', expressMiddleware(bitnob, options), (req, res) => {
    handled.push(req.bullseyeEvent.event_type);
    res.json(received(req.bullseyeEvent));
  });
  const expressServer = http.createServer(app);
  const expressUrl = `${await listen(expressServer)}/bitnob`;
  t.after(() => expressServer.close());

  const fastify = Fastify();
  fastify.register(async (scope) => {
    scope.register(fastifyPlugin, { webhook: bitnob, ...options });
    scope.post('/bitnob', async (request) => {
      handled.push(request.bullseyeEvent.event_type);
      return received(request.bullseyeEvent);
    });
  });
  const fastifyUrl = `${await fastify.listen({ port: 0, host: '127.0.0.1' })}/bitnob`;
  t.after(() => fastify.close());

  const handler = bitnob.handler((event) => {
    handled.push(event.event_type);
    return received(event);
  }, options);
  const fetchServer = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const response = await handler(new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers: req.headers, body: Buffer.concat(chunks) }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  const fetchUrl = `${await listen(fetchServer)}/bitnob`;
  t.after(() => fetchServer.close());
  return { urls: { express: expressUrl, fastify: fastifyUrl, fetch: fetchUrl }, handled };
}

test('Express, Fastify and the Fetch handler verify Bitnob deliveries: signed, legacy, stale, tampered, unsigned', async (t) => {
  const { urls } = await servers(t);
  for (const [name, url] of Object.entries(urls)) {
    const ok = await post(url, BODY, signedHeaders(BODY, { event: 'virtualcard.transaction.debit' }));
    assert.deepEqual([ok.status, ok.json], [200, { event_type: 'virtualcard.transaction.debit', amount: 2500, key: `sha256:${sha256(BODY)}` }], name);
    const legacy = await post(url, BODY, { 'content-type': 'application/json', 'x-bitnob-signature': hmac512(OLD, BODY) });
    assert.equal(legacy.status, 200, `${name}: ${legacy.text}`);
    const stale = await post(url, BODY, signedHeaders(BODY, { timestamp: nowSeconds() - 3600 }));
    assert.deepEqual([stale.status, stale.json], [401, { error: 'timestamp_out_of_tolerance' }], name);
    const tampered = await post(url, BODY.replace('2500', '250000'), signedHeaders(BODY));
    assert.deepEqual([tampered.status, tampered.json], [401, { error: 'signature_mismatch' }], name);
    const unsigned = await post(url, BODY, { 'content-type': 'application/json' });
    assert.deepEqual([unsigned.status, unsigned.json], [400, { error: 'missing_signature' }], name);
  }
});

test('Bitnob deliveries are de-duplicated by their body: a retry is 200 {"duplicate": true}', async (t) => {
  const { urls, handled } = await servers(t, { dedupe: new MemoryStore() });
  for (const [name, url] of Object.entries(urls)) {
    const body = `{"event":"transfer.success","data":{"via":"${name}"}}`;
    const headers = signedHeaders(body);
    assert.equal((await post(url, body, headers)).status, 200);
    let again;
    for (let i = 0; i < 40; i++) {
      again = await post(url, body, headers);
      if (again.status !== 409) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual([again.status, again.json], [200, { duplicate: true }], name);
  }
  assert.deepEqual(handled, ['transfer.success', 'transfer.success', 'transfer.success']);
});
