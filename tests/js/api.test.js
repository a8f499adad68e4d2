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

const { Webhook, WebhookError, ERROR_CODES, SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, parseVisit, sign, mismatchesOf } = lib;

const SECRET = 'whsec_test_api_secret';
const identification = fs.readFileSync(path.join(FIXTURES, 'payloads', 'identification-event.json'));
/** Signatures computed by node:crypto, not by the code under test. */
const hmac = (secret, body) => crypto.createHmac('sha256', secret).update(body).digest('hex');
const good = hmac(SECRET, identification);
/** The identification example of Bullseye's partner API document, byte for byte. */
const documented = fs.readFileSync(path.join(FIXTURES, 'payloads', 'bullseye-partner-api-identification.json'));

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
  for (const strict of ['yes', 1, {}]) {
    assert.throws(() => new Webhook(SECRET, { strict }), { name: 'TypeError', message: /strict must be a boolean/ });
    assert.throws(() => parseVisit('{}', { strict }), { name: 'TypeError', message: /strict must be a boolean/ });
  }
  assert.throws(() => parseVisit('{}', { lenient: true }), { name: 'TypeError', message: /unknown option "lenient"/ });
  assert.throws(() => parseVisit('{}', 'strict'), TypeError);
  for (const notAnObject of [undefined, null, 'event', 42]) {
    assert.throws(() => mismatchesOf(notAnObject), { name: 'TypeError', message: /mismatchesOf takes an event or a visit/ });
  }
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
  // This payload drifts from the documented types in four fields; written
  // back, the values as sent give the payload itself.
  const asSent = structuredClone(event);
  for (const { path: dotted, value } of mismatchesOf(event)) {
    const keys = dotted.split('.');
    keys.slice(0, -1).reduce((parent, key) => parent[key], asSent)[keys.at(-1)] = value;
  }
  assert.deepEqual({ ...asSent, event_type: undefined }, { ...payload, event_type: undefined });
  assert.equal(event.event_type, 'visitor.identified');
  assert.ok(lib.isVisitorIdentified(event));

  const typed = '{"event_type":"webhook.test","event":"other","n":1}';
  const generic = webhook.constructEvent(typed, hmac(SECRET, typed));
  assert.deepEqual(Object.keys(generic), ['event_type', 'event', 'n']);
  assert.equal(generic.event_type, 'webhook.test');
  assert.equal(lib.isVisitorIdentified(generic), false);
});

test('a numeric id reads as the core reads it: its decimal text, reported as a mismatch', () => {
  const webhook = new Webhook(SECRET);
  const body = '{"event":"visitor.identified","visitor":{"id":42,"email":"a@b.example"},"company":{"id":7}}';
  const event = webhook.constructEvent(body, hmac(SECRET, body));
  assert.equal(event.visitor.id, '42');
  assert.equal(event.company.id, '7');
  assert.equal(event.visitor.email, 'a@b.example');
  assert.deepEqual(mismatchesOf(event), [
    { path: 'visitor.id', expected: 'string', found: 'integer', value: 42 },
    { path: 'company.id', expected: 'string', found: 'integer', value: 7 },
  ]);
});

test("the partner API document's identification example, byte for byte: typed, no mismatch", () => {
  const webhook = new Webhook(SECRET);
  const event = webhook.constructEvent(documented, sign(SECRET, documented));
  assert.equal(event.event_type, 'visitor.identified');
  assert.equal(event.company.size, 150);
  assert.equal(event.visitor.persona_match, true);
  assert.equal(event.visitor.icp, 'Enterprise Lead');
  assert.deepEqual(event.visitor.icp_statuses, {});
  assert.deepEqual(event.session.tracking_params, {});
  assert.equal(event.page_views.length, 2);
  assert.deepEqual(mismatchesOf(event), []);
  assert.deepEqual(event, { ...JSON.parse(documented.toString()), event_type: 'visitor.identified' });
  // Strict accepts it too: nothing drifted.
  assert.equal(new Webhook(SECRET, { strict: true }).constructEvent(documented, sign(SECRET, documented)).company.size, 150);
});

/** The documented example with `company.size` sent as text, and `visitor.persona_match` as an object. */
const drifted = Buffer.from(
  documented.toString().replace('"size": 150', '"size": "150"').replace('"persona_match": true', '"persona_match": {"score": 0.9}'),
);

test('a field of another type is accepted: the typed value in the event, the value as sent in mismatchesOf', () => {
  assert.notDeepEqual(drifted, documented);
  const webhook = new Webhook(SECRET);
  assert.equal(webhook.strict, false);
  const event = webhook.constructEvent(drifted, sign(SECRET, drifted));
  assert.equal(event.company.size, 150); // "150" converts without loss
  assert.equal(event.visitor.persona_match, null); // an object does not
  assert.deepEqual(mismatchesOf(event), [
    { path: 'visitor.persona_match', expected: 'boolean', found: 'object', value: { score: 0.9 } },
    { path: 'company.size', expected: 'integer', found: 'string', value: '150' },
  ]);
  // No trace of the list on the object itself.
  const parsed = JSON.parse(drifted.toString());
  assert.deepEqual(Object.keys(event), Object.keys(parsed)); // event_type is the payload's own
  assert.deepEqual(Object.keys(event.company), Object.keys(parsed.company));
  assert.equal(JSON.stringify(event).includes('mismatch'), false);
  assert.deepEqual(JSON.parse(JSON.stringify(event)), event);
  // A new array each call: changing one changes neither the event nor the next.
  mismatchesOf(event)[0].value = 'changed';
  mismatchesOf(event).pop();
  assert.equal(mismatchesOf(event).length, 2);
  assert.deepEqual(mismatchesOf(event)[0].value, { score: 0.9 });
  // Objects the package did not build have none.
  assert.deepEqual(mismatchesOf({}), []);
  assert.deepEqual(mismatchesOf(parsed), []);
});

test('the conversions the contract allows, and null for the rest', () => {
  const webhook = new Webhook(SECRET);
  const body =
    '{"event_type":"visitor.identified","workspace":12,' +
    '"visitor":{"id":9007199254740993,"homeowner":"true","married":"no","icp":["a"],"icp_statuses":"x","age_range":1.5},' +
    '"company":{"size":"0150","employee_count":"-7","name":false},' +
    '"session":{"pages_visited":3.0,"first_visit":"false","tracking_params":[]},' +
    '"page_views":[null,"https://a.example",{"url":1,"visited_at":"now"}]}';
  const event = webhook.constructEvent(body, sign(SECRET, body));
  assert.equal(event.workspace, '12');
  assert.equal(event.visitor.id, '9007199254740993'); // the text as sent, beyond a double's precision
  assert.equal(event.visitor.homeowner, true);
  assert.equal(event.visitor.married, null);
  assert.equal(event.visitor.icp, null);
  assert.equal(event.visitor.icp_statuses, null);
  assert.equal(event.visitor.age_range, null);
  assert.equal(event.company.size, null);
  assert.equal(event.company.employee_count, -7);
  assert.equal(event.company.name, null);
  assert.equal(event.session.pages_visited, null); // 3.0 is a number, not an integer
  assert.equal(event.session.first_visit, false);
  assert.equal(event.session.tracking_params, null);
  assert.deepEqual(event.page_views, [null, null, { url: '1', visited_at: 'now' }]);
  assert.deepEqual(
    mismatchesOf(event).map(({ path: where, expected, found }) => `${where}: ${expected} <- ${found}`),
    [
      'workspace: string <- integer',
      'visitor.id: string <- integer',
      'visitor.homeowner: boolean <- string',
      'visitor.married: boolean <- string',
      'visitor.icp: string <- array',
      'visitor.icp_statuses: object <- string',
      'visitor.age_range: string <- number',
      'company.size: integer <- string',
      'company.employee_count: integer <- string',
      'company.name: string <- boolean',
      'session.pages_visited: integer <- number',
      'session.first_visit: boolean <- string',
      'session.tracking_params: object <- array',
      'page_views.1: object <- string',
      'page_views.2.url: string <- integer',
    ],
  );
  // Generic events have no documented fields, so no mismatches.
  const generic = '{"event_type":"billing.updated","company":{"size":"150"}}';
  const other = webhook.constructEvent(generic, sign(SECRET, generic));
  assert.equal(other.company.size, '150');
  assert.deepEqual(mismatchesOf(other), []);
});

test('strict refuses the first mismatch as invalid_payload, naming the field and both types, never the value', () => {
  const webhook = new Webhook(SECRET, { strict: true });
  assert.equal(webhook.strict, true);
  assert.throws(
    () => webhook.constructEvent(drifted, sign(SECRET, drifted)),
    (error) => {
      assert.ok(error instanceof WebhookError);
      assert.equal(error.code, 'invalid_payload');
      assert.equal(error.status, 400);
      assert.equal(error.message, 'invalid_payload: `visitor.persona_match` must be a boolean, but it is an object');
      assert.ok(!error.message.includes('0.9'));
      return true;
    },
  );
  // Body errors still come first.
  assert.throws(() => webhook.constructEvent('{"event":"x",', sign(SECRET, '{"event":"x",')), { code: 'invalid_body' });
  assert.equal(new Webhook(SECRET, { strict: false }).constructEvent(drifted, sign(SECRET, drifted)).company.size, 150);
  assert.equal(new Webhook(SECRET, { strict: null }).strict, false);
});

test('a string body with a lone surrogate is parsed as the bytes that were verified', () => {
  const webhook = new Webhook(SECRET);
  const body = '{"event":"x","name":"a\ud800b"}';
  const event = webhook.constructEvent(body, hmac(SECRET, Buffer.from(body)));
  assert.equal(event.name, 'a\ufffdb');
  const visit = parseVisit('{"event":"NEW_VISIT","id":"v\udc00"}');
  assert.equal(visit.id, 'v\ufffd');
  assert.equal(visit.raw.id, 'v\ufffd');
});

test('the event is parsed from the body given: a leading BOM is refused, shared memory is read', () => {
  // The package parses the body JavaScript holds; the core decides what it may hold.
  const webhook = new Webhook(SECRET);
  const body = '{"event":"x","n":1}';
  const withBom = `\ufeff${body}`;
  for (const sent of [withBom, new TextEncoder().encode(withBom)]) {
    assert.throws(() => webhook.constructEvent(sent, hmac(SECRET, Buffer.from(withBom))), { code: 'invalid_body' });
  }
  const shared = new Uint8Array(new SharedArrayBuffer(body.length));
  shared.set(Buffer.from(body));
  assert.deepEqual(Object.entries(webhook.constructEvent(shared, hmac(SECRET, body))), [['event', 'x'], ['n', 1], ['event_type', 'x']]);
});

test('event_type is the event own member even where Object.prototype has an event_type setter', () => {
  const webhook = new Webhook(SECRET);
  const set = [];
  Object.defineProperty(Object.prototype, 'event_type', { set: (value) => set.push(value), get: () => 'inherited', configurable: true });
  try {
    for (const body of ['{"event":"x","n":1}', '{"event_type":"y","n":1}']) {
      const event = webhook.constructEvent(body, hmac(SECRET, body));
      assert.deepEqual(Object.entries(event), body.includes('"y"') ? [['event_type', 'y'], ['n', 1]] : [['event', 'x'], ['n', 1], ['event_type', 'x']]);
    }
  } finally {
    delete Object.prototype.event_type;
  }
  assert.deepEqual(set, []);
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

test('visits: the payload typed, plus raw, by token or HMAC, from headers too', () => {
  const visitBody = fs.readFileSync(path.join(FIXTURES, 'payloads', 'visit-new-visit.json'));
  const token = 'fp-token-for-the-api-test';
  const webhook = new Webhook(token);
  const byToken = webhook.constructVisit(visitBody, { 'x-webhook-signature': token });
  const byHmac = webhook.constructVisit(visitBody, new Headers({ [VISIT_SIGNATURE_HEADER]: hmac(token, visitBody) }));
  const payload = JSON.parse(visitBody.toString());
  for (const visit of [byToken, byHmac, parseVisit(visitBody)]) {
    assert.equal(visit.screen.width, 1920);
    assert.equal(visit.raw.screen.width, '1920');
    assert.equal(visit.trafficSource.isPaid, false);
    assert.equal(visit.event_type, 'NEW_VISIT');
    // The visit is the payload, plus event_type; raw is the object as sent, not enumerable.
    assert.deepEqual(visit.raw, payload);
    assert.deepEqual(Object.keys(visit), [...Object.keys(payload), ...(Object.hasOwn(payload, 'event_type') ? [] : ['event_type'])]);
    assert.equal(Object.getOwnPropertyDescriptor(visit, 'raw').enumerable, false);
    assert.equal(JSON.stringify(visit).includes('"raw"'), false);
  }
  assert.throws(() => webhook.constructVisit(visitBody, { [SIGNATURE_HEADER]: token }), { code: 'missing_signature' });
  assert.throws(() => webhook.constructVisit(visitBody, 'not-the-token'), { code: 'signature_mismatch' });
});

test('the partner document visit example: typed, no mismatch, lenient and strict', () => {
  const visitBody = fs.readFileSync(path.join(FIXTURES, 'payloads', 'fingerprinting-api-visit.json'));
  for (const visit of [parseVisit(visitBody), parseVisit(visitBody, { strict: true })]) {
    assert.deepEqual(mismatchesOf(visit), []);
    assert.deepEqual(visit.raw, JSON.parse(visitBody.toString()));
  }
});

test('visits: descriptive strings typed at any depth, a repeated key by its last value; drift reported', () => {
  const body =
    '{"type":"NEW_VISITOR","id":7,"timezone":"1","visitor":{"id":"fp","firstSeen":"true"},' +
    '"device":{"cores":"8","cores":"x","mobile":"true","list":["1",{"deep":"-2"},"01"]},' +
    '"screen":{"width":"1920","width":"1280"},"location":"Paris"}';
  const visit = parseVisit(body);
  assert.equal(visit.event_type, 'NEW_VISITOR');
  assert.equal(visit.id, '7');
  assert.equal(visit.timezone, '1'); // plain strings outside the descriptive objects
  assert.equal(visit.visitor.firstSeen, 'true');
  assert.deepEqual(visit.device, { cores: 'x', mobile: true, list: [1, { deep: -2 }, '01'] });
  assert.deepEqual(visit.screen, { width: 1280 });
  assert.equal(visit.location, null);
  assert.deepEqual(visit.raw.device, { cores: 'x', mobile: 'true', list: ['1', { deep: '-2' }, '01'] });
  assert.deepEqual(mismatchesOf(visit), [
    { path: 'id', expected: 'string', found: 'integer', value: 7 },
    { path: 'location', expected: 'object', found: 'string', value: 'Paris' },
  ]);
  assert.throws(() => parseVisit(body, { strict: true }), {
    code: 'invalid_payload',
    message: 'invalid_payload: `id` must be a string, but it is an integer',
  });
  assert.throws(() => new Webhook('tok', { strict: true }).constructVisit(body, 'tok'), { code: 'invalid_payload' });
  const untyped = parseVisit('{"id":"v"}');
  assert.equal(untyped.event_type, null);
  assert.deepEqual(mismatchesOf(untyped), []);
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
