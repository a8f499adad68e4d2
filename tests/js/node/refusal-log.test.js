'use strict';
// Every Node integration logs a refused delivery exactly once, at warning,
// with its code, whether a signature header was there and the body's length,
// and never the secret, the signature or any of the body.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { lib } = require('../impl.js');
const { requireDev, listen, post } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

const express = requireDev('express');
const Fastify = requireDev('fastify');
const Koa = requireDev('koa');
const { Webhook, expressMiddleware, fastifyPlugin, koaMiddleware, lambdaHandler } = lib;

function recorder() {
  const records = [];
  const record = (level) => (...args) => records.push({ level, text: args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ') });
  return { records, logger: { warn: record('warn'), error: record('error'), debug: record('debug'), info: record('info') } };
}

// What must never be logged: the secret, the signature sent, and the body
// (whole, and pieces of it that identify a person).
const FORBIDDEN = [SECRET, signed, tampered.toString(), 'jane.doe@acme-industries.example', 'jane.doe@mail.example'];

const DELIVERIES = [
  ['tampered', tampered, { 'x-bullseye-signature': signed }, 'signature_mismatch', true],
  ['unsigned', tampered, {}, 'missing_signature', false],
];

/** Each integration as a function (body, headers) => status, logging to `logger`. */
const INTEGRATIONS = {
  async express(logger) {
    const app = express();
    app.post('/hook', expressMiddleware(new Webhook(SECRET), { logger }), (req, res) => res.json({}));
    const server = http.createServer(app);
    const base = await listen(server);
    return { send: async (body, headers) => (await post(`${base}/hook`, body, headers)).status, close: () => new Promise((resolve) => server.close(resolve)) };
  },
  async fastify(logger) {
    const app = Fastify();
    await app.register(async (scope) => {
      await scope.register(fastifyPlugin, { webhook: new Webhook(SECRET), logger });
      scope.post('/hook', async () => ({}));
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return { send: async (body, headers) => (await post(`${base}/hook`, body, headers)).status, close: () => app.close() };
  },
  async koa(logger) {
    const app = new Koa();
    app.use(koaMiddleware(new Webhook(SECRET), { logger }));
    app.use((ctx) => { ctx.body = {}; });
    const server = http.createServer(app.callback());
    const base = await listen(server);
    return { send: async (body, headers) => (await post(`${base}/hook`, body, headers)).status, close: () => new Promise((resolve) => server.close(resolve)) };
  },
  async fetch(logger) {
    const handler = new Webhook(SECRET).handler(() => ({}), { logger });
    return { send: async (body, headers) => (await handler(new Request('http://127.0.0.1/hook', { method: 'POST', body, headers }))).status, close: async () => {} };
  },
  async lambda(logger) {
    const handler = lambdaHandler(new Webhook(SECRET), () => ({}), { logger });
    const send = async (body, headers) => (await handler({ version: '2.0', headers, body: body.toString('base64'), isBase64Encoded: true }, {})).statusCode;
    return { send, close: async () => {} };
  },
};

for (const [name, make] of Object.entries(INTEGRATIONS)) {
  test(`${name}: one warning per refused delivery, with its code, signature presence and length, nothing secret`, async () => {
    const { records, logger } = recorder();
    const integration = await make(logger);
    try {
      for (const [what, body, headers, code, present] of DELIVERIES) {
        records.length = 0;
        const status = await integration.send(body, { 'content-type': 'application/json', ...headers });
        assert.ok(status === 400 || status === 401, `${name} ${what}: ${status}`);
        assert.equal(records.length, 1, `${name} ${what}: ${JSON.stringify(records)}`);
        const [{ level, text }] = records;
        assert.equal(level, 'warn');
        assert.ok(text.includes(code), text);
        assert.ok(text.includes(`signature header ${present ? 'present' : 'absent'}`), text);
        assert.ok(text.includes(`body ${body.length} bytes`), text);
        for (const secret of FORBIDDEN) assert.ok(!text.includes(secret), `${name} ${what} logged something secret: ${text}`);
      }
    } finally {
      await integration.close();
    }
  });
}
