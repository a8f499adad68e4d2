'use strict';
// The Koa middleware against a real Koa app on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { lib } = require('../impl.js');
const { requireDev, listen, post } = require('./http.js');
const { SECRET, hmac, identification, tampered, signed } = require('../fixtures.js');

const Koa = requireDev('koa');
const { Webhook, MemoryStore, koaMiddleware } = lib;

const webhook = new Webhook(SECRET);
const small = new Webhook(SECRET, { maxBodyBytes: 64 });
const JSON_TYPE = { 'content-type': 'application/json' };

let server;
let base;
const calls = [];

test.before(async () => {
  const app = new Koa();
  const routes = {
    '/hook': koaMiddleware(webhook, { logger: { warn() {} } }),
    '/small': koaMiddleware(small, { logger: { warn() {} } }),
    '/dedupe': koaMiddleware(webhook, { dedupe: new MemoryStore(), logger: { warn() {}, error() {} } }),
    // A body parser that ran first and kept the raw bytes (as koa-bodyparser's rawBody does).
    '/kept': async (ctx, next) => {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      ctx.request.rawBody = Buffer.concat(chunks).toString('utf8');
      ctx.request.body = JSON.parse(ctx.request.rawBody);
      return koaMiddleware(webhook, { logger: { warn() {} } })(ctx, next);
    },
  };
  app.use(async (ctx, next) => {
    const route = routes[ctx.path];
    if (!route) return next();
    return route(ctx, async () => {
      calls.push(ctx.path);
      const event = ctx.state.bullseyeEvent;
      ctx.body = { event_type: event.event_type, email: event.visitor?.email ?? null };
    });
  });
  server = http.createServer(app.callback());
  base = await listen(server);
});

test.after(() => new Promise((resolve) => server.close(resolve)));

test('a signed delivery reaches the next middleware with the event on ctx.state', async () => {
  for (const route of ['/hook', '/kept']) {
    const answer = await post(base + route, identification, { ...JSON_TYPE, 'X-Bullseye-Signature': signed });
    assert.equal(answer.status, 200, route);
    assert.deepEqual(answer.json, { event_type: 'visitor.identified', email: 'jane.doe@acme-industries.example' }, route);
  }
});

test('refusals answer the contract status and {"error": code}, and the handler never runs', async () => {
  calls.length = 0;
  const cases = [
    ['/hook', tampered, { 'x-bullseye-signature': signed }, 401, 'signature_mismatch'],
    ['/hook', identification, {}, 400, 'missing_signature'],
    ['/hook', identification, { 'x-bullseye-signature': 'zz' }, 400, 'malformed_signature'],
    ['/hook', Buffer.from('not json'), { 'x-bullseye-signature': hmac(SECRET, 'not json') }, 400, 'invalid_body'],
    ['/small', identification, { 'x-bullseye-signature': signed }, 413, 'body_too_large'],
  ];
  for (const [route, body, headers, status, code] of cases) {
    const answer = await post(base + route, body, { ...JSON_TYPE, ...headers });
    assert.equal(answer.status, status, code);
    assert.deepEqual(answer.json, { error: code });
  }
  assert.deepEqual(calls, []);
});

test('with a dedupe store, the second copy is answered 200 {"duplicate": true} without the handler', async () => {
  calls.length = 0;
  const headers = { ...JSON_TYPE, 'x-bullseye-signature': signed };
  assert.equal((await post(`${base}/dedupe`, identification, headers)).status, 200);
  const again = await post(`${base}/dedupe`, identification, headers);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { duplicate: true });
  assert.deepEqual(calls, ['/dedupe']);
});
