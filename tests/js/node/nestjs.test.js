'use strict';
// expressMiddleware in a real NestJS app (rawBody: true) on 127.0.0.1: Nest
// parses JSON into req.body and keeps the raw bytes in req.rawBody, which the
// middleware verifies. Plain JS: the decorators are applied as functions.
require('../impl.js');
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { requireDev, post } = require('./http.js');
const { SECRET, identification, tampered, signed } = require('../fixtures.js');

requireDev('reflect-metadata');
const { Module, Controller, Post, Req, HttpCode } = requireDev('@nestjs/common');
const { NestFactory } = requireDev('@nestjs/core');
const { Webhook, expressMiddleware } = lib;

class HookController {
  receive(req) {
    return { event_type: req.bullseyeEvent.event_type, parsed: typeof req.body };
  }
}
Controller('hook')(HookController);
const receive = Object.getOwnPropertyDescriptor(HookController.prototype, 'receive');
Post()(HookController.prototype, 'receive', receive);
HttpCode(200)(HookController.prototype, 'receive', receive);
Req()(HookController.prototype, 'receive', 0);

class AppModule {
  configure(consumer) {
    consumer.apply(expressMiddleware(new Webhook(SECRET), { logger: { warn() {} } })).forRoutes('hook');
  }
}
Module({ controllers: [HookController] })(AppModule);

let app;
let base;

test.before(async () => {
  app = await NestFactory.create(AppModule, { rawBody: true, logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
});

test.after(() => app.close());

test('a signed delivery: verified from req.rawBody while Nest parsed req.body', async () => {
  const answer = await post(`${base}/hook`, identification, { 'content-type': 'application/json', 'x-bullseye-signature': signed });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, { event_type: 'visitor.identified', parsed: 'object' });
});

test('tampered and unsigned deliveries are refused with the contract status', async () => {
  const bad = await post(`${base}/hook`, tampered, { 'content-type': 'application/json', 'x-bullseye-signature': signed });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { error: 'signature_mismatch' });
  const unsigned = await post(`${base}/hook`, identification, { 'content-type': 'application/json' });
  assert.equal(unsigned.status, 400);
  assert.deepEqual(unsigned.json, { error: 'missing_signature' });
});
