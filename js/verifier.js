// What Webhook (webhooks.js) and BitnobWebhook (bitnob.js) share: the
// core's verifier, the redaction of secrets in inspect and JSON, the Fetch
// Request helpers, the async path's HMACs by Web Crypto, and the keys of
// the backend's own HMAC (the WASM package in Node: node:crypto's). (One of
// the shared modules js/sync.mjs copies into each package; see webhooks.js.)
import backend from './backend.js';
import { requestBody } from './support.js';
import { built } from './inputs.js';

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

// ---------------------------------------------------------------------------
// The async path: verifyAsync and constructEventAsync. Where the backend says
// Web Crypto is the faster HMAC (workerd, browsers: native code, against
// SHA-256 in WebAssembly), the HMAC of the body under each secret is computed
// there; the core still decides everything else, in the sync path's order:
// the size and the signature's presence and shape before any hashing (its
// checkMacs without MACs, skipped when the body is within the limit and the
// signature 64 bare hex digits, which those checks always pass); then Web Crypto's own constant-time
// `crypto.subtle.verify` of that signature under every secret (all of them,
// no early exit), and the reader and the clock (checkMacs with the MACs
// verified). A refusal is always the core's answer: with no key verifying,
// checkMacs is asked with MACs that cannot match, and answers
// signature_mismatch (or whatever comes first in its order). Elsewhere (the napi addon, the .wasm in Node, where Web Crypto is
// slower) the async methods run the sync ones; in Node the .wasm's sync
// path has node:crypto's HMAC (keysFor, and webhooks.js, syncAnswer).

const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' };
const NO_BYTES = new Uint8Array(0);
/**
 * One buffer for the signature's bytes given to Web Crypto, reused: Web
 * Crypto copies its arguments when called ("a copy of the bytes held by"
 * each), so nothing reads it once verifies has returned. A new small array
 * each call cost workerd about 0.5 µs more (moved off V8's heap on first
 * native use).
 */
const WEB_TAG = new Uint8Array(32);

/**
 * Web Crypto HMAC-SHA256 keys for `secrets` (non-extractable, for
 * verifying), with `subtle`, the SubtleCrypto that made them (verifies asks
 * it: reading crypto.subtle costs workerd a native call each time), or
 * null where the backend computes the MACs itself. importKey copies the
 * bytes before it returns, so the caller's wipe is safe. A key Web Crypto
 * refuses leaves the async path on the core's HMAC (null), never a
 * rejection nobody handles.
 */
function importKeys(secrets) {
  // The backend first: Node makes its globalThis.crypto on first read (about
  // 4 ms), which the Node package's backend (node:crypto in the addon) never uses.
  if (!backend.webCrypto()) return null;
  const subtle = globalThis.crypto?.subtle;
  if (typeof subtle?.sign !== 'function') return null;
  try {
    return Promise.all(secrets.map((secret) => subtle.importKey('raw', secret, HMAC_SHA256, false, ['verify'])))
      .then((keys) => Object.assign(keys, { subtle }))
      .catch(() => null);
  } catch {
    return null;
  }
}

/**
 * What the secrets are made into once, for HMACs computed outside the core:
 * `webCrypto`, Web Crypto keys for the async path (importKeys), and
 * `hmac`, the backend's own HMAC of a body under each secret for the sync
 * path (the WASM package's backend.js in Node, by node:crypto), or null.
 */
function keysFor(secrets) {
  return { webCrypto: importKeys(secrets), hmac: backend.hmac?.(secrets) ?? null };
}

/** MACs of a count no verifier has: checkMacs answers signature_mismatch, after its own earlier checks. */
const NO_MATCH = new Uint8Array(1);

/**
 * The signature's 32 bytes, once the core's precheck has accepted it (64
 * hex digits, with at most ASCII whitespace around them, which trim()
 * removes as the core's trim does): bareTag of the trimmed text.
 */
function signatureBytes(signature) {
  return bareTag(signature.trim());
}

/** Each ASCII character's hex digit value ('0'-'9', 'a'-'f', 'A'-'F'), else -1: one load per digit. */
const HEX_DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGITS[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGITS[65 + i] = HEX_DIGITS[97 + i] = 10 + i;

/**
 * The 32 bytes of a signature written as 64 bare hex digits (what senders
 * write, and what the core's precheck always accepts), written into `into`
 * (by default new bytes), or null for any other, which the core's precheck
 * must answer first: the shape check and the decoding in one pass.
 */
function bareTag(signature, into = new Uint8Array(32)) {
  if (signature.length !== 64) return null;
  for (let i = 0; i < 32; i++) {
    const highCode = signature.charCodeAt(2 * i);
    const lowCode = signature.charCodeAt(2 * i + 1);
    const high = HEX_DIGITS[highCode & 127];
    const low = HEX_DIGITS[lowCode & 127];
    if ((highCode | lowCode) > 127 || (high | low) < 0) return null;
    into[i] = (high << 4) | low;
  }
  return into;
}

/**
 * Whether Web Crypto verifies `tag` (signatureBytes) over `bytes` under any
 * of the keys: every key is tried, none skipped. Web Crypto's own promise
 * for one key (no async function around it: each layer costs the async
 * path a promise and a turn of the microtask queue).
 */
function verifies(keys, tag, bytes) {
  const { subtle } = keys;
  if (keys.length === 1) return subtle.verify('HMAC', keys[0], tag, bytes);
  return Promise.all(keys.map((key) => subtle.verify('HMAC', key, tag, bytes))).then((results) => results.includes(true));
}

/**
 * What checkMacs takes after verifies: the verified signature once per
 * secret (it is the MAC under the secret that verified it), or, when none
 * did, NO_MATCH.
 */
function macsOf(keys, tag, verified) {
  if (!verified) return NO_MATCH;
  if (keys.length === 1) return tag;
  const macs = new Uint8Array(tag.length * keys.length);
  for (let i = 0; i < keys.length; i++) macs.set(tag, tag.length * i);
  return macs;
}

// ---------------------------------------------------------------------------
// The verifiers

/** The core's verifier inside a Webhook or a BitnobWebhook (set in Verifier's static block). */
let coreOf;
/** A verifier's settings as the core holds them (`maxBodyBytes`, `tolerance`, and `strict` or `legacySha512`). */
let settingsOf;
/** A verifier's Web Crypto keys, or null (the core's HMAC); a promise until imported. */
let keysOf;
/** A verifier's HMAC for the sync path (backend.hmac), or null (the core's). */
let hmacOf;

/**
 * What Webhook and BitnobWebhook share: the core's verifier, built from one
 * secret or several (rotation); the body size limit and the time window;
 * the Fetch Request helpers; and the secrets redacted in inspect and JSON
 * (only their number shows).
 */
class Verifier {
  #core;
  #settings;
  #name;
  #fields;
  #secretCount;
  #keys;
  // Held here only: never shown by inspect or toJSON, which show the count.
  #hmac;

  static {
    coreOf = (verifier) => verifier.#core;
    settingsOf = (verifier) => verifier.#settings;
    keysOf = (verifier) => verifier.#keys;
    hmacOf = (verifier) => verifier.#hmac;
  }

  /**
   * `build(bytes, lengths)` makes the core's verifier (see inputs.js,
   * `built`), whose settings are read once; `fields` are what inspect
   * and toJSON show after the secrets; `makeKeys(secrets)` makes the
   * secrets into keys too, for HMACs computed outside the core where the
   * backend hashes faster (`{ webCrypto, hmac }`: keysFor, whose MACs are
   * the HMAC-SHA256 of the body, or BitnobWebhook's own).
   */
  constructor(name, fields, secretOrSecrets, build, makeKeys) {
    let made;
    [this.#core, this.#secretCount, made] = built(secretOrSecrets, build, makeKeys);
    const keys = made?.webCrypto ?? null;
    this.#hmac = made?.hmac ?? null;
    // The window as the core's Duration::as_secs_f64: whole seconds plus nanoseconds.
    const { toleranceNanos = 0, ...settings } = JSON.parse(this.#core.settings());
    if (settings.tolerance !== null) settings.tolerance += toleranceNanos / 1e9;
    this.#settings = settings;
    this.#keys = keys;
    // Once imported, the keys are read without awaiting.
    keys?.then((imported) => {
      this.#keys = imported;
    });
    this.#name = name;
    this.#fields = fields;
  }

  /** The body size limit, in bytes. */
  get maxBodyBytes() {
    return this.#settings.maxBodyBytes;
  }

  /** The window in seconds (tolerance, replay window), or null when there is none. */
  get tolerance() {
    return this.#settings.tolerance;
  }

  /**
   * Read a Fetch API Request's body (up to maxBodyBytes) and verify it.
   * Resolves to the verified raw body bytes.
   */
  async verifyRequest(request) {
    const body = await requestBody(request, this.maxBodyBytes);
    await this.verifyAsync(body, request.headers);
    return body;
  }

  /** Read a Fetch API Request's body and construct its event (by the async path). */
  async constructEventFromRequest(request, options) {
    const body = await requestBody(request, this.maxBodyBytes);
    return this.constructEventAsync(body, request.headers, options);
  }

  [inspectCustom]() {
    const shown = this.#fields.map((field) => `${field}: ${this[field]}`).join(', ');
    return `${this.#name} { secrets: [REDACTED; ${this.#secretCount}], ${shown} }`;
  }

  toJSON() {
    return { secrets: `[REDACTED; ${this.#secretCount}]`, ...Object.fromEntries(this.#fields.map((field) => [field, this[field]])) };
  }
}

// ---------------------------------------------------------------------------
// The Fetch handler

/**
 * A function answering the Fetch handler maker (fetch.js's fetchHandler, or
 * the Node package's, which adds its stores), given by each package's entry:
 * the Node package's loads it, and the observability it uses, only when a
 * first handler is made, so that a receiver which only verifies never loads it.
 */
let fetchHandlerSource = () => {
  throw new Error("bullseye-webhooks: no Fetch handler was given (import the package's entry, not its files)");
};

/** For the package's entry: where `handler` finds its Fetch handler maker. */
function useFetchHandler(source) {
  fetchHandlerSource = source;
}

/** `verifier.handler(fn, options)`: see Webhook#handler. */
function fetchHandler(verifier, fn, options) {
  return fetchHandlerSource()(verifier, fn, options);
}

export { Verifier, coreOf, settingsOf, keysOf, hmacOf, importKeys, keysFor, bareTag, signatureBytes, verifies, macsOf, fetchHandler, useFetchHandler, NO_MATCH, NO_BYTES, WEB_TAG };
