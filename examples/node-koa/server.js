'use strict';
// A Bullseye receiver on Koa. Run: BULLSEYE_WEBHOOK_SECRET=whsec_... node server.js
const Koa = require('koa');
const { Webhook, koaMiddleware } = require('bullseye-webhooks');

const webhook = new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET);
const verify = koaMiddleware(webhook);
const app = new Koa();
app.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== '/webhooks/bullseye') return next();
  return verify(ctx, async () => {
    ctx.body = { received: ctx.state.bullseyeEvent.event_type };
  });
});
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
