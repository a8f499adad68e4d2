// The Bitnob verifier of the shared API, and Bitnob's signing helpers
// (tests, local senders). (One of the shared modules js/sync.mjs copies
// into each package; see webhooks.js.)
import backend from './backend.js';
import { describe, WebhookError, wrapped } from './support.js';
import { rawBody, headerValue, flatHeaders, withSecret, checkedObject, checkedMaxBodyBytes, isSeconds, nowMs } from './inputs.js';
import { eventFrom } from './answers.js';
import { Verifier, coreOf, settingsOf, keysOf, importKeys, verifies, macsOf, fetchHandler, NO_BYTES, WEB_TAG } from './verifier.js';

const { BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER, DEFAULT_BITNOB_TOLERANCE } = backend.constants;

/**
 * A request's headers as `[name, value, ...]` for the Bitnob verifier,
 * which reads three of them: a headers mapping, or a list of `[name, value]`
 * pairs. Absent reads as no headers (`missing_signature`).
 */
function bitnobHeaders(headers) {
  if (headers === undefined || headers === null) return [];
  if (Array.isArray(headers)) {
    const flat = [];
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw new TypeError('headers given as a list must be [name, value] pairs');
      }
      flat.push(pair[0], headerValue(pair[1], pair[0]));
    }
    return flat;
  }
  if (typeof headers !== 'object') {
    throw new TypeError(
      `headers must be the request's headers (Bitnob signs with ${BITNOB_SIGNATURE_HEADER}, ${BITNOB_TIMESTAMP_HEADER} and ${BITNOB_EVENT_HEADER}), got ${describe(headers)}`,
    );
  }
  return flatHeaders(headers);
}

const BITNOB_OPTION_NAMES = new Set(['tolerance', 'legacySha512', 'maxBodyBytes']);

/**
 * BitnobWebhook's options: tolerance (default 300, null for none),
 * legacySha512 (default true), maxBodyBytes; as the core's calls take them
 * (no window: tolerance undefined).
 */
function bitnobOptions(options) {
  if (options === undefined || options === null) options = {};
  for (const key of Object.keys(checkedObject(options))) {
    if (!BITNOB_OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are tolerance (seconds, null for none), legacySha512 and maxBodyBytes`);
    }
  }
  const { tolerance = DEFAULT_BITNOB_TOLERANCE, legacySha512 = true, maxBodyBytes } = options;
  if (tolerance !== null && !isSeconds(tolerance)) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, or null for no replay window, got ${describe(tolerance)}`);
  }
  if (typeof legacySha512 !== 'boolean') throw new TypeError(`legacySha512 must be a boolean, got ${describe(legacySha512)}`);
  return { tolerance: tolerance ?? undefined, legacySha512, maxBodyBytes: checkedMaxBodyBytes(maxBodyBytes) };
}

// ---------------------------------------------------------------------------
// The async path (see verifier.js, "The async path"): where the backend
// says Web Crypto is the faster HMAC, the MACs are computed there and the
// core decides everything else, in the sync path's order. Its precheck
// (size, the signature's presence and shape) runs first and says which
// HMAC covers which bytes: HMAC-SHA256 of `{timestamp}.{body}` (the
// timestamp's bytes as the core hashes them, from its answer); nothing is
// hashed before it passes. (A legacy HMAC-SHA512 signature is then checked
// by the sync path: the .wasm's SHA-512 is the faster below about 64 KB.) Then Web
// Crypto's constant-time `crypto.subtle.verify` under every secret (all of
// them, no early exit), and the core's checkMacs: the compare again, the
// reader and the window. A refusal is always the core's answer (with no key
// verifying, checkMacs is given MACs that cannot match). Only there does
// the backend's Bitnob verifier need precheck(length, text, lengths) and
// checkMacs(body, length, text, lengths, macs, nowMs, event) (the .wasm's;
// the Node addon has neither, and its webCrypto() is false).

/** A header name that may be one of Bitnob's: "bitnob" in it, in any ASCII case. */
const BITNOB_NAME = /bitnob/i;

/**
 * The `[name, value, ...]` pairs of `flat` whose name may be one of
 * Bitnob's, in order, as the async path's core calls take them: one text,
 * each string followed by U+0000, and each string's length (the glue's
 * split_joined). A superset of the headers the core reads (names equal to
 * its three, ignoring ASCII case and surrounding ASCII whitespace; /i
 * without the u flag folds no other character to an ASCII one), so it
 * finds the same three values in them. The async path crosses into the
 * .wasm twice with the headers: one string is cheaper than one per header
 * name and value, and a request's other headers (a dozen or more at the
 * edge) would cross each time for nothing.
 */
function bitnobEntries(flat) {
  let text = '';
  const lengths = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (BITNOB_NAME.test(flat[i])) {
      text += `${flat[i]}\0${flat[i + 1]}\0`;
      lengths.push(flat[i].length, flat[i + 1].length);
    }
  }
  return [text, Uint32Array.from(lengths)];
}

/**
 * BitnobWebhook's Web Crypto keys, as Verifier makes them (keysFor): a
 * promise of the HMAC-SHA256 keys, imported once, or, where the core hashes
 * or a key is refused, null. None for the legacy HMAC-SHA512, which stays
 * the core's (webCryptoAnswer).
 */
function bitnobKeys(secrets) {
  return { webCrypto: importKeys(secrets), hmac: null };
}

/**
 * The async path's answer on Web Crypto (the core's precheck, Web Crypto's
 * MACs, the core's checkMacs): verify's (undefined) or, with `event`,
 * constructEvent's answer text and the bytes it was read from. The
 * message hashed is a copy made before any await (the caller may change its
 * buffer meanwhile; the event is read from the bytes hashed).
 */
async function webCryptoAnswer(verifier, keys, raw, headers, now, event) {
  const core = coreOf(verifier);
  const given = backend.body(raw);
  const [text, lengths] = bitnobEntries(headers);
  let signed;
  try {
    signed = core.precheck(given.byteLength, text, lengths);
  } catch (error) {
    throw wrapped(error);
  }
  // The MAC's length (32: HMAC-SHA256, 64: HMAC-SHA512), the signature's
  // bytes, then what the MAC covers before the body.
  if (signed[0] !== 32) {
    // The legacy HMAC-SHA512: the .wasm's is faster than Web Crypto's below
    // about 64 KB (bench/bitnob-async.mjs), and Bitnob's bodies are small.
    // The event is parsed after this function's promise settles: from a
    // copy, which the caller cannot change meanwhile.
    const bytes = event && given === raw ? raw.slice() : given;
    try {
      const answer = core.check(bytes, headers, now, event);
      return event ? [answer, bytes] : undefined;
    } catch (error) {
      throw wrapped(error);
    }
  }
  const tag = signed.subarray(1, 33);
  // `{timestamp}.` (never empty: the dot), then a copy of the body.
  const prefix = signed.subarray(33);
  const message = new Uint8Array(prefix.byteLength + given.byteLength);
  message.set(prefix);
  message.set(given, prefix.byteLength);
  const bytes = message.subarray(prefix.byteLength);
  // Web Crypto is given WEB_TAG, never a new array (verifier.js); the tag is kept for checkMacs.
  WEB_TAG.set(tag);
  const verified = await verifies(keys, WEB_TAG, message);
  let answer;
  try {
    answer = core.checkMacs(event ? bytes : NO_BYTES, bytes.byteLength, text, lengths, macsOf(keys, tag, verified), now, event);
  } catch (error) {
    throw wrapped(error);
  }
  if (!verified) throw new Error('bullseye-webhooks: the core accepted MACs that cannot match (a bug; the delivery is refused)');
  return event ? [answer, bytes] : undefined;
}

/**
 * A verifier for one Bitnob webhook endpoint: `X-Bitnob-Signature`, the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}`, or the legacy hex
 * HMAC-SHA512 of the body (128 digits; on by default, `legacySha512: false`
 * refuses it). One secret, or several while rotating. Options: `tolerance`
 * (the replay window in seconds, default 300; null: none), `legacySha512`,
 * `maxBodyBytes` (default 1 MiB). The legacy scheme signs no timestamp, so
 * the window cannot protect those deliveries from replay.
 */
class BitnobWebhook extends Verifier {
  constructor(secretOrSecrets, options) {
    backend.ready();
    const checked = bitnobOptions(options);
    super(
      'BitnobWebhook',
      ['tolerance', 'legacySha512', 'maxBodyBytes'],
      secretOrSecrets,
      (bytes, lengths) => backend.bitnob(bytes, lengths, checked),
      bitnobKeys,
    );
  }

  /** A Fetch API handler, as `Webhook#handler`. */
  handler(fn, options) {
    return fetchHandler(this, fn, options);
  }

  /** Whether the legacy HMAC-SHA512 scheme is accepted. */
  get legacySha512() {
    return settingsOf(this).legacySha512;
  }

  /**
   * The indexes (in configuration order) of the configured secrets whose
   * last 4 characters are `last4`, as Bitnob's dashboard shows them
   * (`signing_secret_last4`). Only each secret's last 4 are kept for this.
   */
  secretsEndingIn(last4) {
    if (typeof last4 !== 'string') throw new TypeError(`last4 must be a string, got ${describe(last4)}`);
    return Array.from(coreOf(this).secretsEndingIn(last4));
  }

  /**
   * The core's check of `bytes` (the raw body as its calls take it), with
   * `flat` the headers (bitnobHeaders) and `now` the clock (nowMs): verify's
   * checks only, or with `event` every check of constructEvent and its answer.
   */
  #check(bytes, flat, now, event) {
    try {
      return coreOf(this).check(bytes, flat, now, event);
    } catch (error) {
      throw wrapped(error);
    }
  }

  /**
   * Check the signature (and, for the timestamped scheme, the window) over
   * the raw body. `options.now` (a Date or milliseconds since the epoch)
   * replaces the clock. @throws WebhookError
   */
  verify(body, headers, options) {
    const bytes = backend.body(rawBody(body));
    this.#check(bytes, bitnobHeaders(headers), nowMs(options), false);
  }

  /**
   * Verify, then parse the event: the payload object plus `event_type`
   * (from `X-Bitnob-Event`, else the body's `event`). `options.now` (a Date
   * or milliseconds since the epoch) replaces the clock.
   */
  constructEvent(body, headers, options) {
    const raw = rawBody(body);
    const bytes = backend.body(raw);
    return eventFrom(this.#check(bytes, bitnobHeaders(headers), nowMs(options), true), raw, bytes);
  }

  /**
   * verify, as a promise: the same checks, order and errors, with the MACs
   * computed by Web Crypto where that is faster (edge runtimes, browsers;
   * see "The async path" above). Rejects with a WebhookError (a TypeError
   * for a bad argument).
   */
  async verifyAsync(body, headers, options) {
    const raw = rawBody(body);
    const flat = bitnobHeaders(headers);
    const now = nowMs(options);
    let keys = keysOf(this);
    if (keys !== null && typeof keys.then === 'function') keys = await keys;
    if (keys === null) return void this.#check(backend.body(raw), flat, now, false);
    return webCryptoAnswer(this, keys, raw, flat, now, false);
  }

  /**
   * constructEvent, as a promise: the same checks, order, errors and event,
   * with the MACs computed by Web Crypto where that is faster. The clock
   * (`options.now`, else Date.now()) is read when it is called.
   */
  async constructEventAsync(body, headers, options) {
    const raw = rawBody(body);
    const flat = bitnobHeaders(headers);
    const now = nowMs(options);
    let keys = keysOf(this);
    if (keys !== null && typeof keys.then === 'function') keys = await keys;
    if (keys === null) {
      const bytes = backend.body(raw);
      return eventFrom(this.#check(bytes, flat, now, true), raw, bytes);
    }
    const [answer, bytes] = await webCryptoAnswer(this, keys, raw, flat, now, true);
    return eventFrom(answer, raw, bytes);
  }
}

/** The last 4 characters of `secret` (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
function secretLast4(secret) {
  backend.ready();
  return withSecret(secret, (bytes) => backend.secretLast4(bytes));
}

function timestampText(timestamp) {
  if (typeof timestamp === 'string') return timestamp;
  if (Number.isSafeInteger(timestamp)) return String(timestamp);
  throw new TypeError(`timestamp must be Unix seconds (an integer or its decimal text), got ${describe(timestamp)}`);
}

/** The X-Bitnob-Signature for `body` sent with `X-Bitnob-Timestamp: timestamp` (tests, local senders). */
function signBitnob(secret, body, timestamp) {
  backend.ready();
  return withSecret(secret, (bytes) => {
    const raw = backend.body(rawBody(body));
    return backend.signBitnob(bytes, timestampText(timestamp), raw);
  });
}

/** The legacy X-Bitnob-Signature: hex HMAC-SHA512 of the body alone (tests, local senders). */
function signBitnobLegacy(secret, body) {
  backend.ready();
  return withSecret(secret, (bytes) => backend.signBitnobLegacy(bytes, backend.body(rawBody(body))));
}

export { BitnobWebhook, secretLast4, signBitnob, signBitnobLegacy };
