'use strict';
// The queue envelope through the Node package: every vector of
// fixtures/envelope-vectors.json (the Rust and Python tests run the same),
// and what an envelope never shows.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { lib } = require('../impl.js');

const { Webhook, BitnobWebhook, WebhookError, Envelope, InvalidEnvelopeError, makeEnvelope, openEnvelope, deliveryKeyOf } = lib;
const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'fixtures', 'envelope-vectors.json'), 'utf8'));

function verifier(spec) {
  const options = spec.tolerance === undefined ? undefined : { tolerance: spec.tolerance };
  return spec.kind === 'webhook' ? new Webhook(spec.secrets, options) : new BitnobWebhook(spec.secrets, options);
}

for (const vector of VECTORS.make) {
  test(`make: ${vector.name}`, () => {
    const headers = Object.fromEntries(vector.headers);
    const options = { scheme: vector.scheme, receivedAt: vector.received_at_ms };
    const run = () => makeEnvelope(verifier(vector.verifier), Buffer.from(vector.body, 'utf8'), headers, options);
    if (vector.expected.error) {
      assert.throws(run, (error) => error instanceof WebhookError && error.code === vector.expected.error);
      return;
    }
    const envelope = run();
    assert.equal(envelope.toJson(), vector.expected.envelope);
    assert.equal(envelope.key, vector.expected.key);
    assert.equal(envelope.scheme, vector.scheme);
    assert.equal(envelope.receivedAtMs, vector.received_at_ms);
    assert.equal(envelope.body.toString('utf8'), vector.body);
  });
}

for (const vector of VECTORS.open) {
  test(`open: ${vector.name}`, () => {
    const run = () => openEnvelope(verifier(vector.verifier), vector.envelope);
    if (vector.expected.error) {
      assert.throws(run, (error) => (error instanceof WebhookError || error instanceof InvalidEnvelopeError) && error.code === vector.expected.error);
      return;
    }
    const opened = run();
    assert.equal(opened.event_type, vector.expected.event_type);
    assert.equal(deliveryKeyOf(opened), vector.expected.key);
  });
}

test('a read envelope writes the same text, and inspect shows neither body nor signature', () => {
  const text = VECTORS.make[0].expected.envelope;
  const envelope = Envelope.fromJson(Buffer.from(text));
  assert.equal(envelope.toJson(), text);
  const shown = util.inspect(envelope);
  assert.doesNotMatch(shown, /jane@example\.com/);
  assert.ok(!shown.includes(JSON.parse(text).headers['x-bullseye-signature']));
  assert.match(shown, /bullseye:org_1:visitor\.identified:sess_1/);
});

test('a verifier makes only its own schemes', () => {
  assert.throws(() => makeEnvelope(new BitnobWebhook('s'), '{}', {}, { scheme: 'visit' }), TypeError);
  assert.throws(() => makeEnvelope(new Webhook('s'), '{}', {}, { scheme: 'stripe' }), TypeError);
  assert.throws(() => makeEnvelope({}, '{}', {}), TypeError);
  assert.throws(() => Envelope.fromJson('[]'), (error) => error instanceof InvalidEnvelopeError && !(error instanceof WebhookError));
});
