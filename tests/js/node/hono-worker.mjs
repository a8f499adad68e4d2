// The Worker hono-workerd.test.js runs in workerd: a Hono app with the
// package's honoMiddleware, the package imported under its name (bundled
// with the `workerd` condition, as wrangler does). The secret comes from the
// Worker's bindings; the refusal log records are kept for GET /records.
// /webhooks/bullseye-once de-duplicates on the Durable Object bound as
// CLAIMS; its route counts its runs for GET /runs.
import { Hono } from 'hono';
import { Webhook, honoMiddleware, DurableObjectStore } from 'bullseye-webhooks';

export { DeliveryClaims } from 'bullseye-webhooks';

const records = [];
let runs = 0;
let app;

function appFor(env) {
  const hono = new Hono();
  const logger = { warn: (message) => records.push(message), error: (message) => records.push(message) };
  hono.post('/webhooks/bullseye', honoMiddleware(new Webhook(env.BULLSEYE_WEBHOOK_SECRET), { logger }), (c) =>
    c.json({ received: c.get('bullseyeEvent').event_type }),
  );
  const once = honoMiddleware(new Webhook(env.BULLSEYE_WEBHOOK_SECRET), { logger, dedupe: (bindings) => new DurableObjectStore(bindings.CLAIMS) });
  hono.post('/webhooks/bullseye-once', once, (c) => {
    runs += 1;
    return c.json({ received: c.get('bullseyeEvent').event_type });
  });
  hono.get('/records', (c) => c.json(records));
  hono.get('/runs', (c) => c.json(runs));
  return hono;
}

export default {
  fetch(request, env, ctx) {
    app ??= appFor(env);
    return app.fetch(request, env, ctx);
  },
};
