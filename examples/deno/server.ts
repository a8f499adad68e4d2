// A Bullseye receiver on Deno: Deno.serve and the package's Fetch handler,
// through an `npm:` specifier. Deno gets the package's `deno` export, the
// WebAssembly build (no de-duplication stores there).
// Run: BULLSEYE_WEBHOOK_SECRET=whsec_... deno run --allow-net=127.0.0.1 --allow-env=BULLSEYE_WEBHOOK_SECRET,PORT --allow-read server.ts
import { Webhook } from 'npm:bullseye-webhooks@0.1';

const receive = new Webhook(Deno.env.get('BULLSEYE_WEBHOOK_SECRET')!).handler((event) => ({ received: event.event_type }));

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 3000),
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  (request) => {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/webhooks/bullseye') return receive(request);
    return new Response('not found', { status: 404 });
  },
);
