// The WASM backend of the shared API (webhooks.js and support.js, copied in
// from the repository's js/ by `make build-wasm`): the .wasm's exports,
// which answer in the same shapes as the Node package's addon, and the
// module's instantiation (init, initSync). Every webhook rule is decided by
// the Rust core in the .wasm.
import initWasm, {
  WasmBitnobWebhook,
  WasmWebhook,
  errorCodes,
  errorStatuses,
  findHeader,
  initSync as initWasmSync,
  parseVisit,
  secretLast4,
  sign,
  signBitnob,
  signBitnobLegacy,
} from './pkg/bullseye_webhooks_wasm.js';

let ready = false;

/**
 * Instantiate the WebAssembly module (browsers, bundlers, Deno). With no
 * argument it fetches the .wasm next to this file; it also takes a URL, a
 * Response, bytes or a compiled WebAssembly.Module. Calling it again is harmless.
 */
export async function init(input) {
  await initWasm(input === undefined ? undefined : { module_or_path: input });
  ready = true;
}

/**
 * Instantiate synchronously from a compiled WebAssembly.Module (Cloudflare
 * Workers: `import wasm from '…_bg.wasm'`) or the .wasm bytes, given as
 * `{ module }` or directly. Calling it again is harmless.
 */
export function initSync(input) {
  const module = input !== null && typeof input === 'object' && 'module' in input ? input.module : input;
  initWasmSync({ module });
  ready = true;
}

/**
 * Whether the async path computes its HMACs with Web Crypto: everywhere it
 * is native code answering at once (workerd, browsers, Deno, Bun), not in
 * Node, where `crypto.subtle.sign` of a 3 KB body takes about twice this
 * .wasm's HMAC. Node is told by its user agent (Node 21 and later) or by
 * `process.versions.node` without a `navigator` (Node 20); a Worker with
 * nodejs_compat has both, and the user agent `Cloudflare-Workers`.
 */
let webCrypto;
function useWebCrypto() {
  if (webCrypto === undefined) {
    const node =
      typeof navigator === 'undefined'
        ? typeof globalThis.process?.versions?.node === 'string'
        : String(navigator.userAgent).startsWith('Node.js/');
    webCrypto = !node && typeof globalThis.crypto?.subtle?.sign === 'function';
  }
  return webCrypto;
}

const encoder = new TextEncoder();

export default {
  // The core's constants (tests/api.test.mjs compares them with the
  // .wasm's), written here: every export costs the .wasm about 1 KB.
  constants: {
    SIGNATURE_HEADER: 'X-Bullseye-Signature',
    VISIT_SIGNATURE_HEADER: 'X-Webhook-Signature',
    DEFAULT_MAX_BODY_BYTES: 1024 * 1024,
    BITNOB_SIGNATURE_HEADER: 'X-Bitnob-Signature',
    BITNOB_TIMESTAMP_HEADER: 'X-Bitnob-Timestamp',
    BITNOB_EVENT_HEADER: 'X-Bitnob-Event',
    DEFAULT_BITNOB_TOLERANCE: 300,
    BODY_TYPES: 'a Uint8Array, ArrayBuffer or string',
  },
  loaded: () => ready,
  webCrypto: useWebCrypto,
  ready() {
    if (!ready) {
      throw new Error(
        'bullseye-webhooks-wasm is not initialised: call `await init()` (browsers, bundlers) or ' +
          '`initSync({ module })` (edge workers) once before using it, or import the package from ' +
          'Node or workerd, whose entries initialise it on import',
      );
    }
  },
  utf8: (text) => encoder.encode(text),
  copy: (bytes) => bytes.slice(),
  body: (raw) => (typeof raw === 'string' ? encoder.encode(raw) : raw),
  errorCodes,
  errorStatuses,
  findHeader,
  sign,
  signBitnob,
  signBitnobLegacy,
  secretLast4,
  parseVisit,
  webhook: (bytes, lengths, options) => new WasmWebhook(bytes, lengths, options),
  bitnob: (bytes, lengths, options) => new WasmBitnobWebhook(bytes, lengths, options),
};
