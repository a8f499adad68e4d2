// The Cloudflare Worker column of `make demo`: demo/worker.js in a real
// workerd (Miniflare), listening on 127.0.0.1. Secrets come from DEMO_SECRET
// and DEMO_PREVIOUS_SECRET (Bullseye), DEMO_BITNOB_SECRET and
// DEMO_BITNOB_PREVIOUS_SECRET (Bitnob), handed to the Worker as bindings, as
// wrangler secrets would be; the claims' Durable Object is bound as CLAIMS,
// as wrangler.toml would bind it. Prints the address as its first line of stdout.
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { workerModules } from './miniflare.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const mf = new Miniflare({
  ...workerModules(fileURLToPath(new URL('worker.js', import.meta.url)), packageDir),
  bindings: Object.fromEntries(
    ['DEMO_SECRET', 'DEMO_PREVIOUS_SECRET', 'DEMO_BITNOB_SECRET', 'DEMO_BITNOB_PREVIOUS_SECRET'].map((name) => [
      name,
      process.env[name] ?? '',
    ]),
  ),
  // De-duplication on POST /bullseye-once: the claims' Durable Object.
  durableObjects: { CLAIMS: 'DeliveryClaims' },
  host: '127.0.0.1',
  port: 0,
});
const url = await mf.ready;
console.log(`listening on http://127.0.0.1:${url.port}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => mf.dispose().finally(() => process.exit(0)));
}
