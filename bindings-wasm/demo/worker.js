// A Cloudflare Worker receiving Bullseye webhooks (the demo's receiver
// protocol, demo/README.md), and Bitnob's on POST /bitnob. `wrangler` bundles it as is: the package's
// `workerd` entry imports the .wasm as a compiled module and initialises it.
// A field sent with another JSON type is accepted; its path and types (never
// its value) are logged with console.error.
// POST /bullseye-once handles each Bullseye delivery once, its claims held by
// a Durable Object (DeliveryClaims, bound as CLAIMS), and GET /handled?key=
// says how many times its handler ran for a delivery key.
import { BitnobWebhook, DurableObjectStore, Webhook, WebhookError, deliveryKeyOf, mismatchesOf } from 'bullseye-webhooks-wasm';

// The claims' Durable Object class, bound as CLAIMS (demo/receiver.mjs).
export { DeliveryClaims } from 'bullseye-webhooks-wasm';

let webhook;
let bitnob;
let once;

// How many times the /bullseye-once handler ran, per delivery key (this
// isolate's memory: the demo runs one): the evidence that a duplicate did
// not run it again.
const handled = new Map();
// The slow handler (demo only, `?slow_ms=`, not signed) sleeps at most this.
const MAX_SLOW_MS = 10_000;

// Called only for a new delivery: a duplicate is answered 200
// {"duplicate": true}, a copy while this runs 409 with Retry-After.
async function handleOnce(event, request) {
  const key = deliveryKeyOf(event);
  const calls = (handled.get(key) ?? 0) + 1;
  handled.set(key, calls);
  const slow = Math.min(Math.max(Number.parseInt(new URL(request.url).searchParams.get('slow_ms'), 10) || 0, 0), MAX_SLOW_MS);
  if (slow > 0) await new Promise((resolve) => setTimeout(resolve, slow));
  return { event_type: event.event_type, delivery_key: key, handled: calls };
}

/** Log each mismatch of an event or a visit (never the value: it may be personal data); its paths. */
function logged(eventOrVisit) {
  return mismatchesOf(eventOrVisit).map(({ path, expected, found }) => {
    console.error(`mismatch: ${path} expected ${expected}, found ${found}`);
    return path;
  });
}

function json(value, status = 200) {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
}

async function handle(request, env, ctx) {
  // Secrets come from the environment (wrangler secrets); the old one stays accepted during a rotation.
  webhook ??= new Webhook([env.DEMO_SECRET, env.DEMO_PREVIOUS_SECRET].filter(Boolean));
  const { pathname, searchParams } = new URL(request.url);
  if (request.method === 'POST' && pathname === '/bullseye-once') {
    once ??= webhook.handler(handleOnce, { dedupe: (bindings) => new DurableObjectStore(bindings.CLAIMS) });
    return once(request, env, ctx);
  }
  if (request.method === 'GET' && pathname === '/handled') {
    const key = searchParams.get('key') ?? '';
    return json({ key, handled: handled.get(key) ?? 0 });
  }
  if (request.method === 'POST' && pathname === '/bullseye') {
    const event = await webhook.constructEventFromRequest(request);
    const answer = { event_type: event.event_type };
    if (event.event_type === 'visitor.identified') {
      answer.email = event.visitor?.email ?? null;
      answer.company_domain = event.company?.domain ?? null;
      answer.company_size = event.company?.size ?? null;
      answer.mismatches = logged(event);
    }
    return json(answer);
  }
  if (request.method === 'POST' && pathname === '/bitnob') {
    // Bitnob's defaults: its timestamped HMAC-SHA256 with a 300-second
    // window, and the legacy HMAC-SHA512 of the body. Bitnob's secrets are
    // not Bullseye's. deliveryKeyOf(event) is its de-duplication key (the
    // handler's `dedupe` option, with a DurableObjectStore, claims it).
    bitnob ??= new BitnobWebhook([env.DEMO_BITNOB_SECRET, env.DEMO_BITNOB_PREVIOUS_SECRET].filter(Boolean));
    const event = await bitnob.constructEventFromRequest(request);
    return json({ event_type: event.event_type, delivery_key: deliveryKeyOf(event) });
  }
  if (request.method === 'POST' && pathname === '/visit') {
    const body = new Uint8Array(await request.arrayBuffer());
    const visit = webhook.constructVisit(body, request.headers);
    return json({
      event_type: visit.event_type,
      visit_id: visit.id ?? null,
      visitor_id: visit.visitor?.id ?? null,
      mismatches: logged(visit),
    });
  }
  return json({ error: 'not_found' }, 404);
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (error) {
      if (error instanceof WebhookError) return json({ error: error.code }, error.status);
      throw error;
    }
  },
};
