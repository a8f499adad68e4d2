// Types of bullseye-webhooks-wasm: its own declarations (instantiating the
// WebAssembly module), then, from js/webhooks.d.ts, the API it shares with
// the Node package. Checked by `tsc --noEmit --strict` on tests/types/usage.ts,
// and against the runtime exports by tests/api.test.mjs.

/** What init() takes: a URL of the .wasm, a Response, its bytes, or a compiled module. */
export type InitInput = string | URL | Request | Response | Promise<Response> | BufferSource | WebAssembly.Module;

/** Instantiate the module (browsers, bundlers, Deno); calling it again is harmless. */
export function init(input?: InitInput): Promise<void>;
/** Instantiate synchronously from a compiled module or the .wasm bytes; calling it again is harmless. */
export function initSync(input: { module: WebAssembly.Module | BufferSource } | WebAssembly.Module | BufferSource): void;
/** init() for the Bitnob verifier's module (bullseye_webhooks_bitnob_bg.wasm), needed before a BitnobWebhook or Bitnob's helpers; calling it again is harmless. */
export function initBitnob(input?: InitInput): Promise<void>;
/** initSync() for the Bitnob verifier's module (bullseye_webhooks_bitnob_bg.wasm); calling it again is harmless. */
export function initBitnobSync(input: { module: WebAssembly.Module | BufferSource } | WebAssembly.Module | BufferSource): void;
