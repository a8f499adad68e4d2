'use strict';
// fixtures/partner-behaviour.json, the edge behaviour the Rust, Python and
// JS partner clients share, run against bindings-node/partner.mjs (its
// internal rules directly, and end to end over node:http): one test per case.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const util = require('node:util');
const path = require('node:path');

// Not ../impl.js: the partner client needs no build of the addon.
const ROOT = path.resolve(__dirname, '..', '..', '..');

const FIXTURE = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'partner-behaviour.json'), 'utf8'));
const load = () => import(path.join(ROOT, 'bindings-node', 'partner.mjs'));

/** A text field: a string, or [text, times] pieces repeated and joined. */
const text = (value) => (typeof value === 'string' ? value : value.map(([piece, times]) => piece.repeat(times)).join(''));

/** Serves `status` and `body` to every request on 127.0.0.1. */
async function serve(t, status, body) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `${base}/api/v1`;
}

test('the defaults are the shared ones', async () => {
  const { _internal: I } = await load();
  const d = FIXTURE.defaults;
  assert.deepEqual(I.DEFAULT_POLICY, { maxRetries: d.max_retries, initialBackoffMs: d.initial_backoff_ms, maxBackoffMs: d.max_backoff_ms, maxRetryAfterMs: d.max_retry_after_ms });
  assert.equal(I.MAX_RESPONSE_BYTES, d.max_response_bytes);
  assert.equal(I.MAX_MESSAGE_CHARS, d.max_message_chars);
});

test.describe('retry_after', () => {
  for (const c of FIXTURE.retry_after.cases) {
    test(c.name, async () => {
      const { _internal: I } = await load();
      assert.equal(I.retryAfterDelay(c.header, c.now_ms), c.delay_ms);
    });
  }
});

test.describe('backoff', () => {
  for (const c of FIXTURE.backoff.cases) {
    test(c.name, async () => {
      const { _internal: I } = await load();
      assert.deepEqual(I.backoffBounds(c.initial_backoff_ms, c.max_backoff_ms, c.retries), [c.min_ms, c.max_ms]);
    });
  }
});

test.describe('retry', () => {
  for (const c of FIXTURE.retry.cases) {
    test(c.name, async () => {
      const { _internal: I } = await load();
      // The jitter is random: every draw must fall within the bounds.
      for (let draw = 0; draw < 50; draw += 1) {
        const wait = I.retryWait(I.DEFAULT_POLICY, { status: c.status, retryAfterMs: c.retry_after_ms, retries: c.retries, idempotent: c.idempotent });
        if (c.wait === null) assert.equal(wait, null);
        else assert.ok(wait >= c.wait.min_ms && wait <= c.wait.max_ms, `${wait} not in [${c.wait.min_ms}, ${c.wait.max_ms}]`);
      }
    });
  }
});

test.describe('messages', () => {
  for (const c of FIXTURE.messages.cases) {
    test(c.name, async () => {
      const { _internal: I } = await load();
      assert.equal(I.serverMessageOf(text(c.body), c.secrets).message, text(c.message));
    });
  }
});

test.describe('echoed_key', () => {
  const key = FIXTURE.api_key;
  for (const c of FIXTURE.echoed_key.cases) {
    test(c.name, async (t) => {
      const { PartnerClient } = await load();
      const client = new PartnerClient({ apiKey: key, baseUrl: await serve(t, c.status, text(c.body)), maxRetries: 0 });
      const error = await client.getWebhooks().then(() => assert.fail('expected an error'), (e) => e);
      assert.equal(error.serverMessage, text(c.message));
      for (const shown of [String(error), error.message, util.inspect(error), JSON.stringify(error), util.inspect(client), JSON.stringify(client), String(client)]) {
        assert.ok(!shown.includes(key), shown);
      }
      assert.match(util.inspect(client), /\[REDACTED\]/);
    });
  }
});

test.describe('response_size', () => {
  for (const c of FIXTURE.response_size.cases) {
    test(c.name, async (t) => {
      const { PartnerClient } = await load();
      const frame = '{"success":true,"message":"';
      const body = `${frame}${'x'.repeat(c.body_bytes - frame.length - 2)}"}`;
      assert.equal(Buffer.byteLength(body), c.body_bytes);
      const client = new PartnerClient({ apiKey: 'k', baseUrl: await serve(t, 200, body), maxRetries: 0 });
      const outcome = await client.sendTest('identification').then((r) => r, (e) => e);
      if (c.outcome === 'ok') {
        assert.equal(outcome.success, true);
      } else {
        assert.equal(outcome.kind, 'transport');
        assert.ok(outcome.message.includes(c.message_contains), outcome.message);
      }
    });
  }
});
