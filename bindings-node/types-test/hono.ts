// A Hono app with honoMiddleware, type-checked with `tsc --noEmit --strict`:
// on the Node package it takes the de-duplication options as well as the
// logs and hooks, as it does at run time.
import { Hono } from 'hono';
import { BitnobWebhook, MemoryStore, Webhook, WebhookError, honoMiddleware, type DeliveryInfo } from 'bullseye-webhooks';

const seen: DeliveryInfo[] = [];
const app = new Hono();

app.post(
  '/webhooks/bullseye',
  honoMiddleware(new Webhook('whsec_example'), {
    dedupe: new MemoryStore(),
    onStoreError: 'process',
    lease: 30,
    retention: 3600,
    logger: { warn: console.warn, error: console.error },
    onVerified: (_event, info) => seen.push(info),
    onRefused: (error: WebhookError, info) => seen.push({ ...info, code: error.code }),
  }),
  (c) => c.json({ ok: true }),
);
app.post('/webhooks/visits', honoMiddleware(new Webhook('fp-token'), { kind: 'visit', dedupe: false }), (c) => c.body(null, 204));
app.post('/webhooks/bitnob', honoMiddleware(new BitnobWebhook('bn_whsk_example'), { dedupe: new MemoryStore(), lease: 10 }), (c) => c.json({ ok: true }));

// @ts-expect-error: an unknown option
honoMiddleware(new Webhook('whsec_example'), { dedup: new MemoryStore() });
// @ts-expect-error: lease is seconds, a number
honoMiddleware(new Webhook('whsec_example'), { lease: '30' });

export default app;
