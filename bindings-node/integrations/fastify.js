'use strict';
// The Fastify plugin.

const { WebhookError } = require('../support.js');
const { mismatchesOf } = require('../webhooks.js');
const { dedupeSettings, claimDelivery, settleClaim } = require('./stores.js');
const { readLimited, checkedKind, checkedVerifier, receive, observer, startDelivery, isSuccess } = require('./common.js');

const CLAIM = Symbol('bullseye-webhooks claim');
const DELIVERY = Symbol('bullseye-webhooks delivery');

/**
 * Fastify plugin: in the scope it is registered in (register it inside an
 * encapsulated context holding the webhook routes), bodies are kept as raw
 * bytes, verified before the handler, and the event is on
 * `request.bullseyeEvent` (`request.bullseyeVisit` with `kind: 'visit'`).
 * Options: `{ webhook, kind?, dedupe?, onStoreError?, onConflict?, lease?, retention?,
 * logger? }`, `webhook` being a Webhook or a BitnobWebhook. With `dedupe`,
 * the claim is completed when the reply is a 2xx, and released otherwise.
 */
function fastifyPlugin(fastify, options, done) {
  const kind = checkedKind(options);
  const verifier = checkedVerifier(options?.webhook, kind);
  const settings = dedupeSettings({
    dedupe: options?.dedupe,
    onStoreError: options?.onStoreError,
    onConflict: options?.onConflict,
    waitForInFlight: options?.waitForInFlight,
    lease: options?.lease,
    retention: options?.retention,
    logger: options?.logger,
  });
  // Without a logger, each request's own (request.log, pino) is used.
  const hooks = { onVerified: options?.onVerified, onRefused: options?.onRefused };
  const obs = options?.logger === undefined || options?.logger === null ? null : observer({ ...hooks, logger: options.logger });
  observer(hooks);
  const limit = verifier.maxBodyBytes;
  const field = kind === 'visit' ? 'bullseyeVisit' : 'bullseyeEvent';
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, parsed) => {
    readLimited(payload, limit).then((raw) => parsed(null, raw), parsed);
  });
  fastify.decorateRequest(field, null);
  fastify.addHook('preHandler', async (request, reply) => {
    const raw = request.body ?? new Uint8Array(0);
    const delivery = startDelivery(obs ?? observer({ ...hooks, logger: request.log }));
    request[DELIVERY] = delivery;
    let received;
    try {
      received = receive(delivery, verifier, kind, raw, request.headers);
    } catch (error) {
      if (error instanceof WebhookError) return reply.code(error.status).send({ error: error.code });
      throw error;
    }
    request[field] = received;
    // Accepted, but worth knowing: the sender's field types drifted. Where
    // and which types, never the value (it may be personal data).
    for (const { path, expected, found } of mismatchesOf(received)) {
      request.log.warn({ mismatch: { path, expected, found } }, `bullseye-webhooks: \`${path}\` should be ${expected} but is ${found} (accepted; see mismatchesOf)`);
    }
    if (!settings) return undefined;
    const logger = options.logger ?? request.log;
    const { answer, claim } = await claimDelivery(settings, received, raw, logger);
    delivery.claimed(answer);
    if (answer) return reply.code(answer.status).headers(answer.headers).send(answer.body);
    if (claim) request[CLAIM] = claim;
    return undefined;
  });
  // The answer sent ends the delivery's report (after a refusal or a claim's
  // own answer, it has ended already).
  fastify.addHook('onResponse', async (request, reply) => {
    request[DELIVERY]?.handled(reply.statusCode);
  });
  if (settings) {
    const settle = (request, reply) => {
      const claim = request[CLAIM];
      if (!claim) return undefined;
      request[CLAIM] = undefined;
      return settleClaim(settings, claim, isSuccess(reply.statusCode), options.logger ?? request.log);
    };
    // Settled by the status sent; when the client left before the answer
    // (no 'finish', so no onResponse), by the status the handler answers.
    fastify.addHook('onResponse', async (request, reply) => settle(request, reply));
    fastify.addHook('onSend', async (request, reply) => {
      if (reply.raw.destroyed || request.raw.destroyed) await settle(request, reply);
    });
  }
  done();
}
// Like fastify-plugin: apply to the scope that registers it, not a child.
fastifyPlugin[Symbol.for('skip-override')] = true;
fastifyPlugin[Symbol.for('fastify.display-name')] = 'bullseye-webhooks';

module.exports = { fastifyPlugin };
