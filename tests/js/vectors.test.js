'use strict';
// Runs every case of fixtures/vectors.json through the JS API, as
// tests/conformance/tests/vectors.rs does through the Rust one: the error
// code, or the typed fields and the exact mismatch list (mismatchesOf: path,
// expected, found, value, in document order). Each case runs with the body as
// a Buffer, as a plain Uint8Array and (when it is text) as a string; the
// signature is passed as the header value, and as a headers object.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { lib, FIXTURES } = require('./impl.js');
const { TYPED_OPERATIONS, bodyBytes, webhookOf, visitOptionsOf, restored } = require('./cases.js');

const { WebhookError, parseVisit, mismatchesOf, SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER } = lib;
const vectors = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vectors.json'), 'utf8'));

/** The body in each form the API accepts. */
function bodyForms(c) {
  const bytes = bodyBytes(c);
  const forms = [
    ['Buffer', bytes],
    ['Uint8Array', new Uint8Array(bytes)],
  ];
  if (typeof c.body === 'string') forms.push(['string', c.body]);
  return forms;
}

/** The signature as a header value, or as a headers object holding it (or not). */
function signatureForms(c, header) {
  const headers = { 'content-type': 'application/json' };
  if (c.signature !== null) headers[header.toLowerCase()] = c.signature;
  const forms = [['headers object', headers]];
  if (c.signature !== null) forms.push(['header value', c.signature]);
  return forms;
}

function run(c, body, signature) {
  switch (c.operation) {
    case 'parse_visit': {
      const visit = parseVisit(body, visitOptionsOf(c));
      return { typed: visit, raw: visit.raw };
    }
    case 'verify':
      webhookOf(c).verify(body, signature);
      return { typed: {}, raw: {} };
    case 'construct_visit': {
      const visit = webhookOf(c).constructVisit(body, signature);
      return { typed: visit, raw: visit.raw };
    }
    case 'construct_event': {
      const now = c.options?.now_unix;
      const event = webhookOf(c).constructEvent(body, signature, now === undefined ? undefined : { now: now * 1000 });
      // A JS event is the payload object itself, with event_type.
      return { typed: event, raw: event };
    }
    default:
      throw new Error(`unknown operation ${c.operation}`);
  }
}

/** Resolve `a.b[2].c` or `list.length`; an absent documented field reads as null. */
function resolve(root, dotted) {
  let current = root;
  for (const part of dotted.split('.')) {
    if (part === 'length') return Array.isArray(current) ? current.length : undefined;
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    current = current === null || current === undefined ? undefined : current[match[1]];
    for (const index of match[2].match(/\d+/g) ?? []) {
      current = current === null || current === undefined ? undefined : current[Number(index)];
    }
  }
  return current === undefined ? null : current;
}

test('vectors.json has its cases', () => {
  assert.ok(vectors.cases.length > 1500, `vectors.json lost cases: ${vectors.cases.length}`);
});

for (const c of vectors.cases) {
  test(`${c.name} [${c.source}]`, () => {
    const header = c.operation === 'construct_visit' ? VISIT_SIGNATURE_HEADER : SIGNATURE_HEADER;
    for (const [bodyForm, body] of bodyForms(c)) {
      for (const [signatureForm, signature] of signatureForms(c, header)) {
        const how = `(body as ${bodyForm}, signature as ${signatureForm})`;
        let outcome;
        try {
          outcome = run(c, body, signature);
        } catch (error) {
          assert.ok(error instanceof WebhookError, `${how}: threw ${error?.name}: ${error?.message}`);
          assert.equal(error.code, c.expect.error, `${how}: got error ${error.code}: ${error.message}`);
          continue;
        }
        assert.equal(c.expect.error, undefined, `${how}: accepted, expected error ${c.expect.error}`);
        for (const [dotted, want] of Object.entries(c.expect.fields ?? {})) {
          const got = dotted.startsWith('raw.') ? resolve(outcome.raw, dotted.slice(4)) : resolve(outcome.typed, dotted);
          assert.deepEqual(got, want, `${how}: ${dotted}`);
        }
        if (!TYPED_OPERATIONS.includes(c.operation)) continue;
        assert.ok(Array.isArray(c.expect.mismatches), 'the case lists no mismatches');
        const mismatches = mismatchesOf(outcome.typed);
        assert.deepEqual(mismatches, c.expect.mismatches, `${how}: mismatches`);
        if (c.operation === 'construct_event') {
          // The event is the payload with the typed value at each mismatch path and
          // nothing else: written back, the values as sent give the payload as sent.
          const sent = JSON.parse(bodyBytes(c).toString('utf8'));
          sent.event_type = outcome.typed.event_type;
          assert.deepEqual(restored(outcome.typed, mismatches), sent, `${how}: the event, drift written back`);
        }
      }
    }
  });
}
