'use strict';
// Prints {case name: outcome} for every vector through the JS package chosen
// by BULLSEYE_IMPL (node | wasm): the JS columns of compare.py. An outcome is
// {error: code} or {typed, object, mismatches}.
const fs = require('node:fs');
const path = require('node:path');
const { lib, name, FIXTURES } = require('../js/impl.js');
const { bodyBytes, webhookOf, visitOptionsOf, restored } = require('../js/cases.js');

const { WebhookError, parseVisit, mismatchesOf } = lib;

function visitOutcome(visit) {
  const { raw, ...typed } = visit;
  return { typed, object: raw, mismatches: mismatchesOf(visit) };
}

function run(c) {
  const body = bodyBytes(c);
  try {
    if (c.operation === 'parse_visit') return visitOutcome(parseVisit(body, visitOptionsOf(c)));
    const webhook = webhookOf(c);
    const signature = c.signature === null ? undefined : c.signature;
    if (c.operation === 'verify') {
      webhook.verify(body, signature);
      return { typed: {}, object: {}, mismatches: [] };
    }
    if (c.operation === 'construct_visit') return visitOutcome(webhook.constructVisit(body, signature));
    const now = c.options?.now_unix;
    const event = webhook.constructEvent(body, signature, now === undefined ? undefined : { now: now * 1000 });
    const mismatches = mismatchesOf(event);
    // A JS event is the payload object itself, with event_type and the typed
    // value at each mismatch path; the object as sent has the values as sent.
    return { typed: event, object: restored(event, mismatches), mismatches };
  } catch (error) {
    if (!(error instanceof WebhookError)) throw new Error(`${name}: ${c.name}: ${error}`);
    return { error: error.code };
  }
}

/**
 * The Bitnob columns: every case of bitnob-vectors.json, as two outcomes,
 * `NAME [verify]` and `NAME [construct_event]`, each {error: code} or
 * {typed, object, mismatches}: for construct_event, typed holds event_type
 * and the delivery key, object the event (the payload plus event_type).
 */
function bitnobOutcomes(out) {
  const file = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bitnob-vectors.json'), 'utf8'));
  const encoder = new TextEncoder();
  for (const c of file.cases) {
    const body = typeof c.body === 'string' ? encoder.encode(c.body)
      : typeof c.body_hex === 'string' ? Buffer.from(c.body_hex, 'hex')
      : encoder.encode(c.body_repeat.text.repeat(c.body_repeat.count));
    const options = {};
    if (c.options && 'tolerance_seconds' in c.options) options.tolerance = c.options.tolerance_seconds;
    if (c.options && 'legacy_sha512' in c.options) options.legacySha512 = c.options.legacy_sha512;
    if (c.options && 'max_body_bytes' in c.options) options.maxBodyBytes = c.options.max_body_bytes;
    const now = { now: c.now_unix * 1000 };
    const outcome = (fn) => {
      try {
        return fn(new lib.BitnobWebhook(c.secrets, options));
      } catch (error) {
        if (!(error instanceof WebhookError)) throw new Error(`${name}: ${c.name}: ${error}`);
        return { error: error.code };
      }
    };
    out[`${c.name} [verify]`] = outcome((webhook) => {
      webhook.verify(body, c.headers, now);
      return { typed: {}, object: {}, mismatches: [] };
    });
    out[`${c.name} [construct_event]`] = outcome((webhook) => {
      const event = webhook.constructEvent(body, c.headers, now);
      return { typed: { event_type: event.event_type, delivery_key: lib.deliveryKeyOf(event) }, object: event, mismatches: mismatchesOf(event) };
    });
  }
}

const vectors = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vectors.json'), 'utf8'));
const out = {};
for (const c of vectors.cases) out[c.name] = run(c);
if (name === 'wasm' || name === 'node') bitnobOutcomes(out);
process.stdout.write(JSON.stringify(out));
