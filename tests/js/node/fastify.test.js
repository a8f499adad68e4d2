'use strict';
// The Fastify plugin against a real Fastify server on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { requireDev, post } = require('./http.js');
const { SECRET, hmac, identification, visit, tampered, signed } = require('../fixtures.js');

const Fastify = requireDev('fastify');
const { Webhook, fastifyPlugin } = lib;

let app;
let base;
test.before(async () => {
  app = Fastify();
  // The webhook routes live in their own encapsulated scope...
  app.register(async (scope) => {
    scope.register(fastifyPlugin, { webhook: new Webhook(SECRET, { maxBodyBytes: 4096 }) });
    scope.post('/bullseye', async (request) => ({
      event_type: request.bullseyeEvent.event_type,
      domain: request.bullseyeEvent.company?.domain ?? null,
    }));
  });
  app.register(async (scope) => {
    scope.register(fastifyPlugin, { webhook: new Webhook('fp-token'), kind: 'visit' });
    scope.post('/visit', async (request) => ({ id: request.bullseyeVisit.id, isEU: request.bullseyeVisit.location.isEU }));
  });
  // ...so the rest of the app keeps Fastify's own JSON parsing.
  app.post('/other', async (request) => ({ parsed: typeof request.body }));
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
test.after(() => app.close());

test('a signed JSON delivery is verified over its raw bytes and reaches the handler', async () => {
  for (const type of ['application/json', 'application/json; charset=utf-8', 'text/plain']) {
    const answer = await post(`${base}/bullseye`, identification, { 'content-type': type, 'x-bullseye-signature': signed });
    assert.equal(answer.status, 200, `${type}: ${answer.text}`);
    assert.deepEqual(answer.json, { event_type: 'visitor.identified', domain: 'acme-industries.example' });
  }
});

test('a delivery without a content type is verified too', async () => {
  const answer = await post(`${base}/bullseye`, identification, { 'x-bullseye-signature': signed });
  assert.equal(answer.status, 200, answer.text);
});

test('routes outside the scope still get parsed JSON', async () => {
  const answer = await post(`${base}/other`, '{"a":1}', { 'content-type': 'application/json' });
  assert.deepEqual(answer.json, { parsed: 'object' });
});

test('refusals answer the contract status with {"error": code}', async () => {
  const big = Buffer.alloc(5000, ' ');
  const cases = [
    [tampered, { 'x-bullseye-signature': signed }, 401, 'signature_mismatch'],
    [identification, {}, 400, 'missing_signature'],
    [identification, { 'x-bullseye-signature': signed.slice(1) }, 400, 'malformed_signature'],
    ['[1]', { 'x-bullseye-signature': hmac(SECRET, '[1]') }, 400, 'invalid_body'],
    ['{"visitor":{}}', { 'x-bullseye-signature': hmac(SECRET, '{"visitor":{}}') }, 400, 'invalid_payload'],
    [big, { 'x-bullseye-signature': hmac(SECRET, big) }, 413, 'body_too_large'],
  ];
  for (const [body, headers, status, code] of cases) {
    const answer = await post(`${base}/bullseye`, body, { 'content-type': 'application/json', ...headers });
    assert.equal(answer.status, status, `${code}: ${answer.text}`);
    assert.deepEqual(answer.json, { error: code });
  }
});

test('an empty body is refused by the core, not by Fastify', async () => {
  const answer = await post(`${base}/bullseye`, '', { 'content-type': 'application/json', 'x-bullseye-signature': hmac(SECRET, '') });
  assert.deepEqual([answer.status, answer.json], [400, { error: 'invalid_body' }]);
});

test("kind: 'visit' puts the visit on request.bullseyeVisit", async () => {
  const answer = await post(`${base}/visit`, visit, { 'content-type': 'application/json', 'x-webhook-signature': 'fp-token' });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { id: 'vst_3f9a61c2', isEU: true });
});
