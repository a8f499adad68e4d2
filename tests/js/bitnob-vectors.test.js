'use strict';
// Every case of fixtures/bitnob-vectors.json (generated with the Python
// standard library alone) through BitnobWebhook's verify and constructEvent,
// and its secretLast4 / secretsEndingIn cases, for whichever package
// BULLSEYE_IMPL chooses. The event's delivery key is the body's SHA-256,
// computed here by node:crypto.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { lib, FIXTURES } = require('./impl.js');

const { BitnobWebhook, WebhookError, secretLast4, deliveryKeyOf, mismatchesOf } = lib;
const vectors = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bitnob-vectors.json'), 'utf8'));

function bodyOf(c) {
  if (typeof c.body === 'string') return Buffer.from(c.body, 'utf8');
  if (typeof c.body_hex === 'string') return Buffer.from(c.body_hex, 'hex');
  if (c.body_repeat) return Buffer.from(c.body_repeat.text.repeat(c.body_repeat.count), 'utf8');
  throw new Error(`${c.name}: no body`);
}

function optionsOf(c) {
  const options = {};
  if (c.options && 'tolerance_seconds' in c.options) options.tolerance = c.options.tolerance_seconds;
  if (c.options && 'legacy_sha512' in c.options) options.legacySha512 = c.options.legacy_sha512;
  if (c.options && 'max_body_bytes' in c.options) options.maxBodyBytes = c.options.max_body_bytes;
  return options;
}

/** {ok: true, value} or {ok: false, code}; anything but a WebhookError fails the test. */
function outcome(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    assert.ok(error instanceof WebhookError, `not a WebhookError: ${error && error.stack}`);
    return { ok: false, code: error.code };
  }
}

test('bitnob-vectors.json has its cases', () => {
  assert.ok(vectors.cases.length >= 100, `${vectors.cases.length} cases`);
});

for (const c of vectors.cases) {
  test(`bitnob vector: ${c.name}`, () => {
    const body = bodyOf(c);
    const now = { now: c.now_unix * 1000 };
    const verified = outcome(() => new BitnobWebhook(c.secrets, optionsOf(c)).verify(body, c.headers, now));
    if (c.expect.verify.ok) assert.equal(verified.ok, true, `verify: ${verified.code}`);
    else assert.deepEqual(verified, { ok: false, code: c.expect.verify.code });

    const constructed = outcome(() => new BitnobWebhook(c.secrets, optionsOf(c)).constructEvent(body, c.headers, now));
    const expected = c.expect.construct_event;
    if (!expected.ok) {
      assert.deepEqual(constructed, { ok: false, code: expected.code });
      return;
    }
    assert.equal(constructed.ok, true, `construct_event: ${constructed.code}`);
    const event = constructed.value;
    assert.equal(event.event_type, expected.event_type);
    // The whole payload object, plus event_type; no mismatch (Bitnob has no typed fields).
    assert.deepEqual(event, { ...JSON.parse(body.toString('utf8')), event_type: expected.event_type });
    assert.deepEqual(mismatchesOf(event), []);
    assert.equal(deliveryKeyOf(event), `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`);
  });
}

test('bitnob vectors: secretLast4', () => {
  for (const { secret, last4 } of vectors.secret_last4) assert.equal(secretLast4(secret), last4, secret);
});

test('bitnob vectors: secretsEndingIn', () => {
  for (const { secrets, last4, indexes } of vectors.secrets_ending_in) {
    assert.deepEqual(new BitnobWebhook(secrets).secretsEndingIn(last4), indexes, `${last4} among ${secrets.length}`);
  }
});
