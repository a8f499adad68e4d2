// BitnobWebhook types, type-checked with `tsc --noEmit --strict`.
import express from 'express';
import Fastify from 'fastify';
import {
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BitnobWebhook,
  MemoryStore,
  WebhookError,
  expressMiddleware,
  fastifyPlugin,
  secretLast4,
  signBitnob,
  type GenericEvent,
} from 'bullseye-webhooks';

const bitnob = new BitnobWebhook([process.env.BITNOB_SECRET ?? 'sk_new', 'sk_old'], { tolerance: 300, legacySha512: false });
const body = '{"event":"transfer.success","data":{"amount":500}}';
const timestamp = Math.floor(Date.now() / 1000);
const headers = { [BITNOB_SIGNATURE_HEADER]: signBitnob('sk_new', body, timestamp), [BITNOB_TIMESTAMP_HEADER]: String(timestamp) };
const event: GenericEvent = bitnob.constructEvent(body, headers, { now: Date.now() });
bitnob.verify(body, new Headers(headers));
bitnob.verify(body, [['X-Bitnob-Signature', 'x'], ['x-bitnob-timestamp', '1']]);
const indexes: number[] = bitnob.secretsEndingIn(secretLast4('sk_new'));
const off: number | null = new BitnobWebhook('sk', { tolerance: null }).tolerance;
console.log(event.event_type, event['data'], indexes, off);
// @ts-expect-error Bitnob signs with three headers: pass them all, not the signature alone
bitnob.verify(body, 'abc');
// @ts-expect-error there is no strict option for Bitnob
new BitnobWebhook('sk', { strict: true });

const app = express();
app.post('/webhooks/bitnob', expressMiddleware(bitnob, { dedupe: new MemoryStore() }), (req, res) => {
  res.json({ type: req.bullseyeEvent?.event_type });
});
const fastify = Fastify();
fastify.register(async (scope) => {
  scope.register(fastifyPlugin, { webhook: bitnob });
  scope.post('/webhooks/bitnob', async (request) => ({ type: request.bullseyeEvent?.event_type }));
});

export const POST = bitnob.handler(async (received) => Response.json({ type: received.event_type }));

try {
  bitnob.verify(body, {});
} catch (error) {
  if (error instanceof WebhookError) console.log(error.code, error.status);
}
