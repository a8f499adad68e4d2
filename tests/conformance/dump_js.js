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

const vectors = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'vectors.json'), 'utf8'));
const out = {};
for (const c of vectors.cases) out[c.name] = run(c);
process.stdout.write(JSON.stringify(out));
