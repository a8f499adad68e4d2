// The Cloudflare Workers (workerd) entry: the bundler (wrangler) turns each
// .wasm import into a compiled WebAssembly.Module, instantiated synchronously
// when first used (the Bitnob verifier's only by a BitnobWebhook or Bitnob's
// helpers). Import it and call it: no init step. A Worker receiving
// Bullseye's webhooks alone starts faster with `bullseye-webhooks-wasm/bullseye`
// (bullseye-workerd.js: no Bitnob module, no Durable Object store).
import bitnobModule from './pkg/bullseye_webhooks_bitnob_bg.wasm';
import { sources } from './backend.js';
import { useDedupe } from './fetch.js';
import { workerdDedupe } from './durable.js';

sources({ bitnob: () => bitnobModule });
// De-duplication on a Durable Object: `dedupe: (env) => new DurableObjectStore(env.CLAIMS)`.
useDedupe(workerdDedupe);

export * from './bullseye-workerd.js';
export { BitnobWebhook, secretLast4, signBitnob, signBitnobLegacy } from './bitnob.js';
export { initBitnob, initBitnobSync } from './backend-bitnob.js';
export { DeliveryClaims, DurableObjectStore, StoreUnavailableError } from './durable.js';
