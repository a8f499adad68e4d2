'use strict';
// Bullseye's own Node `verifyWebhookSignature` (fixtures/sources/, verbatim
// from the partner-API page) against this SDK and its CLI:
//   a. the snippet accepts what `sign` produces;
//   b. the snippet accepts what `bullseye-webhooks send` puts on the wire (a
//      receiver on 127.0.0.1 records the raw body and the signature header),
//      and the body on the wire is the file's bytes exactly;
//   c. `new Webhook(secret).verify` accepts the signature the snippet
//      computes, and refuses a tampered body with `signature_mismatch`.
// Then where the snippet and the SDK differ, so the difference is deliberate.
// Nothing skips: a missing package or CLI binary fails with what to build.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const PAYLOADS = path.join(ROOT, 'fixtures', 'payloads');
const SNIPPET = path.join(ROOT, 'fixtures', 'sources', 'bullseye-partner-api-verify.js');
const IDENTIFICATION = path.join(PAYLOADS, 'bullseye-partner-api-identification.json');
const VISIT = path.join(PAYLOADS, 'fingerprinting-api-visit.json');

let lib;
try {
  lib = require('../../bindings-node');
} catch (error) {
  throw new Error(`cannot load bindings-node (run \`make build-node\` first): ${error.message}`);
}
const { Webhook, WebhookError, sign } = lib;

/** The snippet, evaluated from its verbatim copy, with the test's `require`. */
const verifyWebhookSignature = new Function(
  'require',
  `${fs.readFileSync(SNIPPET, 'utf8')}\nreturn verifyWebhookSignature;`,
)(require);

/** The snippet's own computation, as the page writes it. */
const theirSignature = (secret, body) => crypto.createHmac('sha256', secret).update(body).digest('hex');

const BODIES = [
  ['partner-api-identification', fs.readFileSync(IDENTIFICATION)],
  ['fingerprinting-api-visit', fs.readFileSync(VISIT)],
  ['empty', Buffer.alloc(0)],
  [
    'non-ascii-utf8',
    Buffer.from(
      '{"event_type":"visitor.identified","visitor":{"first_name":"Zoë",' +
        '"last_name":"Ångström","city":"東京"},"note":"🎯 naïve café — ok"}',
      'utf8',
    ),
  ],
  ['crlf-and-trailing-space', Buffer.from('{\r\n  "event": "visitor.identified"\r\n}  \r\n', 'latin1')],
];
// Used as UTF-8 bytes by the snippet (createHmac with a string) and the SDK.
const SECRETS = [
  ['documented-whsec', 'whsec_your_webhook_secret'],
  ['whsec-base64-looking', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  ['short', 's3cret'],
  ['non-ascii', 'clé secrète ✓'],
  ['longer-than-hmac-block', 'whsec_' + 'k7'.repeat(50)],
];

/** The body with one byte changed (or one added, for an empty body). */
function tampered(body) {
  if (body.length === 0) return Buffer.from(' ');
  const copy = Buffer.from(body);
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

/** The WebhookError code `call` throws; fails if it throws anything else or nothing. */
function codeOf(call) {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof WebhookError, `not a WebhookError: ${error && error.stack}`);
    return error.code;
  }
  assert.fail('expected a WebhookError');
}

// --- a. the snippet accepts sign() ----------------------------------------------

for (const [bodyName, body] of BODIES) {
  for (const [secretName, secret] of SECRETS) {
    test(`a. snippet accepts sign(): ${bodyName}, ${secretName}`, () => {
      const signature = sign(secret, body);
      assert.match(signature, /^[0-9a-f]{64}$/);
      assert.equal(verifyWebhookSignature(body, signature, secret), true);
      // Not an accept-everything: the same signature fails another body.
      assert.equal(verifyWebhookSignature(tampered(body), signature, secret), false);
    });
  }
  test(`a. snippet refuses sign() under another secret: ${bodyName}`, () => {
    assert.equal(verifyWebhookSignature(body, sign(SECRETS[1][1], body), SECRETS[0][1]), false);
  });
}

// --- b. the snippet accepts what the CLI sends ----------------------------------

function cliPath() {
  const cli = process.env.BULLSEYE_CLI;
  if (!cli) {
    throw new Error(
      'BULLSEYE_CLI is not set: point it at the bullseye-webhooks binary ' +
        '(cargo build --release -p bullseye-webhooks-cli; `make test-snippets` does both)',
    );
  }
  try {
    fs.accessSync(cli, fs.constants.X_OK);
  } catch {
    throw new Error(`BULLSEYE_CLI=${JSON.stringify(cli)} is not an executable file: build the CLI first`);
  }
  if (!fs.statSync(cli).isFile()) throw new Error(`BULLSEYE_CLI=${JSON.stringify(cli)} is not a file`);
  return cli;
}

/** A receiver on 127.0.0.1 (a free port) that answers 200 and records each
 * request's raw body bytes and every signature header it carried. */
function startReceiver() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const signatures = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i].toLowerCase() === 'x-bullseye-signature') signatures.push(req.rawHeaders[i + 1]);
      }
      requests.push({
        method: req.method,
        url: req.url,
        body: Buffer.concat(chunks),
        signatures,
        contentType: req.headers['content-type'],
      });
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"ok":true}');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, requests, port: server.address().port }));
  });
}

let receiver;
let tmp;
let counter = 0;
test.before(async () => {
  receiver = await startReceiver();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-snippets-'));
});
test.after(() => {
  if (receiver) receiver.server.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run the CLI asynchronously (the receiver lives in this process). */
function runCli(args, secret) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BULLSEYE_WEBHOOK_')));
  env.BULLSEYE_WEBHOOK_SECRET = secret;
  return new Promise((resolve) => {
    execFile(cliPath(), args, { env, timeout: 60_000, encoding: 'buffer' }, (error, stdout, stderr) => {
      resolve({ status: error ? error.code : 0, stdout, stderr });
    });
  });
}

/** `bullseye-webhooks send --url ... FILE`; the one request the receiver recorded. */
async function sendWithCli(file, secret, extra = []) {
  const route = `/webhooks/bullseye/${++counter}`;
  const url = `http://127.0.0.1:${receiver.port}${route}`;
  const done = await runCli(['send', '--url', url, ...extra, file], secret);
  assert.equal(
    done.status,
    0,
    `bullseye-webhooks send exited ${done.status}\nstdout: ${done.stdout}\nstderr: ${done.stderr}`,
  );
  assert.ok(!Buffer.concat([done.stdout, done.stderr]).includes(Buffer.from(secret)), 'the CLI printed the secret');
  const mine = receiver.requests.filter((r) => r.url === route);
  assert.equal(mine.length, 1, `expected one request on ${route}, got ${mine.length}`);
  return mine[0];
}

for (const [bodyName, body] of BODIES) {
  for (const [secretName, secret] of SECRETS) {
    test(`b. snippet accepts what \`send\` puts on the wire: ${bodyName}, ${secretName}`, async () => {
      const file = path.join(tmp, `${bodyName}-${secretName}.json`);
      fs.writeFileSync(file, body);
      const request = await sendWithCli(file, secret, ['--expect-status', '200']);
      assert.equal(request.method, 'POST');
      assert.ok(request.body.equals(body), 'the body on the wire differs from the file');
      assert.equal(request.signatures.length, 1, `signature headers: ${request.signatures}`);
      const [signature] = request.signatures;
      assert.equal(verifyWebhookSignature(request.body, signature, secret), true);
      assert.equal(signature, theirSignature(secret, body));
      assert.equal(signature, sign(secret, body));
      assert.equal(request.contentType, 'application/json');
    });
  }
}

for (const fixture of [IDENTIFICATION, VISIT]) {
  test(`b. \`send\` puts the documented ${path.basename(fixture)} on the wire byte for byte`, async () => {
    // The fixture file itself, not a copy.
    for (const [, secret] of SECRETS) {
      const request = await sendWithCli(fixture, secret, ['--expect-status', '200']);
      assert.ok(request.body.equals(fs.readFileSync(fixture)), 'the body on the wire differs from the fixture');
      assert.equal(request.signatures.length, 1);
      assert.equal(verifyWebhookSignature(request.body, request.signatures[0], secret), true);
    }
  });
}

test('b. the snippet refuses `send --tamper`', async () => {
  const secret = SECRETS[0][1];
  const original = fs.readFileSync(IDENTIFICATION);
  const request = await sendWithCli(IDENTIFICATION, secret, ['--tamper']);
  assert.ok(!request.body.equals(original));
  assert.equal(request.body.length, original.length);
  assert.deepEqual(request.signatures, [theirSignature(secret, original)]);
  assert.equal(verifyWebhookSignature(request.body, request.signatures[0], secret), false);
});

// --- c. the SDK accepts the snippet's computation -------------------------------

for (const [bodyName, body] of BODIES) {
  for (const [secretName, secret] of SECRETS) {
    test(`c. Webhook.verify accepts the snippet's signature: ${bodyName}, ${secretName}`, () => {
      const signature = theirSignature(secret, body);
      assert.equal(verifyWebhookSignature(body, signature, secret), true);
      assert.equal(new Webhook(secret).verify(body, signature), undefined);
      assert.equal(new Webhook(secret).verify(body, { 'x-bullseye-signature': signature }), undefined);
      // A tampered body: refused with signature_mismatch, as the snippet refuses it.
      assert.equal(verifyWebhookSignature(tampered(body), signature, secret), false);
      assert.equal(codeOf(() => new Webhook(secret).verify(tampered(body), signature)), 'signature_mismatch');
    });
  }
  test(`c. Webhook.verify refuses the snippet's signature under another secret: ${bodyName}`, () => {
    const signature = theirSignature(SECRETS[0][1], body);
    assert.equal(codeOf(() => new Webhook(SECRETS[1][1]).verify(body, signature)), 'signature_mismatch');
    // During a rotation, either secret accepts it.
    assert.equal(new Webhook([SECRETS[1][1], SECRETS[0][1]]).verify(body, signature), undefined);
  });
}

// --- where the snippet and the SDK differ ---------------------------------------
// Buffer.from(s, 'hex') decodes up to the first character that is not part of
// a hex pair and ignores the rest; timingSafeEqual throws a RangeError when the
// two buffers' lengths differ. So the snippet throws on a short or empty
// header, and accepts a good signature followed by junk.

const documentedBody = fs.readFileSync(IDENTIFICATION);
const documentedSecret = SECRETS[0][1];
const good = theirSignature(documentedSecret, documentedBody);

test('differs: a short or non-hex signature makes the snippet throw RangeError; the SDK says malformed_signature', () => {
  for (const header of ['abc', '00'.repeat(31), 'zz' + good.slice(2)]) {
    assert.throws(() => verifyWebhookSignature(documentedBody, header, documentedSecret), RangeError, header);
    assert.equal(codeOf(() => new Webhook(documentedSecret).verify(documentedBody, header)), 'malformed_signature');
  }
});

test('differs: surrounding whitespace makes the snippet throw RangeError; the SDK trims it and accepts', () => {
  for (const header of [` ${good}`, `\t${good}  `]) {
    assert.throws(() => verifyWebhookSignature(documentedBody, header, documentedSecret), RangeError);
    assert.equal(new Webhook(documentedSecret).verify(documentedBody, header), undefined);
  }
});

test('differs: an empty signature makes the snippet throw RangeError; the SDK says missing_signature', () => {
  assert.throws(() => verifyWebhookSignature(documentedBody, '', documentedSecret), RangeError);
  assert.equal(codeOf(() => new Webhook(documentedSecret).verify(documentedBody, '')), 'missing_signature');
});

test('differs: the snippet accepts a good signature followed by junk; the SDK says malformed_signature', () => {
  for (const header of [`${good}zz`, `${good}0`, `${good}-x`]) {
    assert.equal(verifyWebhookSignature(documentedBody, header, documentedSecret), true, header);
    assert.equal(codeOf(() => new Webhook(documentedSecret).verify(documentedBody, header)), 'malformed_signature');
  }
});

test('same: both accept the signature in upper-case hex', () => {
  const upper = good.toUpperCase();
  assert.equal(verifyWebhookSignature(documentedBody, upper, documentedSecret), true);
  assert.equal(new Webhook(documentedSecret).verify(documentedBody, upper), undefined);
});
