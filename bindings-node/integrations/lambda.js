'use strict';
// The AWS Lambda adapter: API Gateway REST (payload 1.0), HTTP API
// (payload 2.0) and function URL (2.0) events in, the matching response out.

const { describe, WebhookError } = require('../support.js');
const { claimDelivery, settleClaim } = require('./stores.js');
const { TooLarge, setUp, receive, startDelivery, isSuccess } = require('./common.js');

/**
 * The event's headers as one object with lower-case names: payload 1.0's
 * `multiValueHeaders` (every value kept) over its `headers` (the last value
 * only); payload 2.0's `headers` (repeated values already comma-joined).
 */
function headersOf(event) {
  const headers = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (Array.isArray(values) && values.length > 0) headers[name.toLowerCase()] = values.length === 1 ? values[0] : values;
  }
  return headers;
}

/**
 * The raw body: a string, base64 when `isBase64Encoded`. Its size is
 * checked before decoding (base64's decoded length is known from its own).
 */
function bodyOf(event, limit) {
  const body = event.body ?? '';
  if (typeof body !== 'string') return Buffer.alloc(0);
  if (event.isBase64Encoded === true) {
    const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
    const length = Math.floor((body.length * 3) / 4) - padding;
    if (length > limit) return new TooLarge(limit, length);
    return Buffer.from(body, 'base64');
  }
  const length = Buffer.byteLength(body);
  if (length > limit) return new TooLarge(limit, length);
  return Buffer.from(body, 'utf8');
}

/** What the handler returned as a Lambda response: a response object as is, undefined as 204, anything else as JSON. */
function responseOf(value) {
  if (value === undefined || value === null) return { statusCode: 204, headers: {}, body: '' };
  if (typeof value === 'object' && Number.isInteger(value.statusCode)) return value;
  return json(200, value);
}

function json(statusCode, body, headers = {}) {
  return { statusCode, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Payload 1.0 answers also carry multiValueHeaders when the handler set them; both shapes take statusCode, headers, body, isBase64Encoded. */
function shaped(response) {
  return { isBase64Encoded: false, ...response };
}

/**
 * `lambdaHandler(verifier, fn, options)`: an AWS Lambda handler for API
 * Gateway REST, HTTP API and function URL events. It verifies the raw body
 * (base64-decoded when the event says so) with `verifier`, then calls
 * `fn(event, lambdaEvent, context)`; `fn` returns a Lambda response
 * (`{ statusCode, headers?, body? }`), a value answered as JSON, or nothing
 * (204). Refusals are answered with the contract's status and
 * `{"error": code}`; with `{ dedupe: store }`, as Webhook#handler does.
 */
function lambdaHandler(verifier, fn, options) {
  if (typeof fn !== 'function') throw new TypeError(`lambdaHandler takes a function (event, lambdaEvent, context) => response, got ${describe(fn)}`);
  const { kind, settings, obs } = setUp(verifier, options);
  return async function bullseyeLambda(lambdaEvent, context) {
    if (lambdaEvent === null || typeof lambdaEvent !== 'object') throw new TypeError(`expected an API Gateway or function URL event, got ${describe(lambdaEvent)}`);
    const delivery = startDelivery(obs);
    const headers = headersOf(lambdaEvent);
    let received;
    let raw;
    try {
      raw = bodyOf(lambdaEvent, verifier.maxBodyBytes);
      received = receive(delivery, verifier, kind, raw, headers);
    } catch (error) {
      if (error instanceof WebhookError) return shaped(json(error.status, { error: error.code }));
      throw error;
    }
    let claim = null;
    if (settings) {
      const claimed = await claimDelivery(settings, received, raw);
      delivery.claimed(claimed.answer);
      if (claimed.answer) return shaped(json(claimed.answer.status, claimed.answer.body, claimed.answer.headers));
      claim = claimed.claim;
    }
    let response;
    try {
      response = responseOf(await fn(received, lambdaEvent, context));
    } catch (error) {
      delivery.handled(500);
      if (settings) await settleClaim(settings, claim, false);
      throw error;
    }
    delivery.handled(response.statusCode);
    if (settings) await settleClaim(settings, claim, isSuccess(response.statusCode));
    return shaped(response);
  };
}

module.exports = { lambdaHandler, headersOf };
