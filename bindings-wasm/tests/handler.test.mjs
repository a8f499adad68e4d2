// webhook.handler in the WASM package (the shared Fetch handler, js/fetch.js):
// a signed delivery reaches the function, a tampered one is answered 401 and
// an unsigned one 400 (the contract's statuses), and de-duplication, which
// needs the Node package's stores, is refused when the handler is made.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Webhook, BitnobWebhook, sign } from '../node.js';

const body = readFileSync(new URL('../../fixtures/payloads/identification-event.json', import.meta.url));
const SECRET = 'whsec_handler_test';

function delivery(bytes, signature) {
  const headers = signature === undefined ? {} : { 'x-bullseye-signature': signature };
  return new Request('http://127.0.0.1/webhooks', { method: 'POST', body: bytes, headers });
}

test('a signed delivery reaches the function, and its return is answered as JSON', async () => {
  const seen = [];
  const receive = new Webhook(SECRET).handler((event) => {
    seen.push(event.event_type);
    return { received: event.event_type };
  });
  const response = await receive(delivery(body, sign(SECRET, body)));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { received: 'visitor.identified' });
  assert.deepEqual(seen, ['visitor.identified']);
});

test('a tampered delivery is refused 401 signature_mismatch without calling the function', async () => {
  let called = false;
  const receive = new Webhook(SECRET).handler(() => {
    called = true;
  });
  const tampered = Buffer.from(body);
  tampered[tampered.length - 2] ^= 1;
  const response = await receive(delivery(tampered, sign(SECRET, body)));
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), { error: 'signature_mismatch' });
  assert.equal(called, false);
});

test('an unsigned delivery is refused 400 missing_signature', async () => {
  const receive = new Webhook(SECRET).handler(() => new Response('never'));
  const response = await receive(delivery(body, undefined));
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), { error: 'missing_signature' });
});

test('undefined is answered 204; a Response as is', async () => {
  const quiet = new Webhook(SECRET).handler(() => undefined);
  assert.equal((await quiet(delivery(body, sign(SECRET, body)))).status, 204);
  const own = new Webhook(SECRET).handler(() => new Response('kept', { status: 202 }));
  const response = await own(delivery(body, sign(SECRET, body)));
  assert.equal(response.status, 202);
  assert.equal(await response.text(), 'kept');
});

test('de-duplication options are refused by name, for both verifiers', () => {
  const store = { claim() {}, complete() {}, release() {} };
  assert.throws(() => new Webhook(SECRET).handler(() => undefined, { dedupe: store }), {
    name: 'TypeError',
    message: /the dedupe option needs a de-duplication store/,
  });
  assert.throws(() => new BitnobWebhook('bn_whsk_test').handler(() => undefined, { lease: 30, retention: 60 }), {
    name: 'TypeError',
    message: /the lease, retention options need a de-duplication store/,
  });
});

test('a refusal gives one warning record, without the secret, the signature or a body byte', async () => {
  const records = [];
  const logger = { warn: (message) => records.push(['warn', message]), debug: (message) => records.push(['debug', message]) };
  const refused = [];
  const receive = new Webhook(SECRET).handler(() => undefined, { logger, onRefused: (error, info) => refused.push(info) });
  const tampered = Buffer.from(body);
  tampered[tampered.length - 2] ^= 1;
  const signature = sign(SECRET, body);
  const response = await receive(delivery(tampered, signature));
  assert.equal(response.status, 401);
  assert.equal(records.length, 1);
  const [level, message] = records[0];
  assert.equal(level, 'warn');
  assert.match(message, /signature_mismatch/);
  assert.match(message, /signature header present/);
  assert.match(message, new RegExp(`body ${tampered.length} bytes`));
  assert.ok(!message.includes(SECRET), 'the secret is not logged');
  assert.ok(!message.includes(signature), 'the signature is not logged');
  assert.ok(!message.includes('visitor'), 'no body text is logged');
  assert.equal(refused.length, 1);
  assert.equal(refused[0].code, 'signature_mismatch');
});
