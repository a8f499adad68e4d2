'use strict';
// The Express middleware against a real Express app on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { lib, FIXTURES } = require('../impl.js');
const { requireDev, listen, post } = require('./http.js');
const { SECRET, hmac, identification, visit, tampered, signed } = require('../fixtures.js');

const express = requireDev('express');
const { Webhook, expressMiddleware, mismatchesOf, sign } = lib;

/** Bullseye's documented identification example, byte for byte, and the same with two fields of another type. */
const documented = fs.readFileSync(path.join(FIXTURES, 'payloads', 'bullseye-partner-api-identification.json'));
const drifted = Buffer.from(
  documented.toString().replace('"size": 150', '"size": "150"').replace('"persona_match": true', '"persona_match": "Persona of John Doe"'),
);
const DRIFT = [
  { path: 'visitor.persona_match', expected: 'boolean', found: 'string', value: 'Persona of John Doe' },
  { path: 'company.size', expected: 'integer', found: 'string', value: '150' },
];

const webhook = new Webhook(SECRET);
const small = new Webhook(SECRET, { maxBodyBytes: 64 });
const JSON_TYPE = { 'content-type': 'application/json' };

function typed(req, res) {
  const event = req.bullseyeEvent;
  res.json({ size: event.company.size, persona_match: event.visitor.persona_match, mismatches: mismatchesOf(event) });
}

function echo(req, res) {
  const event = req.bullseyeEvent;
  res.json({ event_type: event.event_type, email: event.visitor?.email ?? null });
}

let server;
let base;
test.before(async () => {
  const app = express();
  app.post('/plain', expressMiddleware(webhook), echo);
  app.post('/after-raw', express.raw({ type: '*/*' }), expressMiddleware(webhook), echo);
  app.post('/after-text', express.text({ type: '*/*' }), expressMiddleware(webhook), echo);
  app.post('/after-json', express.json(), expressMiddleware(webhook), echo);
  app.post('/small', expressMiddleware(small), echo);
  app.post('/typed', expressMiddleware(webhook), typed);
  app.post('/typed-after-raw', express.raw({ type: '*/*' }), expressMiddleware(webhook), typed);
  app.post('/strict', expressMiddleware(new Webhook(SECRET, { strict: true })), typed);
  app.post('/visit', expressMiddleware(new Webhook('fp-token'), { kind: 'visit' }), (req, res) => {
    res.json({ id: req.bullseyeVisit.id, width: req.bullseyeVisit.screen.width });
  });
  server = http.createServer(app);
  base = await listen(server);
});
test.after(() => server.close());

test('a signed delivery reaches the handler with the event on req.bullseyeEvent', async () => {
  for (const route of ['/plain', '/after-raw', '/after-text']) {
    const answer = await post(base + route, identification, { ...JSON_TYPE, 'X-Bullseye-Signature': signed });
    assert.equal(answer.status, 200, `${route}: ${answer.text}`);
    assert.deepEqual(answer.json, { event_type: 'visitor.identified', email: 'jane.doe@acme-industries.example' });
  }
});

test('express.json() with a content type it skips leaves the stream for the middleware', async () => {
  const answer = await post(`${base}/after-json`, identification, { 'content-type': 'text/plain', 'x-bullseye-signature': signed });
  assert.equal(answer.status, 200, answer.text);
});

test('a body express.json() already parsed is refused as invalid_body, with a warning saying why', async () => {
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const answer = await post(`${base}/after-json`, identification, { ...JSON_TYPE, 'x-bullseye-signature': signed });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json, { error: 'invalid_body' });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].code, 'BULLSEYE_BODY_ALREADY_PARSED');
  assert.match(warnings[0].message, /express\.json\(\).*Mount the Bullseye middleware before any JSON parser/s);
});

test('refusals answer the contract status with {"error": code}', async () => {
  const cases = [
    [identification, { 'x-bullseye-signature': hmac('whsec_wrong', identification) }, 401, 'signature_mismatch'],
    [tampered, { 'x-bullseye-signature': signed }, 401, 'signature_mismatch'],
    [identification, {}, 400, 'missing_signature'],
    [identification, { 'x-bullseye-signature': 'abc' }, 400, 'malformed_signature'],
    ['visitor=jane', { 'x-bullseye-signature': hmac(SECRET, 'visitor=jane') }, 400, 'invalid_body'],
  ];
  for (const [body, headers, status, code] of cases) {
    const answer = await post(`${base}/plain`, body, { ...JSON_TYPE, ...headers });
    assert.equal(answer.status, status, code);
    assert.deepEqual(answer.json, { error: code });
  }
});

test('a body over maxBodyBytes is 413 body_too_large, with or without Content-Length', async () => {
  const big = Buffer.alloc(65, 'x');
  const withLength = await post(`${base}/small`, big, { 'x-bullseye-signature': hmac(SECRET, big) });
  assert.equal(withLength.status, 413);
  assert.deepEqual(withLength.json, { error: 'body_too_large' });
  const chunked = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 5; i++) controller.enqueue(Buffer.alloc(20, 'y'));
      controller.close();
    },
  });
  const response = await fetch(`${base}/small`, { method: 'POST', body: chunked, duplex: 'half', headers: { 'x-bullseye-signature': signed } });
  assert.equal(response.status, 413);
  assert.deepEqual(await response.json(), { error: 'body_too_large' });
  const exactly = Buffer.alloc(64, ' ');
  const atLimit = await post(`${base}/small`, exactly, { 'x-bullseye-signature': hmac(SECRET, exactly) });
  assert.deepEqual(atLimit.json, { error: 'invalid_body' });
});

test("kind: 'visit' puts the visit on req.bullseyeVisit", async () => {
  const answer = await post(`${base}/visit`, visit, { ...JSON_TYPE, 'x-webhook-signature': hmac('fp-token', visit) });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { id: 'vst_3f9a61c2', width: 1920 });
  const wrong = await post(`${base}/visit`, visit, { ...JSON_TYPE, 'x-webhook-signature': 'fp-other' });
  assert.deepEqual([wrong.status, wrong.json], [401, { error: 'signature_mismatch' }]);
});

test("Bullseye's documented example, signed with sign: company.size 150, persona_match true, no mismatch", async () => {
  for (const route of ['/typed', '/typed-after-raw', '/strict']) {
    const answer = await post(base + route, documented, { ...JSON_TYPE, 'x-bullseye-signature': sign(SECRET, documented) });
    assert.equal(answer.status, 200, `${route}: ${answer.text}`);
    assert.deepEqual(answer.json, { size: 150, persona_match: true, mismatches: [] }, route);
  }
});

test('a field of another type is accepted (200), with the typed value and the mismatch on the event', async () => {
  for (const route of ['/typed', '/typed-after-raw']) {
    const answer = await post(base + route, drifted, { ...JSON_TYPE, 'x-bullseye-signature': sign(SECRET, drifted) });
    assert.equal(answer.status, 200, `${route}: ${answer.text}`);
    assert.deepEqual(answer.json, { size: 150, persona_match: null, mismatches: DRIFT }, route);
  }
});

test('strict refuses a field of another type: 400 invalid_payload', async () => {
  const answer = await post(`${base}/strict`, drifted, { ...JSON_TYPE, 'x-bullseye-signature': sign(SECRET, drifted) });
  assert.deepEqual([answer.status, answer.json], [400, { error: 'invalid_payload' }]);
});
