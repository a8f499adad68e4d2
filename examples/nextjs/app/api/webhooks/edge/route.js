// POST /api/webhooks/edge: the edge runtime. `bullseye-webhooks` resolves to
// the package's `edge-light` export, the WebAssembly build, instantiated on
// import. No de-duplication stores there: de-duplicate in your function if
// you need to.
import { Webhook } from 'bullseye-webhooks';

export const runtime = 'edge';

let receive;

export function POST(request) {
  // Made on the first request: the secret is read at run time, never at build time.
  receive ??= new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET).handler((event) => ({ received: event.event_type, runtime: typeof EdgeRuntime === 'string' ? 'edge' : 'nodejs' }));
  return receive(request);
}
