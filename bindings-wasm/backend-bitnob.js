// The Bitnob verifier's module for backend.js: its wasm-bindgen glue and its
// instantiation (initBitnob, initBitnobSync). Imported by the full entries
// (index.js, so node.js and workerd.js too), not by the Bullseye-only ones
// (bullseye*.js): a Worker importing those does not parse this glue.
import initBitnobWasm, {
  WasmBitnobWebhook,
  initSync as initBitnobWasmSync,
  secretLast4,
  signBitnob,
  signBitnobLegacy,
} from './pkg/bullseye_webhooks_bitnob.js';
import { moduleOf, useBitnob } from './backend.js';

let bitnobReady = false;

/** init() for the Bitnob verifier's module (`bullseye_webhooks_bitnob_bg.wasm`). */
export async function initBitnob(input) {
  await initBitnobWasm(input === undefined ? undefined : { module_or_path: input });
  bitnobReady = true;
}

/** initSync() for the Bitnob verifier's module (`bullseye_webhooks_bitnob_bg.wasm`). */
export function initBitnobSync(input) {
  initBitnobWasmSync(moduleOf(input));
  bitnobReady = true;
}

useBitnob({ initSync: initBitnobSync, ready: () => bitnobReady, WasmBitnobWebhook, secretLast4, signBitnob, signBitnobLegacy });
