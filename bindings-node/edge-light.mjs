// The `edge-light` entry (Next.js's edge runtime, Vercel Edge Functions):
// their bundlers import a .wasm with `?module` as a compiled
// WebAssembly.Module, instantiated here on import, so no init step (calling
// `init()` again is harmless). The asynchronous `init`, not `initSync`:
// Next's edge sandbox compiles the module in another realm, which
// wasm-bindgen's `initSync` refuses (its `instanceof WebAssembly.Module`).
import wasmModule from './wasm/pkg/bullseye_webhooks_wasm_bg.wasm?module';
import { init } from './wasm/index.js';

await init(wasmModule);

export * from './wasm/index.js';
