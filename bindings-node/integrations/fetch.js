'use strict';
// The Fetch API handler behind Webhook#handler and BitnobWebhook#handler.

const { describe, WebhookError, requestBody } = require('../support.js');
const { dedupeSettings, claimDelivery, settleClaim } = require('./stores.js');
const { integrationOptions, checkedKind, checkedVerifier, receive, refuse, observer, startDelivery } = require('./common.js');

/** What a Fetch handler's function returned, as a Response. */
function responseOf(value) {
  if (value instanceof Response) return value;
  if (value === undefined) return new Response(null, { status: 204 });
  return Response.json(value);
}

/** `verifier.handler(fn, options)`: see Webhook#handler. */
function fetchHandler(verifier, fn, options) {
  if (typeof fn !== 'function') throw new TypeError(`handler takes a function (event, request) => Response, got ${describe(fn)}`);
  integrationOptions(options);
  const kind = checkedKind(options);
  checkedVerifier(verifier, kind);
  const settings = dedupeSettings(options);
  const obs = observer(options);
  return async function bullseyeHandler(request) {
    const delivery = startDelivery(obs);
    let received;
    try {
      let body;
      try {
        body = await requestBody(request, verifier.maxBodyBytes);
      } catch (error) {
        // Too large: the length the sender declared, when it did.
        if (error instanceof WebhookError) refuse(delivery, error, request.headers, Number(request.headers.get('content-length')) || 0);
        throw error;
      }
      received = receive(delivery, verifier, kind, body, request.headers);
    } catch (error) {
      if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
      throw error;
    }
    let claim = null;
    if (settings) {
      const claimed = await claimDelivery(settings, received);
      delivery.claimed(claimed.answer);
      if (claimed.answer) {
        const { status, headers, body } = claimed.answer;
        return Response.json(body, { status, headers });
      }
      claim = claimed.claim;
    }
    let response;
    try {
      response = responseOf(await fn(received, request));
    } catch (error) {
      delivery.handled(500);
      if (settings) await settleClaim(settings, claim, false);
      throw error;
    }
    delivery.handled(response.status);
    if (settings) await settleClaim(settings, claim, response.ok);
    return response;
  };
}

module.exports = { fetchHandler };
