'use strict';
// How a case of fixtures/vectors.json becomes arguments: its body bytes, its
// Webhook and parseVisit's options; and how a JS event is read back as the
// payload that was sent. Shared by vectors.test.js and tests/conformance/dump_js.js.
const fs = require('node:fs');
const path = require('node:path');
const { lib, FIXTURES } = require('./impl.js');

const TYPED_OPERATIONS = ['construct_event', 'parse_visit', 'construct_visit'];

function bodyBytes(c) {
  if (typeof c.body === 'string') return Buffer.from(c.body, 'utf8');
  if (typeof c.body_hex === 'string') return Buffer.from(c.body_hex, 'hex');
  if (typeof c.body_file === 'string') return fs.readFileSync(path.join(FIXTURES, 'payloads', c.body_file));
  if (c.body_repeat) return Buffer.from(c.body_repeat.text.repeat(c.body_repeat.count), 'utf8');
  throw new Error(`case ${c.name} has no body`);
}

function webhookOf(c) {
  const secrets = c.secrets_hex ? c.secrets_hex.map((hex) => new Uint8Array(Buffer.from(hex, 'hex'))) : c.secrets;
  const options = {};
  if (c.options?.max_body_bytes !== undefined) options.maxBodyBytes = c.options.max_body_bytes;
  if (c.options?.tolerance_seconds !== undefined) options.tolerance = c.options.tolerance_seconds;
  if (c.options?.strict !== undefined) options.strict = c.options.strict;
  return new lib.Webhook(secrets, options);
}

/** parseVisit's options: `{ strict }` when the case sets it, else none (the default). */
function visitOptionsOf(c) {
  return c.options?.strict === undefined ? undefined : { strict: c.options.strict };
}

/**
 * A JS event is the payload with the typed value written at each mismatch
 * path: a copy of it with each mismatch's value (as sent) written back is the
 * payload as sent, plus `event_type`.
 */
function restored(event, mismatches) {
  const copy = structuredClone(event);
  for (const { path: dotted, value } of mismatches) {
    const parts = dotted.split('.');
    let parent = copy;
    for (const part of parts.slice(0, -1)) parent = parent[Array.isArray(parent) ? Number(part) : part];
    const last = parts[parts.length - 1];
    parent[Array.isArray(parent) ? Number(last) : last] = value;
  }
  return copy;
}

module.exports = { TYPED_OPERATIONS, bodyBytes, webhookOf, visitOptionsOf, restored };
