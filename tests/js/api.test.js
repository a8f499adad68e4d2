'use strict';
// The JS API beyond the vectors: error codes against the core's list,
// argument types, headers forms, the injected clock, and secret redaction.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { lib, FIXTURES } = require('./impl.js');

const { Webhook, WebhookError, ERROR_CODES, SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, parseVisit, sign } = lib;

const SECRET = 'whsec_test_api_secret';
const identification = fs.readFileSync(path.join(FIXTURES, 'payloads', 'identification-event.json'));
/** Signatures computed by node:crypto, not by the code under test. */
const hmac = (secret, body) => crypto.createHmac('sha256', secret).update(body).digest('hex');
const good = hmac(SECRET, identification);

test('ERROR_CODES equals the core list, in order', () => {
  assert.deepEqual([...ERROR_CODES], lib.coreErrorCodes());
  assert.ok(Object.isFrozen(ERROR_CODES));
});

test('each code carries the HTTP status the contract gives it', () => {
  // From the contract's table: 413 for body_too_large, 401 for signature_mismatch
  // and timestamp_out_of_tolerance, 400 for the rest. invalid_secret is a
  // configuration error the contract gives no status; the core says 500.
  const expected = {
    invalid_secret: 500,
    body_too_large: 413,
    missing_signature: 400,
    malformed_signature: 400,
    signature_mismatch: 401,
    invalid_body: 400,
    invalid_payload: 400,
    timestamp_out_of_tolerance: 401,
  };
  for (const code of ERROR_CODES) {
    const error = new WebhookError(code, `${code}: test`);
    assert.equal(error.status, expected[code], code);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'WebhookError');
  }
});

test('sign matches node:crypto', () => {
  assert.equal(sign(SECRET, identification), good);
  assert.equal(sign(Buffer.from(SECRET), identification.toString()), good);
  assert.equal(sign(new Uint8Array([1, 2, 3]), ''), hmac(Buffer.from([1, 2, 3]), ''));
});

test('the signature header is found in every headers form, case-insensitively', () => {
  const webhook = new Webhook(SECRET);
  const forms = [
    { 'x-bullseye-signature': good },
    { 'X-BULLSEYE-SIGNATURE': good, 'content-type': 'application/json' },
    new Headers({ [SIGNATURE_HEADER]: good }),
    new Map([['X-Bullseye-Signature', good]]),
    { 'x-bullseye-signature': [good] },
  ];
  for (const headers of forms) webhook.verify(identification, headers);
  assert.equal(SIGNATURE_HEADER, 'X-Bullseye-Signature');
  assert.equal(VISIT_SIGNATURE_HEADER, 'X-Webhook-Signature');
});

test('a header sent twice is joined with ", " and refused as malformed', () => {
  const webhook = new Webhook(SECRET);
  const twice = [
    { 'x-bullseye-signature': [good, good] },
    { 'x-bullseye-signature': good, 'X-Bullseye-Signature': good },
  ];
  for (const headers of twice) {
    assert.throws(() => webhook.verify(identification, headers), { name: 'WebhookError', code: 'malformed_signature' });
  }
  const fetchHeaders = new Headers();
  fetchHeaders.append('x-bullseye-signature', good);
  fetchHeaders.append('x-bullseye-signature', good);
  assert.throws(() => webhook.verify(identification, fetchHeaders), { code: 'malformed_signature' });
});

test('an absent header, undefined or null signature is missing_signature', () => {
  const webhook = new Webhook(SECRET);
  for (const signature of [undefined, null, '', {}, { 'content-type': 'application/json' }, new Headers()]) {
    assert.throws(() => webhook.verify(identification, signature), { name: 'WebhookError', code: 'missing_signature' });
  }
});

test('a parsed body is refused with a message that says to pass the raw body', () => {
  const webhook = new Webhook(SECRET);
  for (const parsed of [JSON.parse(identification.toString()), { event: 'visitor.identified' }, [1, 2]]) {
    for (const call of [
      () => webhook.verify(parsed, good),
      () => webhook.constructEvent(parsed, good),
      () => webhook.constructVisit(parsed, good),
      () => parseVisit(parsed),
    ]) {
      assert.throws(call, (error) => {
        assert.ok(error instanceof WebhookError, String(error));
        assert.equal(error.code, 'invalid_body');
        assert.match(error.message, /raw request body/);
        return true;
      });
    }
  }
});

test('wrong argument types are TypeErrors with a clear message, never a crash', () => {
  const webhook = new Webhook(SECRET);
  for (const body of [undefined, null, 42, 42n, true, Symbol('x'), () => {}]) {
    assert.throws(() => webhook.verify(body, good), { name: 'TypeError', message: /body must be the raw request body/ });
    assert.throws(() => webhook.constructEvent(body, good), TypeError);
    assert.throws(() => parseVisit(body), TypeError);
  }
  for (const signature of [42, true, () => {}, [42]]) {
    assert.throws(() => webhook.verify(identification, signature), { name: 'TypeError', message: /signature|header/ });
  }
  assert.throws(() => webhook.verify(identification, { 'x-bullseye-signature': 42 }), TypeError);
  for (const secret of [42, {}, true]) {
    assert.throws(() => new Webhook(secret), { name: 'TypeError', message: /secret must be a string or a Uint8Array/ });
  }
  assert.throws(() => new Webhook(SECRET, { tolerance: -1 }), { name: 'TypeError', message: /tolerance/ });
  assert.throws(() => new Webhook(SECRET, { tolerance: '300' }), TypeError);
  assert.throws(() => new Webhook(SECRET, { maxBodyBytes: 1.5 }), { name: 'TypeError', message: /maxBodyBytes/ });
  assert.throws(() => new Webhook(SECRET, { max_body_bytes: 10 }), { name: 'TypeError', message: /unknown option "max_body_bytes"/ });
  assert.throws(() => new Webhook(SECRET, 5), TypeError);
  assert.throws(() => webhook.constructEvent(identification, good, { now: 'yesterday' }), { name: 'TypeError', message: /now must be/ });
  assert.throws(() => sign(42, identification), TypeError);
});

test('a missing or empty secret is invalid_secret', () => {
  for (const secrets of [undefined, null, '', [], [SECRET, ''], [SECRET, undefined], new Uint8Array(0)]) {
    assert.throws(() => new Webhook(secrets), { name: 'WebhookError', code: 'invalid_secret' });
  }
});

test('an ArrayBuffer body and an ArrayBuffer secret are bytes', () => {
  const bytes = new Uint8Array(identification);
  const webhook = new Webhook(new TextEncoder().encode(SECRET).buffer);
  webhook.verify(bytes.buffer, good);
});

test('events are plain objects: the payload keys, in order, plus event_type', () => {
  const webhook = new Webhook(SECRET);
  const event = webhook.constructEvent(identification, good);
  const payload = JSON.parse(identification.toString());
  assert.equal(Object.getPrototypeOf(event), Object.prototype);
  assert.deepEqual(Object.keys(event), [...Object.keys(payload), 'event_type']);
  assert.deepEqual({ ...event, event_type: undefined }, { ...payload, event_type: undefined });
  assert.equal(event.event_type, 'visitor.identified');
  assert.ok(lib.isVisitorIdentified(event));

  const typed = '{"event_type":"webhook.test","event":"other","n":1}';
  const generic = webhook.constructEvent(typed, hmac(SECRET, typed));
  assert.deepEqual(Object.keys(generic), ['event_type', 'event', 'n']);
  assert.equal(generic.event_type, 'webhook.test');
  assert.equal(lib.isVisitorIdentified(generic), false);
});

test('a numeric id reads as the core reads it: its decimal text', () => {
  const webhook = new Webhook(SECRET);
  const body = '{"event":"visitor.identified","visitor":{"id":42,"email":"a@b.example"},"company":{"id":7}}';
  const event = webhook.constructEvent(body, hmac(SECRET, body));
  assert.equal(event.visitor.id, '42');
  assert.equal(event.company.id, '7');
  assert.equal(event.visitor.email, 'a@b.example');
});

test('a string body with a lone surrogate is parsed as the bytes that were verified', () => {
  const webhook = new Webhook(SECRET);
  const body = '{"event":"x","name":"a\ud800b"}';
  const event = webhook.constructEvent(body, hmac(SECRET, Buffer.from(body)));
  assert.equal(event.name, 'a\ufffdb');
});

test('the clock is injected with { now } as a Date or milliseconds', () => {
  const webhook = new Webhook(SECRET, { tolerance: 300 });
  assert.equal(webhook.tolerance, 300);
  const body = '{"event":"visitor.identified","timestamp":"2025-01-15T10:30:00Z"}';
  const signature = hmac(SECRET, body);
  const signedAt = Date.UTC(2025, 0, 15, 10, 30, 0);
  assert.equal(webhook.constructEvent(body, signature, { now: new Date(signedAt + 60_000) }).event_type, 'visitor.identified');
  assert.equal(webhook.constructEvent(body, signature, { now: signedAt - 300_000 }).event_type, 'visitor.identified');
  for (const now of [signedAt + 301_000, new Date(signedAt - 301_000)]) {
    assert.throws(() => webhook.constructEvent(body, signature, { now }), { code: 'timestamp_out_of_tolerance', status: 401 });
  }
  // Without { now }, the system clock: 2025 is far in the past.
  assert.throws(() => webhook.constructEvent(body, signature), { code: 'timestamp_out_of_tolerance' });
});

test('maxBodyBytes is enforced before the signature is looked at', () => {
  const webhook = new Webhook(SECRET, { maxBodyBytes: 8 });
  assert.equal(webhook.maxBodyBytes, 8);
  assert.throws(() => webhook.verify('123456789', undefined), { code: 'body_too_large', status: 413 });
  assert.equal(new Webhook(SECRET).maxBodyBytes, lib.DEFAULT_MAX_BODY_BYTES);
  assert.equal(lib.DEFAULT_MAX_BODY_BYTES, 1024 * 1024);
});

test('visits: the typed view plus raw, by token or HMAC, from headers too', () => {
  const visitBody = fs.readFileSync(path.join(FIXTURES, 'payloads', 'visit-new-visit.json'));
  const token = 'fp-token-for-the-api-test';
  const webhook = new Webhook(token);
  const byToken = webhook.constructVisit(visitBody, { 'x-webhook-signature': token });
  const byHmac = webhook.constructVisit(visitBody, new Headers({ [VISIT_SIGNATURE_HEADER]: hmac(token, visitBody) }));
  for (const visit of [byToken, byHmac, parseVisit(visitBody)]) {
    assert.equal(visit.screen.width, 1920);
    assert.equal(visit.raw.screen.width, '1920');
    assert.equal(visit.trafficSource.isPaid, false);
    assert.equal(visit.event_type, 'NEW_VISIT');
  }
  assert.throws(() => webhook.constructVisit(visitBody, { [SIGNATURE_HEADER]: token }), { code: 'missing_signature' });
  assert.throws(() => webhook.constructVisit(visitBody, 'not-the-token'), { code: 'signature_mismatch' });
});

test('no error message, inspect or JSON output contains a secret', () => {
  const secrets = ['whsec_RECOGNISABLE_s3cr3t_9f2e', 'whsec_OLD_RECOGNISABLE_77aa'];
  const webhook = new Webhook(secrets, { tolerance: 60 });
  const seen = [
    util.inspect(webhook),
    util.inspect(webhook, { showHidden: true, depth: Infinity, getters: true }),
    JSON.stringify(webhook),
    String(webhook),
    util.format('%o %O %j', webhook, webhook, webhook),
  ];
  const attempts = [
    () => webhook.verify(identification, secrets[0]),
    () => webhook.verify(secrets[0], secrets[1]),
    () => webhook.verify(identification, hmac('whsec_other', identification)),
    () => webhook.constructEvent(secrets[0], hmac(secrets[0], secrets[0])),
    () => webhook.constructEvent(`{"event":"visitor.identified","visitor":{"email":5},"s":"${secrets[1]}"}`, hmac(secrets[0], `{"event":"visitor.identified","visitor":{"email":5},"s":"${secrets[1]}"}`)),
    () => webhook.constructVisit(identification, 'whsec_RECOGNISABLE_s3cr3t_9f2f'),
    () => webhook.constructEvent(JSON.parse(identification.toString()), secrets[0]),
    () => new Webhook([secrets[0], '']),
    () => new Webhook(secrets[0], { tolerance: secrets[1] }),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
      assert.fail('expected a refusal');
    } catch (error) {
      seen.push(error.message, String(error.stack), util.inspect(error));
    }
  }
  assert.match(seen[0], /REDACTED; 2/);
  for (const text of seen) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret) && !text.includes('RECOGNISABLE'), `leaked in: ${text}`);
    }
  }
});
