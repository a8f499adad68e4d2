// The Cloudflare Workers (workerd) form of bullseye-webhooks-wasm/bullseye
// (bullseye.js: no Bitnob verifier): the bundler (wrangler) turns the .wasm
// import into a compiled WebAssembly.Module, instantiated synchronously when
// first used. No de-duplication store either (a handler's `dedupe` options
// are refused, as where there is no store): the claim flow and
// DurableObjectStore are the full entry's, `bullseye-webhooks-wasm`
// (workerd.js), whose code a Worker importing this entry does not parse.
import wasmModule from './pkg/bullseye_webhooks_wasm_bg.wasm';
import { sources } from './backend.js';

sources({ main: () => wasmModule });

export * from './bullseye.js';
