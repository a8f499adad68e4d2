// BitnobWebhook in Node on the .wasm: every case of
// fixtures/bitnob-vectors.json (tests/bitnob-cases.mjs, which Chromium and
// workerd run too), secret hygiene, argument checks, the Fetch Request
// helpers, and deliveryKeyOf. Signatures here come from node:crypto, not
// from the package.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import * as lib from '../node.js';
import { runCase, runSecretHelpers } from './bitnob-cases.mjs';

const { BitnobWebhook, WebhookError, deliveryKeyOf } = lib;
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/bitnob-vectors.json', import.meta.url), 'utf8'));

const SECRET = 'bn_whsk_api_test_Zq2u';
const OLD = 'bn_whsk_api_old_9x7w';
const BODY = '{"event":"virtualcard.transaction.debit","data":{"id":"txn_1","amount":2500}}';
const AT = 1_764_590_400;
const hmac256 = (secret, timestamp, body) => crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
const hmac512 = (secret, body) => crypto.createHmac('sha512', secret).update(body).digest('hex');
const sha256 = (body) => crypto.createHash('sha256').update(body).digest('hex');
const headers = (signature, timestamp = String(AT), extra = {}) => ({
  'x-bitnob-signature': signature,
  'x-bitnob-timestamp': timestamp,
  'content-type': 'application/json',
  ...extra,
});

test('bitnob-vectors.json has its cases', () => {
  assert.ok(vectors.cases.length >= 100, `bitnob-vectors.json lost cases: ${vectors.cases.length}`);
});

for (const c of vectors.cases) {
  test(`bitnob vector: ${c.name}`, async () => {
    assert.deepEqual(await runCase(lib, c), []);
  });
}

test('bitnob vectors: secretLast4 and secretsEndingIn', () => {
  assert.deepEqual(runSecretHelpers(lib, vectors), []);
});

test('the constants are the headers and the window the core reads', () => {
  // Bitnob's names (its webhook-security page), and the core reads exactly these.
  assert.deepEqual([lib.BITNOB_SIGNATURE_HEADER, lib.BITNOB_TIMESTAMP_HEADER, lib.BITNOB_EVENT_HEADER], ['X-Bitnob-Signature', 'X-Bitnob-Timestamp', 'X-Bitnob-Event']);
  const unnamed = '{"data":{}}';
  const event = new BitnobWebhook(SECRET).constructEvent(
    unnamed,
    {
      [lib.BITNOB_SIGNATURE_HEADER]: hmac256(SECRET, AT, unnamed),
      [lib.BITNOB_TIMESTAMP_HEADER]: String(AT),
      [lib.BITNOB_EVENT_HEADER]: 'card.created',
    },
    { now: AT * 1000 },
  );
  assert.equal(event.event_type, 'card.created');
  assert.equal(lib.DEFAULT_BITNOB_TOLERANCE, 300);
  assert.equal(new BitnobWebhook(SECRET).tolerance, lib.DEFAULT_BITNOB_TOLERANCE);
});

test('both schemes, rotation, the default window and its options', () => {
  const webhook = new BitnobWebhook([SECRET, OLD]);
  assert.equal(webhook.tolerance, 300);
  assert.equal(webhook.legacySha512, true);
  assert.equal(webhook.maxBodyBytes, 1024 * 1024);
  const now = AT * 1000;
  for (const secret of [SECRET, OLD]) {
    webhook.verify(BODY, headers(hmac256(secret, AT, BODY)), { now });
    webhook.verify(BODY, headers(hmac512(secret, BODY), ''), { now: 0 }); // no window on the legacy scheme
  }
  const signed = headers(hmac256(SECRET, AT, BODY));
  webhook.verify(BODY, signed, { now: new Date(now + 300_000) });
  assert.throws(() => webhook.verify(BODY, signed, { now: now + 301_000 }), { code: 'timestamp_out_of_tolerance' });
  assert.throws(() => webhook.verify(BODY, signed), { code: 'timestamp_out_of_tolerance' }); // the real clock: 2025 is long gone
  new BitnobWebhook(SECRET, { tolerance: null }).verify(BODY, signed);
  new BitnobWebhook(SECRET, { tolerance: 86_400 * 365 * 100 }).verify(BODY, signed);
  assert.equal(new BitnobWebhook(SECRET, { tolerance: null }).tolerance, null);
  assert.equal(new BitnobWebhook(SECRET, { tolerance: 60 }).tolerance, 60);

  const sha256Only = new BitnobWebhook(SECRET, { legacySha512: false });
  assert.equal(sha256Only.legacySha512, false);
  assert.throws(() => sha256Only.verify(BODY, headers(hmac512(SECRET, BODY)), { now }), (error) => {
    assert.ok(error instanceof WebhookError);
    assert.equal(error.code, 'malformed_signature');
    assert.equal(error.status, 400);
    assert.match(error.message, /SHA-512 scheme is switched off/);
    return true;
  });
  assert.throws(() => new BitnobWebhook(SECRET, { maxBodyBytes: 10 }).verify(BODY, signed, { now }), { code: 'body_too_large', status: 413 });
});

test('constructEvent: the payload plus event_type, from the header or the body', () => {
  const webhook = new BitnobWebhook(SECRET);
  const now = AT * 1000;
  const event = webhook.constructEvent(BODY, headers(hmac256(SECRET, AT, BODY), String(AT), { 'X-Bitnob-Event': 'virtualcard.transaction.debit' }), { now });
  assert.deepEqual(event, { event: 'virtualcard.transaction.debit', data: { id: 'txn_1', amount: 2500 }, event_type: 'virtualcard.transaction.debit' });
  assert.equal(deliveryKeyOf(event), `sha256:${sha256(BODY)}`);
  assert.deepEqual(Object.keys(event), ['event', 'data', 'event_type'], 'the key is not enumerable');
  assert.equal(JSON.stringify(event).includes('sha256'), false);

  const headerOnly = '{"data":{"id":"txn_2"}}';
  const named = webhook.constructEvent(headerOnly, headers(hmac256(SECRET, AT, headerOnly), String(AT), { 'x-bitnob-event': 'card.created' }), { now });
  assert.equal(named.event_type, 'card.created');
  assert.throws(() => webhook.constructEvent(headerOnly, headers(hmac256(SECRET, AT, headerOnly)), { now }), { code: 'invalid_payload' });
  assert.throws(
    () => webhook.constructEvent(BODY, headers(hmac256(SECRET, AT, BODY), String(AT), { 'x-bitnob-event': 'card.created' }), { now }),
    (error) => error.code === 'invalid_payload' && /disagrees with the signed body/.test(error.message),
  );
  const list = webhook.constructEvent(BODY, [['X-Bitnob-Signature', hmac256(SECRET, AT, BODY)], ['X-Bitnob-Timestamp', String(AT)]], { now });
  assert.equal(list.event_type, 'virtualcard.transaction.debit');
  const map = webhook.constructEvent(new TextEncoder().encode(BODY), new Map(Object.entries(headers(hmac256(SECRET, AT, BODY)))), { now });
  assert.equal(map.event_type, 'virtualcard.transaction.debit');
});

test('secrets never show in inspect, JSON or error messages', () => {
  const webhook = new BitnobWebhook([SECRET, OLD]);
  for (const text of [inspect(webhook), JSON.stringify(webhook), String(webhook)]) {
    assert.equal(text.includes(SECRET) || text.includes(OLD) || text.includes('bn_whsk'), false, text);
  }
  assert.match(inspect(webhook), /BitnobWebhook \{ secrets: \[REDACTED; 2\], tolerance: 300, legacySha512: true/);
  assert.deepEqual(webhook.toJSON(), { secrets: '[REDACTED; 2]', tolerance: 300, legacySha512: true, maxBodyBytes: 1048576 });
  const attempts = [
    () => webhook.verify(BODY, headers('zz')),
    () => webhook.verify(BODY, headers(hmac256('other', AT, BODY)), { now: AT * 1000 }),
    () => webhook.verify(BODY, headers(hmac512('other', BODY))),
    () => webhook.verify(BODY, {}),
    () => webhook.constructEvent('[1]', headers(hmac256(SECRET, AT, '[1]')), { now: AT * 1000 }),
    () => new BitnobWebhook(''),
    () => new BitnobWebhook([SECRET, '']),
    () => new BitnobWebhook(undefined),
  ];
  for (const attempt of attempts) {
    assert.throws(attempt, (error) => {
      assert.ok(error instanceof WebhookError, String(error));
      for (const text of [error.message, error.stack, inspect(error)]) {
        assert.equal(text.includes(SECRET) || text.includes(OLD), false, text);
      }
      return true;
    });
  }
  // Only the last 4 are kept for secretsEndingIn: the answer names indexes.
  assert.deepEqual(webhook.secretsEndingIn('Zq2u'), [0]);
  assert.deepEqual(webhook.secretsEndingIn('9x7w'), [1]);
  assert.deepEqual(webhook.secretsEndingIn(SECRET), []);
});

test('the caller\'s secret bytes are left as given; the copies are wiped', () => {
  const secret = new TextEncoder().encode(SECRET);
  const before = Array.from(secret);
  const webhook = new BitnobWebhook(secret);
  assert.deepEqual(Array.from(secret), before);
  webhook.verify(BODY, headers(hmac256(SECRET, AT, BODY)), { now: AT * 1000 });
  assert.equal(lib.secretLast4(secret), 'Zq2u');
  assert.deepEqual(Array.from(secret), before);
});

test('signBitnob and signBitnobLegacy match node:crypto', () => {
  assert.equal(lib.signBitnob(SECRET, BODY, AT), hmac256(SECRET, AT, BODY));
  assert.equal(lib.signBitnob(SECRET, new TextEncoder().encode(BODY), String(AT)), hmac256(SECRET, AT, BODY));
  assert.throws(() => lib.signBitnob(SECRET, BODY, 1.5), TypeError);
  assert.equal(lib.signBitnobLegacy(SECRET, BODY), hmac512(SECRET, BODY));
  assert.equal(lib.signBitnobLegacy(new TextEncoder().encode(SECRET), new TextEncoder().encode(BODY)), hmac512(SECRET, BODY));
});

test('misuse is a TypeError, never a crash', () => {
  const webhook = new BitnobWebhook(SECRET);
  assert.throws(() => new BitnobWebhook(SECRET, { nope: 1 }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { tolerance: -1 }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { tolerance: '300' }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { legacySha512: 'yes' }), TypeError);
  assert.throws(() => new BitnobWebhook(SECRET, { maxBodyBytes: 1.5 }), TypeError);
  assert.throws(() => new BitnobWebhook(42), TypeError);
  assert.throws(() => webhook.verify(42, {}), TypeError);
  assert.throws(() => webhook.verify(BODY, 'a signature alone'), TypeError);
  assert.throws(() => webhook.verify(BODY, [['x-bitnob-signature']]), TypeError);
  assert.throws(() => webhook.verify(BODY, {}, { now: 'soon' }), TypeError);
  assert.throws(() => webhook.secretsEndingIn(1234), TypeError);
  assert.throws(() => webhook.verify(JSON.parse(BODY), {}), { code: 'invalid_body' });
  assert.throws(() => webhook.verify(BODY, undefined), { code: 'missing_signature' });
});

function request(body, requestHeaders = {}) {
  return new Request('https://receiver.example/bitnob', { method: 'POST', body, headers: requestHeaders });
}

test('verifyRequest and constructEventFromRequest read a Fetch Request (real clock)', async () => {
  const webhook = new BitnobWebhook(SECRET, { maxBodyBytes: 8192 });
  const now = String(Math.floor(Date.now() / 1000));
  const signature = hmac256(SECRET, now, BODY);
  const verified = await webhook.verifyRequest(request(BODY, headers(signature, now)));
  assert.equal(new TextDecoder().decode(verified), BODY);
  const event = await webhook.constructEventFromRequest(request(BODY, headers(signature, now, { 'X-Bitnob-Event': 'virtualcard.transaction.debit' })));
  assert.equal(event.event_type, 'virtualcard.transaction.debit');
  assert.equal(deliveryKeyOf(event), `sha256:${sha256(BODY)}`);
  const legacy = await webhook.constructEventFromRequest(request(BODY, { 'X-Bitnob-Signature': hmac512(SECRET, BODY) }));
  assert.equal(legacy.data.id, 'txn_1');

  const stale = String(Number(now) - 301);
  await assert.rejects(webhook.verifyRequest(request(BODY, headers(hmac256(SECRET, stale, BODY), stale))), { code: 'timestamp_out_of_tolerance' });
  await assert.rejects(webhook.verifyRequest(request('{"event":"x"}', headers(signature, now))), { code: 'signature_mismatch' });
  await assert.rejects(webhook.verifyRequest(request(BODY)), { code: 'missing_signature' });
  await assert.rejects(webhook.verifyRequest(request(new Uint8Array(9000), headers(signature, now))), { code: 'body_too_large' });
  await assert.rejects(webhook.verifyRequest({}), TypeError);
});

test('deliveryKeyOf: the core\'s key for events and visits; a TypeError for anything else', () => {
  const secret = 'whsec_key_test';
  const session = '{"event":"visitor.identified","organization_id":"org:1","session_id":"s_1"}';
  const event = new lib.Webhook(secret).constructEvent(session, lib.sign(secret, session));
  assert.equal(deliveryKeyOf(event), 'bullseye:org%3A1:visitor.identified:s_1');
  const noSession = '{"event":"visitor.identified"}';
  assert.equal(deliveryKeyOf(new lib.Webhook(secret).constructEvent(noSession, lib.sign(secret, noSession))), `sha256:${sha256(noSession)}`);
  assert.equal(deliveryKeyOf(lib.parseVisit('{"event":"NEW_VISIT","id":"v_1"}')), 'visit:v_1');
  const anonymous = '{"event":"NEW_VISIT"}';
  assert.equal(deliveryKeyOf(new lib.Webhook(secret).constructVisit(anonymous, secret)), `sha256:${sha256(anonymous)}`);
  assert.throws(() => deliveryKeyOf({ ...event }), TypeError);
  assert.throws(() => deliveryKeyOf(structuredClone(event)), TypeError);
  assert.throws(() => deliveryKeyOf(null), TypeError);
});
