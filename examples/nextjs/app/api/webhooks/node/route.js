// POST /api/webhooks/node: the Node.js runtime, the native addon, and
// de-duplication (a redelivery of a handled event is answered
// {"duplicate": true} without calling the function again).
import { MemoryStore, Webhook, implementation } from 'bullseye-webhooks';

export const runtime = 'nodejs';

const store = new MemoryStore();
let receive;

export function POST(request) {
  // Made on the first request: the secret is read at run time, never at build time.
  receive ??= new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET).handler(
    (event) => ({ received: event.event_type, runtime: typeof EdgeRuntime === 'string' ? 'edge' : 'nodejs', implementation }),
    { dedupe: store },
  );
  return receive(request);
}
