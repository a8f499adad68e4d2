// The Cloudflare Workers (workerd) entry: the bundler (wrangler) turns each
// .wasm import into a compiled WebAssembly.Module, instantiated synchronously
// when first used (the Bitnob verifier's only by a BitnobWebhook or Bitnob's
// helpers). Import it and call it: no init step.
import wasmModule from './pkg/bullseye_webhooks_wasm_bg.wasm';
import bitnobModule from './pkg/bullseye_webhooks_bitnob_bg.wasm';
import { sources } from './backend.js';
import { useDedupe } from './fetch.js';
import { workerdDedupe } from './durable.js';

sources({ main: () => wasmModule, bitnob: () => bitnobModule });
// De-duplication on a Durable Object: `dedupe: (env) => new DurableObjectStore(env.CLAIMS)`.
useDedupe(workerdDedupe);

export * from './index.js';
export { DeliveryClaims, DurableObjectStore, StoreUnavailableError } from './durable.js';
