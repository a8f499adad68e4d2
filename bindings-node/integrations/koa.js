'use strict';
// The Koa middleware.

const { WebhookError } = require('../support.js');
const { claimDelivery, settleClaim } = require('./stores.js');
const { readLimited, setUp, receive, refuse, startDelivery, isSuccess } = require('./common.js');

/** The raw body a body parser kept (koa-bodyparser's rawBody, NestJS-style req.rawBody), or undefined. */
function keptRawBody(ctx) {
  for (const kept of [ctx.request.rawBody, ctx.req.rawBody]) {
    if (typeof kept === 'string' || ArrayBuffer.isView(kept)) return kept;
  }
  return undefined;
}

function answer(ctx, status, body, headers = {}) {
  ctx.status = status;
  ctx.set(headers);
  ctx.body = body;
}

/**
 * Koa middleware: reads the raw body itself (or takes the one a body parser
 * kept in ctx.request.rawBody / ctx.req.rawBody), verifies it with
 * `verifier` (a Webhook or a BitnobWebhook) and puts the event on
 * `ctx.state.bullseyeEvent` (`ctx.state.bullseyeVisit` with
 * `{ kind: 'visit' }`) before the next middleware. Refusals are answered
 * with the contract's status and `{"error": code}`. With `{ dedupe: store }`,
 * the claim is completed when the downstream answers a 2xx, and released
 * otherwise (or when it throws).
 */
function koaMiddleware(verifier, options) {
  const { kind, settings, obs, field } = setUp(verifier, options);
  return async function bullseyeWebhook(ctx, next) {
    const delivery = startDelivery(obs);
    let raw = keptRawBody(ctx);
    if (raw === undefined) {
      if (ctx.req.readableEnded) {
        // A body parser ran first and kept no raw bytes: the signed bytes are gone.
        const error = new WebhookError('invalid_body', 'the request body was already parsed; mount the Bullseye middleware before any body parser on this route');
        refuse(delivery, error, ctx.headers, Number(ctx.get('content-length')) || 0);
        return answer(ctx, error.status, { error: error.code });
      }
      raw = await readLimited(ctx.req, verifier.maxBodyBytes);
    }
    let received;
    try {
      received = receive(delivery, verifier, kind, raw, ctx.headers);
    } catch (error) {
      if (error instanceof WebhookError) return answer(ctx, error.status, { error: error.code });
      throw error;
    }
    ctx.state[field] = received;
    let claim = null;
    if (settings) {
      const claimed = await claimDelivery(settings, received, raw);
      delivery.claimed(claimed.answer);
      if (claimed.answer) return answer(ctx, claimed.answer.status, claimed.answer.body, claimed.answer.headers);
      claim = claimed.claim;
    }
    try {
      await next();
    } catch (error) {
      delivery.handled(500);
      if (settings) await settleClaim(settings, claim, false);
      throw error;
    }
    delivery.handled(ctx.status);
    if (settings) await settleClaim(settings, claim, isSuccess(ctx.status));
    return undefined;
  };
}

module.exports = { koaMiddleware };
