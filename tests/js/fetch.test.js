'use strict';
// verifyRequest / constructEventFromRequest with Fetch API Requests: built
// by a real HTTP server on 127.0.0.1 the way Next.js route handlers and Hono
// on Node build them, and answered with Response.json.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Readable } = require('node:stream');
const { lib, FIXTURES } = require('./impl.js');
const { SECRET, hmac, identification, tampered, signed } = require('./fixtures.js');

const { Webhook, WebhookError, mismatchesOf, sign } = lib;
const webhook = new Webhook(SECRET, { maxBodyBytes: 8192 });
const strict = new Webhook(SECRET, { maxBodyBytes: 8192, strict: true });

/** Bullseye's documented identification example, byte for byte, and the same with two fields of another type. */
const documented = fs.readFileSync(path.join(FIXTURES, 'payloads', 'bullseye-partner-api-identification.json'));
const drifted = Buffer.from(
  documented.toString().replace('"size": 150', '"size": "150"').replace('"persona_match": true', '"persona_match": "Persona of John Doe"'),
);
const DRIFT = [
  { path: 'visitor.persona_match', expected: 'boolean', found: 'string', value: 'Persona of John Doe' },
  { path: 'company.size', expected: 'integer', found: 'string', value: '150' },
];

/** A route handler in the Next.js style: Request in, Response out. */
async function POST(request) {
  try {
    const { pathname } = new URL(request.url);
    if (pathname === '/verify') {
      const body = await webhook.verifyRequest(request);
      return Response.json({ verified_bytes: body.byteLength });
    }
    if (pathname === '/typed' || pathname === '/strict') {
      const event = await (pathname === '/strict' ? strict : webhook).constructEventFromRequest(request);
      return Response.json({ size: event.company.size, persona_match: event.visitor.persona_match, mismatches: mismatchesOf(event) });
    }
    const event = await webhook.constructEventFromRequest(request);
    return Response.json({ event_type: event.event_type, utm_source: event.session?.utm_source ?? null });
  } catch (error) {
    if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
    return Response.json({ unexpected: String(error) }, { status: 500 });
  }
}

/** Node request -> Fetch Request -> handler -> Node response. */
function adapter(handler) {
  return async (req, res) => {
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])),
      body: Readable.toWeb(req),
      duplex: 'half',
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

let server;
let base;
test.before(async () => {
  server = http.createServer(adapter(POST));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
test.after(() => server.close());

async function send(path, body, headers) {
  const response = await fetch(base + path, { method: 'POST', body, headers, duplex: 'half' });
  return { status: response.status, json: await response.json() };
}

test('a signed delivery: the event, and the verified raw body', async () => {
  const event = await send('/event', identification, { 'x-bullseye-signature': signed, 'content-type': 'application/json' });
  assert.deepEqual(event, { status: 200, json: { event_type: 'visitor.identified', utm_source: 'linkedin' } });
  const verified = await send('/verify', identification, { 'X-Bullseye-Signature': signed });
  assert.deepEqual(verified, { status: 200, json: { verified_bytes: identification.length } });
});

test('refusals carry the contract status', async () => {
  const big = Buffer.alloc(8193, ' ');
  const chunks = () =>
    new ReadableStream({
      start(controller) {
        for (let i = 0; i < 9; i++) controller.enqueue(Buffer.alloc(1000, ' '));
        controller.close();
      },
    });
  const cases = [
    ['/event', tampered, { 'x-bullseye-signature': signed }, 401, 'signature_mismatch'],
    ['/verify', identification, {}, 400, 'missing_signature'],
    ['/event', '{}', { 'x-bullseye-signature': hmac(SECRET, '{}') }, 400, 'invalid_payload'],
    ['/event', big, { 'x-bullseye-signature': hmac(SECRET, big) }, 413, 'body_too_large'],
    ['/verify', chunks(), { 'x-bullseye-signature': signed }, 413, 'body_too_large'],
  ];
  for (const [path, body, headers, status, code] of cases) {
    assert.deepEqual(await send(path, body, headers), { status, json: { error: code } }, code);
  }
});

test('Requests built in process: bodies read once, wrong arguments refused', async () => {
  const request = () => new Request('http://127.0.0.1/x', { method: 'POST', body: identification, headers: { 'x-bullseye-signature': signed } });
  const event = await webhook.constructEventFromRequest(request());
  assert.equal(event.company.domain, 'acme-industries.example');
  const used = request();
  await used.text();
  await assert.rejects(webhook.verifyRequest(used), { name: 'WebhookError', code: 'invalid_body' });
  const empty = new Request('http://127.0.0.1/x', { method: 'POST', headers: { 'x-bullseye-signature': hmac(SECRET, '') } });
  assert.equal((await webhook.verifyRequest(empty)).byteLength, 0);
  await assert.rejects(webhook.verifyRequest({}), { name: 'TypeError', message: /Fetch API Request/ });
  await assert.rejects(webhook.verifyRequest(undefined), TypeError);
});

test("Bullseye's documented example, signed with sign: company.size 150, persona_match true, no mismatch", async () => {
  for (const route of ['/typed', '/strict']) {
    const answer = await send(route, documented, { 'x-bullseye-signature': sign(SECRET, documented), 'content-type': 'application/json' });
    assert.deepEqual(answer, { status: 200, json: { size: 150, persona_match: true, mismatches: [] } }, route);
  }
});

test('a field of another type: 200 with the typed value and the mismatch; strict: 400 invalid_payload', async () => {
  const headers = { 'x-bullseye-signature': sign(SECRET, drifted), 'content-type': 'application/json' };
  assert.deepEqual(await send('/typed', drifted, headers), { status: 200, json: { size: 150, persona_match: null, mismatches: DRIFT } });
  assert.deepEqual(await send('/strict', drifted, headers), { status: 400, json: { error: 'invalid_payload' } });
});
