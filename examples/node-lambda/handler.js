'use strict';
// A Bullseye receiver as an AWS Lambda function behind API Gateway (REST or
// HTTP API) or a function URL. Set BULLSEYE_WEBHOOK_SECRET in the function's
// environment; the handler is `handler.handler`.
const { Webhook, lambdaHandler } = require('bullseye-webhooks');

exports.handler = lambdaHandler(new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET), (event) => ({ received: event.event_type }));
