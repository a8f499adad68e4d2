'use strict';
// A Bullseye receiver on Hono, served on Node by @hono/node-server.
// Run: BULLSEYE_WEBHOOK_SECRET=whsec_... node server.js
const { Hono } = require('hono');
const { serve } = require('@hono/node-server');
const { MemoryStore, Webhook, honoMiddleware } = require('bullseye-webhooks');

const app = new Hono();
app.post(
  '/webhooks/bullseye',
  honoMiddleware(new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET), { dedupe: new MemoryStore() }),
  (c) => c.json({ received: c.get('bullseyeEvent').event_type }),
);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
