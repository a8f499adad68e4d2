'use strict';
// How a case of fixtures/vectors.json becomes arguments: its body bytes and
// its Webhook. Shared by vectors.test.js and tests/conformance/dump_js.js.
const fs = require('node:fs');
const path = require('node:path');
const { lib, FIXTURES } = require('./impl.js');

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
  return new lib.Webhook(secrets, options);
}

module.exports = { bodyBytes, webhookOf };
