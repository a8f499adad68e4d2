'use strict';
// js/observe.js on its own (it imports nothing): the log records, the hooks
// and their `info`, and that a throwing hook changes nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const load = () => import(path.join(__dirname, '..', '..', '..', 'js', 'observe.js'));

function recorder() {
  const records = [];
  return {
    records,
    logger: {
      warn: (message) => records.push(['warn', message]),
      error: (message) => records.push(['error', message]),
      debug: (message) => records.push(['debug', message]),
    },
  };
}

const SECRET = 'whsec_observe_test_secret';
const SIGNATURE = 'ab'.repeat(32);
const BODY = '{"event_type":"visitor.identified","visitor":{"email":"private@example.com"}}';

test('a refusal: one warning with its code, signature presence and body length; onRefused gets the info', async () => {
  const { observer, startDelivery } = await load();
  const { records, logger } = recorder();
  const refused = [];
  const obs = observer({ logger, onRefused: (error, info) => refused.push([error.code, info]) });
  const error = Object.assign(new Error('no signature matches'), { code: 'signature_mismatch', status: 401 });
  startDelivery(obs).refused(error, true, 78);
  assert.deepEqual(records, [['warn', 'bullseye-webhooks: refused a delivery: signature_mismatch (401); signature header present; body 78 bytes']]);
  assert.deepEqual(refused, [['signature_mismatch', { code: 'signature_mismatch', status: 401, signaturePresent: true, bodyLength: 78, eventType: null }]]);
  for (const secretish of [SECRET, SIGNATURE, BODY, 'private@example.com']) assert.ok(!records[0][1].includes(secretish));
});

test('an accepted delivery: debug with its mismatches, onVerified once with code ok or duplicate', async () => {
  const { observer, startDelivery } = await load();
  const { records, logger } = recorder();
  const verified = [];
  const obs = observer({ logger, onVerified: (event, info) => verified.push([event.event_type, info]) });
  const event = { event_type: 'visitor.identified' };
  const first = startDelivery(obs);
  first.verified(event, true, 120, [{ path: 'company.size', expected: 'integer', found: 'string', value: 'many' }]);
  first.claimed(null);
  first.handled(204);
  const again = startDelivery(obs);
  again.verified(event, true, 120, []);
  again.claimed({ status: 200, headers: {}, body: { duplicate: true } });
  assert.deepEqual(records, [
    ['debug', 'bullseye-webhooks: accepted a delivery: visitor.identified; body 120 bytes; company.size: integer expected, string found'],
    ['debug', 'bullseye-webhooks: accepted a delivery: visitor.identified; body 120 bytes; no mismatch'],
  ]);
  assert.deepEqual(verified, [
    ['visitor.identified', { code: 'ok', status: 204, signaturePresent: true, bodyLength: 120, eventType: 'visitor.identified' }],
    ['visitor.identified', { code: 'duplicate', status: 200, signaturePresent: true, bodyLength: 120, eventType: 'visitor.identified' }],
  ]);
});

test('a hook that throws is logged by name only, and the report goes on', async () => {
  const { observer, startDelivery } = await load();
  const { records, logger } = recorder();
  const obs = observer({ logger, onRefused: () => { throw new Error(SECRET); } });
  startDelivery(obs).refused(Object.assign(new Error('x'), { code: 'missing_signature', status: 400 }), false, 0);
  assert.deepEqual(records.map(([level]) => level), ['warn', 'warn']);
  assert.equal(records[1][1], 'bullseye-webhooks: onRefused failed: Error');
});

test('options are checked: a logger needs warn, hooks must be functions', async () => {
  const { observer } = await load();
  assert.throws(() => observer({ logger: {} }), /logger must have a warn method/);
  assert.throws(() => observer({ onVerified: 1 }), /onVerified must be a function/);
  assert.throws(() => observer({ onRefused: 'x' }), /onRefused must be a function/);
});

test('signatureIn finds a header in any casing in plain objects and Headers; empty is absent', async () => {
  const { signatureIn } = await load();
  const names = ['X-Bullseye-Signature'];
  assert.equal(signatureIn({ 'X-BULLSEYE-SIGNATURE': SIGNATURE }, names), true);
  assert.equal(signatureIn(new Headers({ 'x-bullseye-signature': SIGNATURE }), names), true);
  assert.equal(signatureIn({ 'x-bullseye-signature': '  ' }, names), false);
  assert.equal(signatureIn({ 'x-bullseye-signature': ['', SIGNATURE] }, names), true);
  assert.equal(signatureIn({}, names), false);
});

// OpenTelemetry: the real SDK (a pinned devDependency of the Node package),
// registered as the global provider, spans read back from its
// InMemorySpanExporter.
test('with an OpenTelemetry SDK registered: one span per delivery, verify/claim/handle events, outcome and event type', async () => {
  const { createRequire } = require('node:module');
  const from = createRequire(path.join(__dirname, '..', '..', '..', 'bindings-node', 'package.json'));
  const { trace, SpanStatusCode } = from('@opentelemetry/api');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = from('@opentelemetry/sdk-trace-base');
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  assert.ok(trace.setGlobalTracerProvider(provider));
  try {
    const { observer, startDelivery } = await load();
    const obs = observer({ logger: { warn() {} } });
    const accepted = startDelivery(obs);
    accepted.verified({ event_type: 'visitor.identified' }, true, 10, []);
    accepted.claimed(null);
    accepted.handled(200);
    startDelivery(obs).refused(Object.assign(new Error('x'), { code: 'signature_mismatch', status: 401 }), true, 10);
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 2);
    assert.deepEqual(spans.map((span) => span.name), ['bullseye-webhooks delivery', 'bullseye-webhooks delivery']);
    assert.deepEqual(spans[0].events.map((event) => event.name), ['verify', 'claim', 'handle']);
    assert.equal(spans[0].attributes['bullseye.outcome'], 'ok');
    assert.equal(spans[0].attributes['bullseye.event_type'], 'visitor.identified');
    assert.equal(spans[0].attributes['http.response.status_code'], 200);
    assert.deepEqual(spans[1].events.map((event) => event.name), ['verify']);
    assert.equal(spans[1].attributes['bullseye.outcome'], 'signature_mismatch');
    assert.equal(spans[1].status.code, SpanStatusCode.ERROR);
  } finally {
    trace.disable();
  }
});
