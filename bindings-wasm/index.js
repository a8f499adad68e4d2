// bullseye-webhooks-wasm: the API shared with the Node package (webhooks.js,
// a build copy of the repository's js/webhooks.js) over the WebAssembly
// build of the Rust core (backend.js), which decides every webhook rule
// (signature, size, shape, types, time, delivery key).
//
// This entry needs the module instantiated once, by `await init()` (browsers,
// bundlers) or `initSync({ module })` (edge workers), and the Bitnob
// verifier's module by `initBitnob()` or `initBitnobSync({ module })` before
// a BitnobWebhook or Bitnob's helpers are used. The `node` and `workerd`
// entries (node.js, workerd.js) instantiate each module on first use.
// No Node `Buffer`, no `node:crypto`: it runs wherever WebAssembly,
// TextEncoder and TextDecoder do; the async methods take Web Crypto's HMAC
// where it is there and faster (verifier.js, "The async path").
// The Bullseye verifier's part is bullseye.js (also an entry of its own,
// `bullseye-webhooks-wasm/bullseye`); the Bitnob verifier's is added here.
export * from './bullseye.js';
export { BitnobWebhook, secretLast4, signBitnob, signBitnobLegacy } from './bitnob.js';
export { initBitnob, initBitnobSync } from './backend-bitnob.js';
