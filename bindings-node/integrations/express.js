'use strict';
// The Express (or any connect-style) middleware.

const { WebhookError } = require('../support.js');
const { claimDelivery, settleClaim } = require('./stores.js');
const {
  readLimited,
  setUp,
  receive,
  refuse,
  startDelivery,
  answerNode,
  answerPlain,
  isSuccess,
} = require('./common.js');

/**
 * Settle `claim` by the status the handler answers with: on 'finish'; or,
 * when the client went away first ('close'), once the handler ends its
 * response (if it never does, the lease expires).
 */
function settleOnResponse(res, settings, claim) {
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    settleClaim(settings, claim, isSuccess(res.statusCode));
  };
  res.once('finish', settle);
  res.once('close', () => {
    if (settled) return;
    if (res.writableEnded) return settle();
    const end = res.end;
    res.end = function endAndSettle(...args) {
      settle();
      return end.apply(this, args);
    };
  });
}

let warnedParsed = false;
const PARSED_MESSAGE =
  'invalid_body: the request body was already parsed (express.json() or a similar parser ran ' +
  'before the Bullseye middleware), so the raw bytes the signature covers are gone. Mount the ' +
  'Bullseye middleware before any JSON parser on this route, or use express.raw().';

/**
 * Express (or any connect-style) middleware: reads the raw body itself
 * (or takes the Buffer express.raw() left in req.body), verifies it with
 * `verifier` (a Webhook or a BitnobWebhook), and puts the event on
 * `req.bullseyeEvent` (`req.bullseyeVisit` with `{ kind: 'visit' }`).
 * Refusals are answered with the contract's status and `{"error": code}`.
 * With `{ dedupe: store }`, each delivery is claimed first (see
 * Webhook#handler for the answers); the claim is completed when the
 * response finishes with a 2xx, and released otherwise.
 */
function expressMiddleware(verifier, options) {
  const { kind, settings, obs, field } = setUp(verifier, options);
  return function bullseyeWebhook(req, res, next) {
    const delivery = startDelivery(obs);
    let body;
    const given = req.body;
    // NestJS (rawBody: true), Google Cloud Functions and others parse the
    // body and keep the raw bytes next to it in req.rawBody: those are the
    // bytes the signature covers.
    const kept = req.rawBody;
    if (typeof given === 'string' || ArrayBuffer.isView(given)) {
      body = Promise.resolve(given);
    } else if (ArrayBuffer.isView(kept)) {
      body = Promise.resolve(kept);
    } else if (given !== undefined && given !== null && (req._body === true || req.readableEnded)) {
      if (!warnedParsed) {
        warnedParsed = true;
        process.emitWarning(PARSED_MESSAGE, { code: 'BULLSEYE_BODY_ALREADY_PARSED' });
      }
      const error = new WebhookError('invalid_body', PARSED_MESSAGE);
      refuse(delivery, error, req.headers, Number(req.headers['content-length']) || 0);
      answerNode(res, error);
      return;
    } else {
      body = readLimited(req, verifier.maxBodyBytes);
    }
    body.then(
      (raw) => {
        let received;
        try {
          received = receive(delivery, verifier, kind, raw, req.headers);
        } catch (error) {
          if (error instanceof WebhookError) return answerNode(res, error);
          return next(error);
        }
        req[field] = received;
        const handled = () => delivery.handled(res.statusCode);
        if (!settings) {
          res.once('finish', handled);
          res.once('close', handled);
          return next();
        }
        return claimDelivery(settings, received, raw).then(({ answer, claim }) => {
          delivery.claimed(answer);
          if (answer) return answerPlain(res, answer);
          res.once('finish', handled);
          res.once('close', handled);
          if (claim) settleOnResponse(res, settings, claim);
          return next();
        });
      },
      (error) => next(error),
    );
  };
}

module.exports = { expressMiddleware };
