// A Bullseye receiver on Bun: Bun.serve and the package's Fetch handler.
// Bun loads the package's native addon, so de-duplication works as on Node.
// Run: bun install bullseye-webhooks, then BULLSEYE_WEBHOOK_SECRET=whsec_... bun server.js
import { MemoryStore, Webhook } from 'bullseye-webhooks';

const receive = new Webhook(process.env.BULLSEYE_WEBHOOK_SECRET).handler((event) => ({ received: event.event_type }), {
  dedupe: new MemoryStore(),
});

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/webhooks/bullseye') return receive(request);
    return new Response('not found', { status: 404 });
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
