'use strict';
// A Bullseye receiver on NestJS, in plain JavaScript (decorators applied as
// functions). Nest parses JSON bodies; with `rawBody: true` it keeps the raw
// bytes in req.rawBody, which the middleware verifies.
// Run: BULLSEYE_WEBHOOK_SECRET=whsec_... node server.js
require('reflect-metadata');
const { Module, Controller, Post, Req, HttpCode } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Webhook, expressMiddleware } = require('bullseye-webhooks');

class BullseyeController {
  receive(req) {
    return { received: req.bullseyeEvent.event_type };
  }
}
Controller('webhooks/bullseye')(BullseyeController);
const receive = Object.getOwnPropertyDescriptor(BullseyeController.prototype, 'receive');
Post()(BullseyeController.prototype, 'receive', receive);
HttpCode(200)(BullseyeController.prototype, 'receive', receive);
Req()(BullseyeController.prototype, 'receive', 0);

class AppModule {
  configure(consumer) {
    consumer.apply(expressMiddleware(new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET))).forRoutes('webhooks/bullseye');
  }
}
Module({ controllers: [BullseyeController] })(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn'] });
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`listening on http://127.0.0.1:${app.getHttpServer().address().port}`);
}
main();
