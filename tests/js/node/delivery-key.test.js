'use strict';
// deliveryKeyOf: the core's delivery key for events and visits, kept off the
// object's own keys (like mismatchesOf). Expected keys are written out here
// (hashes by node:crypto), not computed by the code under test.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { lib } = require('../impl.js');
const { SECRET, hmac, identification, visit } = require('../fixtures.js');

const { Webhook, parseVisit, deliveryKeyOf } = lib;
const webhook = new Webhook(SECRET);
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const eventOf = (body) => webhook.constructEvent(body, hmac(SECRET, body));

test('an identification: bullseye:{organization_id}:{event_type}:{session_id}', () => {
  assert.equal(deliveryKeyOf(eventOf(identification)), 'bullseye:org_2b9f41c7:visitor.identified:sess_8d41a0e5f3');
});

test("components are escaped, so a ':' cannot forge another key; long ones are hashed", () => {
  const cases = [
    ['{"event_type":"a:b","organization_id":"o:1","session_id":"s 1/é"}', 'bullseye:o%3A1:a%3Ab:s%201%2F%C3%A9'],
    ['{"event_type":"visitor.identified","organization_id":"o","session_id":"' + 'x'.repeat(64) + '"}', `bullseye:o:visitor.identified:${'x'.repeat(64)}`],
    ['{"event_type":"visitor.identified","organization_id":"o","session_id":"' + 'x'.repeat(65) + '"}', `bullseye:o:visitor.identified:sha256-${sha256('x'.repeat(65))}`],
    // Escaped, 22 ':' are 66 characters: hashed too.
    ['{"event_type":"visitor.identified","session_id":"' + ':'.repeat(22) + '"}', `bullseye::visitor.identified:sha256-${sha256(':'.repeat(22))}`],
    // A session_id sent as an integer is read as its decimal text (and reported).
    ['{"event_type":"visitor.identified","organization_id":"o","session_id":123}', 'bullseye:o:visitor.identified:123'],
  ];
  for (const [body, key] of cases) assert.equal(deliveryKeyOf(eventOf(body)), key, body);
});

test('an event without a session_id, or with an empty one: sha256 of the raw body', () => {
  for (const body of ['{"event":"billing.credits_low","credits_remaining":5}', '{"event_type":"visitor.identified","session_id":""}', ' {"event":"x"} ']) {
    assert.equal(deliveryKeyOf(eventOf(body)), `sha256:${sha256(body)}`, body);
  }
});

test('a visit: visit:{id}, else sha256 of the raw body', () => {
  assert.equal(deliveryKeyOf(parseVisit(visit)), 'visit:vst_3f9a61c2');
  assert.equal(deliveryKeyOf(new Webhook('fp-token').constructVisit(visit, 'fp-token')), 'visit:vst_3f9a61c2');
  const anonymous = '{"event":"NEW_VISIT","url":"https://acme.example/"}';
  assert.equal(deliveryKeyOf(parseVisit(anonymous)), `sha256:${sha256(anonymous)}`);
});

test('the key is not one of the object own keys, and a copy has none', () => {
  const body = '{"event":"visitor.identified","organization_id":"o","session_id":"s","visitor":{"email":"a@b.example"}}';
  const event = eventOf(body);
  assert.equal(deliveryKeyOf(event), 'bullseye:o:visitor.identified:s');
  assert.deepEqual(Object.keys(event), ['event', 'organization_id', 'session_id', 'visitor', 'event_type']);
  assert.equal(JSON.stringify(event), '{"event":"visitor.identified","organization_id":"o","session_id":"s","visitor":{"email":"a@b.example"},"event_type":"visitor.identified"}');
  assert.deepEqual(Object.getOwnPropertySymbols({ ...event }), []);
  assert.throws(() => deliveryKeyOf(structuredClone(event)), { name: 'TypeError', message: /a copy loses its key/ });
  assert.throws(() => deliveryKeyOf({ event_type: 'x' }), TypeError);
  assert.throws(() => deliveryKeyOf(null), TypeError);
});
