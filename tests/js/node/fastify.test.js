'use strict';
// The Fastify plugin against a real Fastify server on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { lib, FIXTURES } = require('../impl.js');
const { requireDev, post } = require('./http.js');
const { SECRET, hmac, identification, visit, tampered, signed } = require('../fixtures.js');

const Fastify = requireDev('fastify');
const { Webhook, fastifyPlugin, mismatchesOf, sign } = lib;

/** Bullseye's documented identification example, byte for byte, and the same with two fields of another type. */
const documented = fs.readFileSync(path.join(FIXTURES, 'payloads', 'bullseye-partner-api-identification.json'));
const drifted = Buffer.from(
  documented.toString().replace('"size": 150', '"size": "150"').replace('"persona_match": true', '"persona_match": "Persona of John Doe"'),
);
const DRIFT = [
  { path: 'visitor.persona_match', expected: 'boolean', found: 'string', value: 'Persona of John Doe' },
  { path: 'company.size', expected: 'integer', found: 'string', value: '150' },
];

/** What the app's logger (pino, level warn) wrote, one parsed line each. */
const logged = [];
const logStream = { write: (line) => logged.push(JSON.parse(line)) };

function typed(request) {
  const event = request.bullseyeEvent;
  return { size: event.company.size, persona_match: event.visitor.persona_match, mismatches: mismatchesOf(event) };
}

let app;
let base;
test.before(async () => {
  app = Fastify({ logger: { level: 'warn', stream: logStream } });
  // The webhook routes live in their own encapsulated scope...
  app.register(async (scope) => {
    scope.register(fastifyPlugin, { webhook: new Webhook(SECRET, { maxBodyBytes: 4096 }) });
    scope.post('/bullseye', async (request) => ({
      event_type: request.bullseyeEvent.event_type,
      domain: request.bullseyeEvent.company?.domain ?? null,
    }));
    scope.post('/typed', typed);
  });
  app.register(async (scope) => {
    scope.register(fastifyPlugin, { webhook: new Webhook(SECRET, { strict: true }) });
    scope.post('/strict', typed);
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

test("Bullseye's documented example, signed with sign: company.size 150, persona_match true, no mismatch, nothing logged", async () => {
  logged.length = 0;
  for (const route of ['/typed', '/strict']) {
    const answer = await post(base + route, documented, { 'content-type': 'application/json', 'x-bullseye-signature': sign(SECRET, documented) });
    assert.equal(answer.status, 200, `${route}: ${answer.text}`);
    assert.deepEqual(answer.json, { size: 150, persona_match: true, mismatches: [] }, route);
  }
  assert.deepEqual(logged, []);
});

test('a field of another type is accepted (200), on the event, and logged without its value', async () => {
  logged.length = 0;
  const answer = await post(`${base}/typed`, drifted, { 'content-type': 'application/json', 'x-bullseye-signature': sign(SECRET, drifted) });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { size: 150, persona_match: null, mismatches: DRIFT });
  assert.deepEqual(
    logged.map((line) => [line.level, line.mismatch]),
    DRIFT.map(({ path: where, expected, found }) => [40, { path: where, expected, found }]),
  );
  assert.match(logged[1].msg, /`company\.size` should be integer but is string/);
  for (const line of logged) assert.ok(!JSON.stringify(line).includes('John Doe'), JSON.stringify(line));
});

test('strict refuses a field of another type: 400 invalid_payload', async () => {
  const answer = await post(`${base}/strict`, drifted, { 'content-type': 'application/json', 'x-bullseye-signature': sign(SECRET, drifted) });
  assert.deepEqual([answer.status, answer.json], [400, { error: 'invalid_payload' }]);
});
