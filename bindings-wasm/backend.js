// The WASM backend of the shared API (webhooks.js and support.js, copied in
// from the repository's js/ by `make build-wasm`): the .wasm's exports,
// which answer in the same shapes as the Node package's addon, and the
// module's instantiation (init, initSync). Every webhook rule is decided by
// the Rust core in the .wasm.
//
// Two modules: the Bullseye verifier's and the Bitnob verifier's (the
// second HMAC, SHA-512, and Bitnob's rules: about 25 KB gzipped that most
// receivers never run). The Bitnob one's glue is imported by
// backend-bitnob.js, which the full entries import and the Bullseye-only
// ones (bullseye*.js) do not, so a Worker importing those neither parses it
// nor validates its .wasm. The Node and workerd entries give each module's
// source with `sources` and each is instantiated when first used; the Node
// entries give node:crypto too, for the sync path's HMACs (nodeHmac below).
import initWasm, {
  WasmWebhook,
  errorCodes,
  errorStatuses,
  findHeader,
  initSync as initWasmSync,
  parseVisit,
  sign,
} from './pkg/bullseye_webhooks_wasm.js';

let ready = false;
// The Bitnob module's glue, given by backend-bitnob.js (useBitnob).
let bitnobGlue = null;
// What the Node and workerd entries give: a function answering each
// module (compiled, or its bytes), called once, on first use.
let mainSource;
let bitnobSource;
// What the Node entries give: a function answering node:crypto (or undefined).
let nodeCryptoSource;

/** `{ module }`, or what is given directly, as wasm-bindgen's initSync takes it. */
export function moduleOf(input) {
  return { module: input !== null && typeof input === 'object' && 'module' in input ? input.module : input };
}

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
  initWasmSync(moduleOf(input));
  ready = true;
}

/**
 * For backend-bitnob.js: the Bitnob module's calls, `{ initSync, ready(),
 * WasmBitnobWebhook, secretLast4, signBitnob, signBitnobLegacy }`.
 */
export function useBitnob(glue) {
  bitnobGlue = glue;
}

/**
 * For the Node and workerd entries: where each module comes from
 * (functions answering a compiled module or the bytes), instantiated on
 * first use, so that importing the package compiles nothing; and, from the
 * Node entries, `nodeCrypto`, a function answering node:crypto, called
 * when a first Webhook is made (nodeHmac).
 */
export function sources({ main, bitnob, nodeCrypto }) {
  if (main !== undefined) mainSource = main;
  if (bitnob !== undefined) bitnobSource = bitnob;
  if (nodeCrypto !== undefined) nodeCryptoSource = nodeCrypto;
}

function loaded() {
  if (!ready && mainSource !== undefined) initSync(mainSource());
  return ready;
}

/** The Bitnob module's calls, instantiated on first use where an entry gave its source. */
function bitnob() {
  if (bitnobGlue === null) {
    // Only reachable through the package's files: the Bullseye-only entries export no Bitnob API.
    throw new Error("bullseye-webhooks-wasm's Bitnob verifier is not in this entry: import it from `bullseye-webhooks-wasm`");
  }
  if (!bitnobGlue.ready()) {
    if (bitnobSource === undefined) {
      throw new Error(
        "bullseye-webhooks-wasm's Bitnob verifier is not initialised: call `await initBitnob()` (browsers, bundlers) or " +
          '`initBitnobSync({ module })` (edge workers, with `bullseye_webhooks_bitnob_bg.wasm`) once before using it, ' +
          'or import the package from Node or workerd, whose entries initialise it on first use',
      );
    }
    bitnobGlue.initSync(bitnobSource());
  }
  return bitnobGlue;
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

/**
 * The sync path's HMACs (verify, constructEvent) in Node, by node:crypto:
 * OpenSSL's SHA-256 (with the CPU's SHA extensions where it has them)
 * takes about half the time of this .wasm's on a 3 KB body. Given the
 * secrets (new bytes the caller wipes after: createSecretKey copies them),
 * a function answering the HMAC-SHA256 of a body under each secret, 32
 * bytes each end to end in their order, as the core's checkMacs takes
 * them. Only the hashing moves: the core still makes the checks before it
 * (size, presence, shape), the constant-time compare against every secret
 * and the reading (webhooks.js, syncAnswer). null, and the core hashes,
 * where no node:crypto was given (the web and workerd entries), where the
 * runtime is not Node (Deno and Bun take the Node entry too; their async
 * path is Web Crypto's, useWebCrypto), on a Node without
 * process.getBuiltinModule (before 20.16), in FIPS mode (whose provider
 * may refuse a short HMAC key), or if node:crypto refuses a key. The
 * function answers null, and the core hashes that delivery, if node:crypto
 * throws (no trial HMAC here: it would double what a new Webhook costs).
 */
function nodeHmac(secrets) {
  if (nodeCryptoSource === undefined || useWebCrypto()) return null;
  let keys;
  let createHmac;
  try {
    const nodeCrypto = nodeCryptoSource();
    if (typeof nodeCrypto?.createHmac !== 'function' || typeof nodeCrypto.createSecretKey !== 'function') return null;
    if (nodeCrypto.getFips?.()) return null;
    createHmac = nodeCrypto.createHmac;
    keys = secrets.map((secret) => nodeCrypto.createSecretKey(secret));
  } catch {
    return null;
  }
  const mac = (key, body) => createHmac('sha256', key).update(body).digest();
  if (keys.length === 1) {
    const [key] = keys;
    return (body) => {
      try {
        return mac(key, body);
      } catch {
        return null;
      }
    };
  }
  return (body) => {
    const macs = new Uint8Array(32 * keys.length);
    try {
      for (let i = 0; i < keys.length; i++) {
        const one = mac(keys[i], body);
        macs.set(one, 32 * i);
        one.fill(0);
      }
    } catch {
      macs.fill(0);
      return null;
    }
    return macs;
  };
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
  loaded,
  webCrypto: useWebCrypto,
  hmac: nodeHmac,
  ready() {
    if (!loaded()) {
      throw new Error(
        'bullseye-webhooks-wasm is not initialised: call `await init()` (browsers, bundlers) or ' +
          '`initSync({ module })` (edge workers) once before using it, or import the package from ' +
          'Node or workerd, whose entries initialise it on first use',
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
  parseVisit,
  webhook: (bytes, lengths, options) => new WasmWebhook(bytes, lengths, options),
  signBitnob: (secret, timestamp, body) => bitnob().signBitnob(secret, timestamp, body),
  signBitnobLegacy: (secret, body) => bitnob().signBitnobLegacy(secret, body),
  secretLast4: (secret) => bitnob().secretLast4(secret),
  bitnob: (bytes, lengths, options) => new (bitnob().WasmBitnobWebhook)(bytes, lengths, options),
};
