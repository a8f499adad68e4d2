// The Cloudflare Workers (workerd) entry: the bundler (wrangler) turns the
// .wasm import into a compiled WebAssembly.Module, instantiated synchronously
// on import. Import it and call it: no init step.
import wasmModule from './pkg/bullseye_webhooks_wasm_bg.wasm';
import { initSync } from './index.js';

initSync({ module: wasmModule });

export * from './index.js';
