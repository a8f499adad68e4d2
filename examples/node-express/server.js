'use strict';
// A Bullseye receiver on Express. Run: BULLSEYE_WEBHOOK_SECRET=whsec_... node server.js
const express = require('express');
const { Webhook, expressMiddleware } = require('bullseye-webhooks');

const webhook = new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET);
const app = express();
// Before any JSON parser: the middleware reads the raw bytes the signature covers.
app.post('/webhooks/bullseye', expressMiddleware(webhook), (req, res) => {
  res.json({ received: req.bullseyeEvent.event_type });
});
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
