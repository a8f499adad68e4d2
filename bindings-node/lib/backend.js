// The Node backend of the shared API (webhooks.js and support.js, copied in
// from the repository's js/ by `make build-node`): the napi addon's calls,
// which take strings and byte views alike and answer in the same shapes as
// the WASM package's .wasm. Every webhook rule is decided by the Rust core
// behind `./native`.
//
// When no addon loads (a platform without a prebuilt one: macOS, Windows,
// musl, an unusual CPU), the same API runs on the WebAssembly build of the
// same core that this package also carries (`./wasm`, the
// bullseye-webhooks-wasm package as built, put there by `make build-node`):
// the same answers, its own HMAC (Web Crypto is slower in Node). Then
// `native` is null, and what only the addon has (the de-duplication stores'
// core parts) says so when used.

// An ES module only for esbuild: js/sync.mjs bundles it with the shared
// modules into the package's index.js (one file to load; bench/PROFILE.md,
// "Node", "Second round"), a CommonJS module, whose `require` and
// `__dirname` (the package's folder) it uses; the package's backend.js is
// its namespace there.
import { readFileSync } from 'node:fs';
import { join, toNamespacedPath } from 'node:path';

/**
 * The addon built for this platform, required directly: the napi-rs loader
 * (native/index.js, about 38 KB of JavaScript for every platform and its
 * overrides) costs about 2 ms of CPU at require. Only where the file name
 * is certain: no override of the loader's set, and on Linux the C library told
 * as the loader's own first test tells it (musl named in /usr/bin/ldd).
 * Anything else, or a file that does not load, goes to the loader. The
 * overrides are the two that make the loader load another file (another
 * path, or the WASI build); the name of each is looked up, not the whole
 * environment listed (about 0.1 ms). Loaded by process.dlopen, as require
 * does it, without require's resolution and bookkeeping for a path known
 * here (about 0.4 ms); only the loader, when this one does not load,
 * requires the addon.
 */
function nativeForThisPlatform() {
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH !== undefined || process.env.NAPI_RS_FORCE_WASI !== undefined) return null;
  const { platform, arch } = process;
  let target;
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64')) {
    let musl;
    try {
      musl = readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
    } catch {
      return null;
    }
    target = `linux-${arch}-${musl ? 'musl' : 'gnu'}`;
  } else if (platform === 'darwin' && (arch === 'x64' || arch === 'arm64')) {
    target = `darwin-${arch}`;
  } else if (platform === 'win32' && arch === 'x64') {
    target = 'win32-x64-msvc';
  } else {
    return null;
  }
  const addon = { exports: {} };
  try {
    process.dlopen(addon, toNamespacedPath(join(__dirname, 'native', `bullseye-webhooks.${target}.node`)));
  } catch {
    return null;
  }
  return addon.exports;
}

let native = null;
let nativeError = null;
try {
  native = nativeForThisPlatform() ?? require('./native/index.js');
} catch (error) {
  nativeError = error;
}

const BODY_TYPES = 'a Buffer, Uint8Array or string';

function nativeBackend() {
  const [BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER] = native.bitnobHeaders();
  return {
    implementation: 'native',
    native,
    nativeError: null,
    constants: {
      SIGNATURE_HEADER: native.signatureHeader(),
      VISIT_SIGNATURE_HEADER: native.visitSignatureHeader(),
      DEFAULT_MAX_BODY_BYTES: native.defaultMaxBodyBytes(),
      BITNOB_SIGNATURE_HEADER,
      BITNOB_TIMESTAMP_HEADER,
      BITNOB_EVENT_HEADER,
      DEFAULT_BITNOB_TOLERANCE: native.defaultBitnobTolerance(),
      BODY_TYPES,
    },
    loaded: () => true,
    ready() {},
    // node:crypto's HMAC in the addon is faster than Web Crypto in Node.
    webCrypto: () => false,
    utf8: (text) => Buffer.from(text, 'utf8'),
    copy: (bytes) => Buffer.from(bytes),
    body: (raw) => raw,
    errorCodes: native.errorCodes,
    errorStatuses: native.errorStatuses,
    findHeader: native.findHeader,
    sign: native.sign,
    signBitnob: native.signBitnob,
    signBitnobLegacy: native.signBitnobLegacy,
    secretLast4: native.secretLast4,
    parseVisit: native.parseVisit,
    webhook: (bytes, lengths, options) => webhookCalls(native.webhookNew(bytes, lengths, options)),
    bitnob: (bytes, lengths, options) => bitnobCalls(native.bitnobNew(bytes, lengths, options)),
  };
}

// The addon's verifiers are Externals its calls take first (a class's
// methods cost napi-rs a borrow registration per call; see src/lib.rs):
// here, the calls the shared API makes on a verifier, each given its own.
// The functions are read off the addon's exports once (an object of some
// 70 properties, slower to look up in on every call).

function webhookCalls(webhook) {
  const { webhookSettings, webhookVerify, webhookConstructEvent, webhookConstructVisit } = native;
  return {
    settings: () => webhookSettings(webhook),
    verify: (body, signature) => webhookVerify(webhook, body, signature),
    constructEvent: (body, signature, nowMs) => webhookConstructEvent(webhook, body, signature, nowMs),
    constructVisit: (body, signature) => webhookConstructVisit(webhook, body, signature),
  };
}

function bitnobCalls(bitnob) {
  const { bitnobSettings, bitnobSecretsEndingIn, bitnobCheck } = native;
  return {
    settings: () => bitnobSettings(bitnob),
    secretsEndingIn: (last4) => bitnobSecretsEndingIn(bitnob, last4),
    check: (body, flat, nowMs, event) => bitnobCheck(bitnob, body, flat, nowMs, event),
  };
}

/** The WASM package's backend, instantiated from the .wasm shipped in ./wasm. */
function wasmBackend() {
  let wasm;
  try {
    wasm = require('./wasm/backend.cjs');
    wasm.initSync({ module: readFileSync(join(__dirname, 'wasm', 'pkg', 'bullseye_webhooks_wasm_bg.wasm')) });
    // The Bitnob verifier's module: read and instantiated on first use; and
    // node:crypto for the sync path's HMACs (as the WASM package's Node entry
    // gives it), loaded when a first Webhook is made.
    wasm.sources({
      bitnob: () => readFileSync(join(__dirname, 'wasm', 'pkg', 'bullseye_webhooks_bitnob_bg.wasm')),
      nodeCrypto: () => require('node:crypto'),
    });
  } catch (error) {
    // Neither: say why the addon did not load, and why the fallback did not.
    nativeError.message += `\n(and the WebAssembly fallback did not load either: ${error.message})`;
    throw nativeError;
  }
  const backend = wasm.default;
  return {
    ...backend,
    implementation: 'wasm',
    native: null,
    nativeError,
    constants: { ...backend.constants, BODY_TYPES },
  };
}

export default native === null ? wasmBackend() : nativeBackend();
