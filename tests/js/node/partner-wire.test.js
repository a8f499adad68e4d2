'use strict';
// The partner-API client (bullseye-webhooks/partner) against small node:http
// servers on 127.0.0.1 scripted per test (partner.test.js has the rest):
// retries on 429 and 5xx with backoff and Retry-After (capped), no retry of
// 4xx or of a test send without answer, timeouts, redirects not followed,
// the request's exact shape, undecodable answers.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ROOT } = require('../impl.js');
const { KEY, scripted, json, text, rejects, collect } = require('./partner-helpers.js');

const { PartnerClient, API_KEY_HEADER } = require(path.join(ROOT, 'bindings-node', 'partner.js'));

test.describe('retries, timeouts and the wire, against scripted servers', () => {
  const fast = { initialBackoffMs: 10, maxBackoffMs: 50 };

  test('503, then 429 with Retry-After: 1, then 200: retried, waiting the Retry-After', async (t) => {
    const config = { identification: { url: 'https://r.example/i', enabled: true, hasSecret: true }, billing: { url: null, enabled: false, hasSecret: false } };
    const server = await scripted(t, (req, res, n) => {
      if (n === 0) return json(res, 503, { error: 'unavailable', message: 'down for a moment' });
      if (n === 1) return json(res, 429, { error: 'rate_limited', message: 'slow down' }, { 'retry-after': '1' });
      return json(res, 200, config);
    });
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, ...fast });
    assert.deepEqual(await client.getWebhooks(), config);
    assert.equal(server.seen.length, 3);
    assert.ok(server.seen[2].at - server.seen[1].at >= 950, `waited ${server.seen[2].at - server.seen[1].at} ms after Retry-After: 1`);
    for (const request of server.seen) {
      assert.equal(request.headers[API_KEY_HEADER.toLowerCase()], KEY);
      assert.equal(request.url, '/api/v1/partner/webhooks');
    }
  });

  test('a Retry-After given as an HTTP date is waited for until that date', async (t) => {
    // An HTTP date has whole seconds: the next whole second at least 1 s away.
    let dueAt; // that date on the clock the server's `at` is read from
    const server = await scripted(t, (req, res, n) => {
      if (n > 0) return json(res, 200, { success: true, message: 'ok' });
      const now = Date.now();
      const until = Math.ceil((now + 1000) / 1000) * 1000;
      dueAt = performance.now() + (until - now);
      return json(res, 503, {}, { 'retry-after': new Date(until).toUTCString() });
    });
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, ...fast });
    assert.equal((await client.sendTest('identification')).success, true);
    // Not before that date (a few ms for timer granularity), and not much after: never the 10 ms backoff.
    const late = server.seen[1].at - dueAt;
    assert.ok(late >= -5, `the retry came ${-late} ms before the date`);
    assert.ok(late < 1000, `the retry came ${late} ms after the date`);
  });

  test('a Retry-After longer than maxRetryAfterMs is not waited for: the error carries it', async (t) => {
    const server = await scripted(t, (req, res) => json(res, 429, { message: 'come back later' }, { 'retry-after': '120' }));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, maxRetryAfterMs: 1000, ...fast });
    const started = performance.now();
    const error = await rejects(client.getWebhooks());
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual([error.status, error.retryAfter, error.serverMessage, server.seen.length], [429, 120, 'come back later', 1]);
  });

  test('5xx every time: maxRetries retries with growing backoff, then the last answer as the error', async (t) => {
    const server = await scripted(t, (req, res) => text(res, 502, '  Bad Gateway\n'));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, maxRetries: 3, initialBackoffMs: 100, maxBackoffMs: 10_000 });
    const error = await rejects(client.logs({ type: 'billing' }));
    assert.equal(server.seen.length, 4);
    assert.deepEqual([error.kind, error.status, error.serverMessage, error.code], ['api_status', 502, 'Bad Gateway', null]);
    const gaps = server.seen.slice(1).map((r, i) => r.at - server.seen[i].at);
    // Jittered between half and all of 100, 200, 400 ms.
    [50, 100, 200].forEach((least, i) => assert.ok(gaps[i] >= least - 5 && gaps[i] < least * 2 + 500, `gap ${i}: ${gaps[i]} ms`));
    const none = new PartnerClient({ apiKey: KEY, baseUrl: server.base, maxRetries: 0 });
    await rejects(none.getWebhooks());
    assert.equal(server.seen.length, 5, 'maxRetries: 0 makes one try');
  });

  test('4xx other than 429 is not retried', async (t) => {
    const server = await scripted(t, (req, res) => json(res, 404, { error: 'not_found', message: 'no such endpoint' }));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, ...fast });
    const error = await rejects(client.sendTest('billing'));
    assert.deepEqual([error.status, error.code, server.seen.length], [404, 'not_found', 1]);
  });

  test('no answer: GET and PUT are tried again, the test send is not (it may have gone out)', async (t) => {
    const server = await scripted(t, (req, res, n) => {
      if (n === 0 || n === 2) return req.socket.destroy();
      if (req.method === 'PUT') return json(res, 200, { billing: { url: null, enabled: false, hasSecret: false } });
      return json(res, 200, { success: true, message: 'ok' });
    });
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, ...fast });
    assert.deepEqual(await client.setWebhook('billing', { enabled: false }), { url: null, enabled: false, hasSecret: false });
    assert.equal(server.seen.length, 2);
    const error = await rejects(client.sendTest('billing'));
    assert.equal(error.kind, 'transport');
    assert.equal(error.status, null);
    assert.match(error.message, /^partner API transport: POST \/partner\/webhooks\/test: /);
    assert.equal(server.seen.length, 3, 'the test send was not repeated');
  });

  test('a server that does not answer: timeoutMs per try, then a transport error', async (t) => {
    const server = await scripted(t, () => {}); // never answers
    const once = new PartnerClient({ apiKey: KEY, baseUrl: server.base, timeoutMs: 300, maxRetries: 0 });
    const started = performance.now();
    const error = await rejects(once.getWebhooks());
    const took = performance.now() - started;
    assert.ok(took >= 290 && took < 3000, `${took} ms`);
    assert.equal(error.kind, 'transport');
    assert.match(error.message, /timed out after 300 ms/);
    const twice = new PartnerClient({ apiKey: KEY, baseUrl: server.base, timeoutMs: 200, maxRetries: 1, ...fast });
    await rejects(twice.logs());
    assert.equal(server.seen.length, 3);
  });

  test('a redirect is not followed (the key only goes to the base URL)', async (t) => {
    const elsewhere = await scripted(t, (req, res) => json(res, 200, {}));
    const server = await scripted(t, (req, res) => json(res, 302, {}, { location: `${elsewhere.base}/partner/webhooks` }));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, ...fast });
    const error = await rejects(client.getWebhooks());
    assert.equal(error.status, 302);
    assert.match(error.serverMessage, /redirect to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/partner\/webhooks, not followed/);
    assert.equal(elsewhere.seen.length, 0);
    assert.equal(server.seen.length, 1);
  });

  test('the caller\'s AbortSignal stops a call during its backoff, with the signal\'s reason', async (t) => {
    const server = await scripted(t, (req, res) => json(res, 503, {}, { 'retry-after': '5' }));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base });
    const controller = new AbortController();
    const reason = new Error('the user gave up');
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    assert.equal(await rejects(client.getWebhooks({ signal: controller.signal })), reason);
    assert.ok(performance.now() - started < 2000);
    assert.equal(server.seen.length, 1);
  });

  test('requests have the documented method, path, query and body', async (t) => {
    const server = await scripted(t, (req, res) => {
      if (req.method === 'PUT') return json(res, 200, { identification: { url: 'https://a.example/h', enabled: true, hasSecret: true, createdAt: '2025-01-01' } });
      if (req.url.includes('/logs')) return json(res, 200, { logs: [], total: 0, page: 2, pageSize: 50 });
      return json(res, 200, { success: true, message: 'Test webhook sent successfully' });
    });
    const client = new PartnerClient({ apiKey: KEY, baseUrl: `${server.base}/` });
    assert.equal(client.baseUrl, server.base, 'a trailing / is dropped');
    const endpoint = await client.setWebhook('identification', { url: 'https://a.example/h', secret: 'whsec_x', enabled: true });
    assert.equal(endpoint.createdAt, '2025-01-01', 'unknown fields are kept');
    await client.setWebhook('identification', { enabled: false });
    await client.sendTest('billing');
    await client.logs({ page: 2, pageSize: 50, type: 'billing', status: 'failed', organizationId: 'org 1/2' });
    await client.logs();
    const [put, put2, post, logs, bare] = server.seen;
    assert.deepEqual([put.method, put.url, put.headers['content-type'], JSON.parse(put.body)], [
      'PUT',
      '/api/v1/partner/webhooks/identification',
      'application/json',
      { url: 'https://a.example/h', secret: 'whsec_x', enabled: true },
    ]);
    assert.deepEqual(JSON.parse(put2.body), { enabled: false });
    assert.deepEqual([post.method, post.url, JSON.parse(post.body)], ['POST', '/api/v1/partner/webhooks/test', { type: 'billing' }]);
    assert.equal(logs.method, 'GET');
    const query = new URL(logs.url, 'http://x').searchParams;
    assert.deepEqual([...query], [['page', '2'], ['pageSize', '50'], ['type', 'billing'], ['status', 'failed'], ['organizationId', 'org 1/2']]);
    assert.equal(bare.url, '/api/v1/partner/webhooks/logs');
    for (const request of server.seen) {
      assert.equal(request.headers['x-partner-api-key'], KEY);
      assert.equal(request.headers.accept, 'application/json');
    }
  });

  test('an answer that is not the documented JSON is a decode error', async (t) => {
    const answers = ['<html>hello</html>', '[1,2]', '{"total": 3}', '{"identification": "yes"}'];
    const server = await scripted(t, (req, res, n) => text(res, 200, answers[n]));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base, ...fast });
    for (const call of [() => client.getWebhooks(), () => client.getWebhooks(), () => client.logs(), () => client.setWebhook('identification', { enabled: true })]) {
      const error = await rejects(call());
      assert.deepEqual([error.kind, error.status], ['decode', 200], error.message);
    }
    assert.equal(server.seen.length, 4, 'a decode error is not retried');
  });

  test('arguments are checked before anything is sent', async (t) => {
    const server = await scripted(t, (req, res) => json(res, 200, {}));
    const client = new PartnerClient({ apiKey: KEY, baseUrl: server.base });
    await assert.rejects(client.sendTest('refund'), TypeError);
    await assert.rejects(client.setWebhook('billing', { enable: true }), /unknown field "enable"/);
    await assert.rejects(client.setWebhook('billing', { enabled: 'yes' }), TypeError);
    await assert.rejects(client.logs({ organization: 'x' }), /unknown filter "organization"/);
    await assert.rejects(client.logs({ page: 0 }), TypeError);
    await assert.rejects(client.logs({ pageSize: 1.5 }), TypeError);
    await assert.rejects(collect(client.iterLogs({ type: 'refunds' })), TypeError);
    assert.equal(server.seen.length, 0);
  });
});
