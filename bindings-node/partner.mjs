// bullseye-webhooks/partner: a typed client for the webhook endpoints of
// Bullseye's partner API, and generateSecret().
//
// Plain JavaScript on the web platform only (fetch, AbortSignal, URL,
// TextDecoder, crypto.getRandomValues): it never loads the native addon and
// runs the same in Node >= 20, Cloudflare Workers (workerd), Deno and
// browsers.
//
// This file is the source. partner.js, the CommonJS form for require(), is
// made from it by scripts/partner-cjs.mjs (a test checks they match): edit
// this one, then run `node bindings-node/scripts/partner-cjs.mjs`.

/** The documented base URL of the partner API. */
const DEFAULT_BASE_URL = 'https://api.app.bullseye.so/api/v1';
/** The header the partner API key travels in. */
const API_KEY_HEADER = 'X-Partner-API-Key';
/** The environment variable the examples and the CLI read the key from. */
const API_KEY_ENV = 'BULLSEYE_PARTNER_API_KEY';
/** The two webhooks. */
const WEBHOOK_TYPES = Object.freeze(['identification', 'billing']);
/** The prefix of every generated webhook secret. */
const SECRET_PREFIX = 'whsec_';
/** How many random bytes a generated secret carries (256 bits). */
const SECRET_RANDOM_BYTES = 32;

/** The longest answer read (the logs page is the largest). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** How many characters (code points) of a server's message go into an error. */
const MAX_MESSAGE_CHARS = 300;
/** The longest delay-seconds read; larger ones saturate here. */
const MAX_DELAY_SECONDS = 4294967295;
/** When and how often a call is retried, unless the options say otherwise. */
const DEFAULT_POLICY = Object.freeze({ maxRetries: 3, initialBackoffMs: 500, maxBackoffMs: 8_000, maxRetryAfterMs: 60_000 });
/** The most retries a client may be configured with. */
const MAX_RETRIES_LIMIT = 10;
const REDACTED = '[REDACTED]';
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
// Marks every PartnerApiError, so `instanceof` holds across the CommonJS
// and ES module copies of this file (a program that loads both).
const ERROR_BRAND = Symbol.for('bullseye-webhooks.PartnerApiError');
const LOG_FILTERS = ['page', 'pageSize', 'type', 'status', 'organizationId'];
const UPDATE_FIELDS = ['url', 'secret', 'enabled'];

/** Every occurrence of each non-empty secret in `text`, replaced. */
function scrub(text, secrets) {
  let out = String(text);
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length > 0 && out.includes(secret)) {
      out = out.split(secret).join(REDACTED);
    }
  }
  return out;
}

/**
 * A failed partner-API call. `kind` says which way it failed:
 * - `'api_status'`: the API answered a non-2xx status (after any retries):
 *   `status`, the server's `serverMessage` and `code` (its JSON `error`);
 * - `'transport'`: no answer (connection refused, DNS, TLS, timeout);
 * - `'decode'`: a 2xx answer that is not the documented JSON shape;
 * - `'config'`: the client was given something unusable.
 * No message, property or printout of it ever holds the API key.
 */
class PartnerApiError extends Error {
  /**
   * @param {string} message
   * @param {{ kind?: string, status?: number | null, serverMessage?: string | null,
   *           code?: string | null, retryAfter?: number | null }} [details]
   */
  constructor(message, details = {}) {
    super(message);
    const { kind = 'api_status', status = null, serverMessage = null, code = null, retryAfter = null } = details;
    Object.defineProperty(this, 'name', { value: 'PartnerApiError', enumerable: false, configurable: true, writable: true });
    Object.defineProperty(this, ERROR_BRAND, { value: true, enumerable: false });
    /** `'api_status'`, `'transport'`, `'decode'` or `'config'`. */
    this.kind = kind;
    /** The HTTP status the API answered with; `null` when it did not answer. */
    this.status = status;
    /** The server's message: its JSON `message`, else `error`, else the start of its body. */
    this.serverMessage = serverMessage;
    /** The server's error code (its JSON `error`, like `'unauthorized'`), if any. */
    this.code = code;
    /** The last answer's Retry-After, in seconds, if it had one. */
    this.retryAfter = retryAfter;
  }

  /** True for 401 and 403: a missing, wrong or revoked API key. */
  get isUnauthorized() {
    return this.status === 401 || this.status === 403;
  }

  static [Symbol.hasInstance](value) {
    // Subclasses keep the ordinary prototype check.
    if (this !== PartnerApiError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value != null && value[ERROR_BRAND] === true;
  }
}

function configError(message) {
  return new PartnerApiError(message, { kind: 'config' });
}

function transportError(message) {
  return new PartnerApiError(`partner API transport: ${message}`, { kind: 'transport' });
}

/**
 * A new webhook secret: `whsec_` followed by 32 bytes from the platform's
 * secure random source (Web Crypto's `crypto.getRandomValues`), as unpadded
 * base64url (43 characters of `A-Z a-z 0-9 - _`). The same format as the
 * Rust and Python `generate_secret()`. The encoding is only a spelling:
 * Bullseye and every verifier use the whole string, prefix included, as the
 * HMAC key; it is never decoded.
 * @returns {string}
 */
function generateSecret() {
  const webCrypto = globalThis.crypto;
  if (!webCrypto || typeof webCrypto.getRandomValues !== 'function') {
    throw new Error('generateSecret needs Web Crypto (crypto.getRandomValues): Node >= 20, Deno, Workers or a browser');
  }
  const bytes = new Uint8Array(SECRET_RANDOM_BYTES);
  webCrypto.getRandomValues(bytes);
  const secret = SECRET_PREFIX + base64url(bytes);
  bytes.fill(0);
  return secret;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Unpadded base64url (RFC 4648 section 5). */
function base64url(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const rest = bytes.length - i;
    const n = (bytes[i] << 16) | ((rest > 1 ? bytes[i + 1] : 0) << 8) | (rest > 2 ? bytes[i + 2] : 0);
    out += BASE64URL[(n >> 18) & 63] + BASE64URL[(n >> 12) & 63];
    if (rest > 1) out += BASE64URL[(n >> 6) & 63];
    if (rest > 2) out += BASE64URL[n & 63];
  }
  return out;
}

function checkType(type, what) {
  if (!WEBHOOK_TYPES.includes(type)) {
    throw new TypeError(`${what}: the webhook type must be 'identification' or 'billing', got ${describeValue(type)}`);
  }
  return type;
}

function describeValue(value) {
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : typeof value;
}

function positiveInteger(value, name, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new TypeError(`${name} must be an integer from 1 to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function checkNumber(value, name, { min, max, integer = false }) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw configError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

/** The caller's signal and the timeout, as one signal. */
function anySignal(signals) {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// The three HTTP-date formats of RFC 9110 (IMF-fixdate, RFC 850, asctime),
// read exactly as the Rust client's httpdate crate reads them. Date.parse is
// not used: it takes almost anything ('1.5' is a date in 2001).
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = DAYS.join('|');
const MONTH = MONTHS.join('|');
const IMF_FIXDATE = new RegExp(`^(${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const RFC850_DATE = new RegExp(`^(${LONG_DAYS.join('|')}), (\\d{2})-(${MONTH})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const ASCTIME_DATE = new RegExp(`^(${DAY}) (${MONTH}) ( \\d|\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`);

/** An HTTP date as Unix milliseconds, or null when it is not one (or not a real day, or its weekday is wrong). */
function httpDateMs(text) {
  let parts;
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day, date, month, year, h, m, s] = match;
    parts = { day, date, month, year: Number(year), h, m, s };
  } else if ((match = RFC850_DATE.exec(text))) {
    const [, longDay, date, month, year, h, m, s] = match;
    parts = { day: longDay.slice(0, 3), date, month, year: Number(year) + (Number(year) < 70 ? 2000 : 1900), h, m, s };
  } else if ((match = ASCTIME_DATE.exec(text))) {
    const [, day, month, date, h, m, s, year] = match;
    parts = { day, date, month, year: Number(year), h, m, s };
  } else {
    return null;
  }
  const [date, h, m, s] = [parts.date, parts.h, parts.m, parts.s].map(Number);
  const month = MONTHS.indexOf(parts.month);
  if (parts.year < 1970 || h > 23 || m > 59 || s > 59) return null;
  const ms = Date.UTC(parts.year, month, date, h, m, s);
  const check = new Date(ms);
  if (check.getUTCDate() !== date || check.getUTCMonth() !== month || DAYS[check.getUTCDay()] !== parts.day) return null;
  return ms;
}

/** `Retry-After` at `nowMs`, in milliseconds: delay-seconds or an HTTP date (a past date is 0); null when invalid or absent. */
function retryAfterDelay(value, nowMs) {
  if (value == null) return null;
  const text = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (/^[0-9]+$/.test(text)) return Math.min(Number(text), MAX_DELAY_SECONDS) * 1000;
  const date = httpDateMs(text);
  return date === null ? null : Math.max(0, date - nowMs);
}

/** The range of the backoff before retry number `retries` (0-based): full = min(initial * 2^retries, max), drawn from full/2 to full. */
function backoffBounds(initialMs, maxMs, retries) {
  const full = Math.min(initialMs * 2 ** retries, maxMs);
  return [full / 2, full];
}

/**
 * The wait in milliseconds before the next try, or null to give up: after an
 * answer with `status` (null: no answer) and a Retry-After of `retryAfterMs`,
 * to an `idempotent` call or not, with `retries` already made. 429 and 5xx
 * are retried; no answer only for idempotent calls; a Retry-After over the
 * policy's cap is not waited for.
 */
function retryWait(policy, { status, retryAfterMs, retries, idempotent }) {
  if (retries >= policy.maxRetries) return null;
  if (status === null) return idempotent ? backoff(policy, retries) : null;
  if (status !== 429 && !(status >= 500 && status <= 599)) return null;
  if (retryAfterMs == null) return backoff(policy, retries);
  return retryAfterMs <= policy.maxRetryAfterMs ? retryAfterMs : null;
}

function backoff(policy, retries) {
  const [least, most] = backoffBounds(policy.initialBackoffMs, policy.maxBackoffMs, retries);
  return least + (most - least) * Math.random();
}

/** `text` cut to its first MAX_MESSAGE_CHARS code points and `...` when longer. */
function truncateMessage(text) {
  const chars = Array.from(text);
  return chars.length > MAX_MESSAGE_CHARS ? `${chars.slice(0, MAX_MESSAGE_CHARS).join('')}...` : text;
}

/** The body as text, refusing more than `limit` bytes. */
async function readBody(response, limit) {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw transportError(`the answer is longer than ${limit} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw transportError(`the answer is longer than ${limit} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * The server's message and code: `message`, else `error` (a string, or an
 * object with a `message`), else the trimmed body; scrubbed of `secrets`,
 * then cut (scrubbed first, so no piece of a secret survives the cut).
 */
function serverMessageOf(text, secrets) {
  let message = null;
  let code = null;
  try {
    const json = JSON.parse(text);
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      if (typeof json.error === 'string') code = json.error;
      if (typeof json.message === 'string') message = json.message;
      else if (typeof json.error === 'string') message = json.error;
      else if (json.error && typeof json.error === 'object' && typeof json.error.message === 'string') {
        message = json.error.message;
        code = typeof json.error.code === 'string' ? json.error.code : null;
      }
    }
  } catch {
    // not JSON: the text itself
  }
  if (message === null) message = text.trim();
  const clean = (value) => (value === null ? null : truncateMessage(scrub(value, secrets)));
  return { message: clean(message), code: clean(code) };
}

/** Why fetch threw, in words, without the request. */
function describeFetchFailure(error) {
  const cause = error && typeof error === 'object' ? error.cause : undefined;
  const parts = [];
  if (error && typeof error === 'object' && typeof error.message === 'string') parts.push(error.message);
  else parts.push(String(error));
  if (cause && typeof cause === 'object') {
    const detail = [cause.code, cause.message].filter((p) => typeof p === 'string' && p.length > 0).join(' ');
    if (detail) parts.push(`(${detail})`);
  }
  return parts.join(' ');
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A client for the partner API's webhook endpoints, on `fetch`.
 *
 * Every call sends the key in `X-Partner-API-Key`, has a timeout
 * (`timeoutMs`, per try, body included), and is retried on 429 and 5xx with
 * exponential backoff (honouring `Retry-After`, up to `maxRetryAfterMs`), at
 * most `maxRetries` times. No answer at all (connection refused, timeout) is
 * retried for the GET and PUT calls, never for `sendTest`, which could
 * otherwise send two tests. Redirects are not followed, so the key never goes
 * to another host. The key is held in a private field: printing, inspecting
 * or JSON-serializing the client shows `[REDACTED]`.
 */
class PartnerClient {
  #apiKey;
  #baseUrl;
  #fetch;
  #timeoutMs;
  #maxRetries;
  #policy;

  /**
   * @param {object} options
   * @param {string} options.apiKey the partner API key
   * @param {string} [options.baseUrl] default DEFAULT_BASE_URL
   * @param {number} [options.timeoutMs] per try, default 30000
   * @param {number} [options.maxRetries] default 3 (0 turns retries off; at most 10)
   * @param {number} [options.initialBackoffMs] default 500, doubled each retry
   * @param {number} [options.maxBackoffMs] default 8000
   * @param {number} [options.maxRetryAfterMs] the longest Retry-After waited for, default 60000
   * @param {typeof fetch} [options.fetch] default globalThis.fetch
   */
  constructor(options) {
    if (!isPlainObject(options)) {
      throw configError('new PartnerClient({ apiKey, baseUrl, ... }) takes an options object');
    }
    const {
      apiKey,
      baseUrl = DEFAULT_BASE_URL,
      timeoutMs = 30_000,
      maxRetries = DEFAULT_POLICY.maxRetries,
      initialBackoffMs = DEFAULT_POLICY.initialBackoffMs,
      maxBackoffMs = DEFAULT_POLICY.maxBackoffMs,
      maxRetryAfterMs = DEFAULT_POLICY.maxRetryAfterMs,
      fetch: fetchImpl = globalThis.fetch,
    } = options;
    // The key's own text is never part of these messages.
    if (typeof apiKey !== 'string' || apiKey.length === 0) {
      throw configError(`apiKey is required: the partner API key (for example from the ${API_KEY_ENV} environment variable)`);
    }
    if (!/^[\x21-\x7e]+$/.test(apiKey)) {
      throw configError('apiKey has a character an HTTP header cannot carry (whitespace, a control character or non-ASCII)');
    }
    if (typeof baseUrl !== 'string') throw configError('baseUrl must be a string');
    let parsed;
    try {
      parsed = new URL(baseUrl);
    } catch {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.search || parsed.hash) {
      throw configError(`baseUrl ${scrub(JSON.stringify(baseUrl), [apiKey])} is not an http:// or https:// URL without a query`);
    }
    if (typeof fetchImpl !== 'function') {
      throw configError('no fetch: pass options.fetch, or run where globalThis.fetch exists (Node >= 20, Deno, Workers, browsers)');
    }
    this.#apiKey = apiKey;
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchImpl;
    this.#timeoutMs = checkNumber(timeoutMs, 'timeoutMs', { min: 1, max: 600_000 });
    this.#policy = Object.freeze({
      maxRetries: checkNumber(maxRetries, 'maxRetries', { min: 0, max: MAX_RETRIES_LIMIT, integer: true }),
      initialBackoffMs: checkNumber(initialBackoffMs, 'initialBackoffMs', { min: 0, max: 600_000 }),
      maxBackoffMs: checkNumber(maxBackoffMs, 'maxBackoffMs', { min: 0, max: 600_000 }),
      maxRetryAfterMs: checkNumber(maxRetryAfterMs, 'maxRetryAfterMs', { min: 0, max: 3_600_000 }),
    });
  }

  /** The base URL every path is joined to (no trailing `/`). */
  get baseUrl() {
    return this.#baseUrl;
  }

  /** The timeout of one try, in milliseconds. */
  get timeoutMs() {
    return this.#timeoutMs;
  }

  /** How many times a call may be retried after its first try. */
  get maxRetries() {
    return this.#policy.maxRetries;
  }

  /** `GET /partner/webhooks`: both webhooks' `{ url, enabled, hasSecret }`. */
  async getWebhooks({ signal } = {}) {
    return this.#call('GET', '/partner/webhooks', { idempotent: true, signal });
  }

  /**
   * `PUT /partner/webhooks/{type}`: change any of `url`, `secret`, `enabled`
   * (only the fields given are sent). Answers the webhook's new
   * `{ url, enabled, hasSecret }`.
   */
  async setWebhook(type, update, { signal } = {}) {
    checkType(type, 'setWebhook');
    if (!isPlainObject(update)) throw new TypeError('setWebhook(type, { url, secret, enabled }) takes an update object');
    const body = {};
    for (const key of Object.keys(update)) {
      if (!UPDATE_FIELDS.includes(key)) {
        throw new TypeError(`setWebhook: unknown field ${JSON.stringify(key)} (the fields are url, secret and enabled)`);
      }
    }
    const { url, secret, enabled } = update;
    if (url !== undefined) {
      if (url !== null && typeof url !== 'string') throw new TypeError('setWebhook: url must be a string (or null to remove it)');
      body.url = url;
    }
    if (secret !== undefined) {
      if (secret !== null && typeof secret !== 'string') throw new TypeError('setWebhook: secret must be a string (or null to remove it)');
      body.secret = secret;
    }
    if (enabled !== undefined) {
      if (typeof enabled !== 'boolean') throw new TypeError('setWebhook: enabled must be a boolean');
      body.enabled = enabled;
    }
    const path = `/partner/webhooks/${type}`;
    const answer = await this.#call('PUT', path, { body, idempotent: true, signal, secrets: [secret] });
    const endpoint = answer[type];
    if (!isPlainObject(endpoint)) {
      throw new PartnerApiError(`partner API decode: the answer to PUT ${path} has no ${JSON.stringify(type)} object`, { kind: 'decode', status: 200 });
    }
    return endpoint;
  }

  /**
   * `POST /partner/webhooks/test`: have Bullseye send a test webhook of this
   * type to the configured URL. Answers `{ success, message }`: check
   * `success`. Not retried when no answer came (it may have been sent).
   */
  async sendTest(type, { signal } = {}) {
    checkType(type, 'sendTest');
    return this.#call('POST', '/partner/webhooks/test', { body: { type }, idempotent: false, signal });
  }

  /**
   * `GET /partner/webhooks/logs`: one page of delivery logs,
   * `{ logs, total, page, pageSize }`, with the documented filters.
   */
  async logs(filters = {}, { signal } = {}) {
    const query = logsQuery(filters);
    const page = await this.#call('GET', '/partner/webhooks/logs', { query, idempotent: true, signal });
    if (!Array.isArray(page.logs)) {
      throw new PartnerApiError('partner API decode: the logs answer has no "logs" array', { kind: 'decode', status: 200 });
    }
    return page;
  }

  /**
   * Every log entry matching `filters`, page after page from `filters.page`
   * (default 1), fetched as the iteration goes. Stops after an empty page,
   * once `page * pageSize >= total`, or at the first error (thrown). Entries
   * logged while it runs may shift the pages.
   */
  async *iterLogs(filters = {}, { signal } = {}) {
    logsQuery(filters); // refuse bad filters before the first request
    let page = filters.page ?? 1;
    for (;;) {
      const answer = await this.logs({ ...filters, page }, { signal });
      const entries = answer.logs;
      for (const entry of entries) yield entry;
      const size = Number.isSafeInteger(answer.pageSize) && answer.pageSize > 0 ? answer.pageSize : entries.length;
      const done =
        entries.length === 0 ||
        (Number.isFinite(answer.total) ? page * size >= answer.total : entries.length < size) ||
        page >= Number.MAX_SAFE_INTEGER;
      if (done) return;
      page += 1;
    }
  }

  /** One call with its retries: the parsed JSON object of a 2xx answer. */
  async #call(method, path, { query, body, idempotent, signal, secrets = [] }) {
    const hidden = [this.#apiKey, ...secrets];
    const url = `${this.#baseUrl}${path}${query ? `?${query}` : ''}`;
    const what = `${method} ${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let retries = 0; ; retries += 1) {
      signal?.throwIfAborted();
      const outcome = await this.#once(method, url, payload, signal, hidden);
      const wait = retryWait(this.#policy, {
        status: outcome.failure ? null : outcome.status,
        retryAfterMs: outcome.retryAfterMs,
        retries,
        idempotent,
      });
      if (wait !== null) {
        await sleep(wait, signal);
        continue;
      }
      if (outcome.failure) throw outcome.failure;
      return this.#answer(what, outcome, hidden);
    }
  }

  /** The 2xx answer's JSON object, or the error for any other answer. */
  #answer(what, { status, text, retryAfterMs, location, opaque }, hidden) {
    if (status < 200 || status > 299) {
      let { message, code } = serverMessageOf(text, hidden);
      if (opaque || (status >= 300 && status <= 399)) {
        const to = location ? ` to ${location}` : '';
        message = scrub(`a redirect${to}, not followed (the API key only goes to the base URL)${message ? `: ${message}` : ''}`, hidden);
      }
      throw new PartnerApiError(`partner API answered ${status} to ${what}: ${message || '(no message)'}`, {
        kind: 'api_status',
        status,
        serverMessage: message,
        code,
        retryAfter: retryAfterMs == null ? null : retryAfterMs / 1000,
      });
    }
    let json;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new PartnerApiError(scrub(`partner API decode: the answer to ${what} is not JSON: ${error.message}`, hidden), { kind: 'decode', status });
    }
    if (!isPlainObject(json)) {
      throw new PartnerApiError(`partner API decode: the answer to ${what} is not a JSON object`, { kind: 'decode', status });
    }
    return json;
  }

  /** One HTTP request: `{ status, text, retryAfterMs }`, or `{ failure }` when there was no answer. */
  async #once(method, url, payload, signal, hidden) {
    const fetchImpl = this.#fetch;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const headers = { [API_KEY_HEADER]: this.#apiKey, Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const response = await fetchImpl(url, {
        method,
        headers,
        body: payload,
        redirect: 'manual',
        signal: signal ? anySignal([signal, timeout]) : timeout,
      });
      const text = await readBody(response, MAX_RESPONSE_BYTES);
      return {
        status: response.status,
        text,
        retryAfterMs: retryAfterDelay(response.headers.get('retry-after'), Date.now()),
        location: response.headers.get('location'),
        opaque: response.type === 'opaqueredirect',
      };
    } catch (error) {
      if (signal?.aborted) throw signal.reason; // the caller's own abort: not retried
      if (error instanceof PartnerApiError) return { failure: error };
      const why = timeout.aborted ? `timed out after ${this.#timeoutMs} ms` : describeFetchFailure(error);
      return { failure: transportError(scrub(`${method} ${url.slice(this.#baseUrl.length).split('?')[0]}: ${why}`, hidden)) };
    }
  }

  /** What printing the client shows: never the key. */
  toJSON() {
    return { baseUrl: this.#baseUrl, apiKey: REDACTED, timeoutMs: this.#timeoutMs, maxRetries: this.#policy.maxRetries };
  }

  toString() {
    return `PartnerClient(${this.#baseUrl})`;
  }

  [INSPECT](depth, options, inspect) {
    const shown = this.toJSON();
    return typeof inspect === 'function' ? `PartnerClient ${inspect(shown, options)}` : `PartnerClient ${JSON.stringify(shown)}`;
  }
}

/** The logs query string, in the documentation's names and order. */
function logsQuery(filters) {
  if (!isPlainObject(filters)) throw new TypeError('logs({ page, pageSize, type, status, organizationId }) takes a filters object');
  for (const key of Object.keys(filters)) {
    if (!LOG_FILTERS.includes(key)) {
      throw new TypeError(`logs: unknown filter ${JSON.stringify(key)} (the filters are ${LOG_FILTERS.join(', ')})`);
    }
  }
  const params = new URLSearchParams();
  const { page, pageSize, type, status, organizationId } = filters;
  if (page != null) params.set('page', String(positiveInteger(page, 'page')));
  if (pageSize != null) params.set('pageSize', String(positiveInteger(pageSize, 'pageSize')));
  if (type != null) params.set('type', checkType(type, 'logs'));
  if (status != null) {
    if (typeof status !== 'string') throw new TypeError('logs: status must be a string');
    params.set('status', status);
  }
  if (organizationId != null) {
    if (typeof organizationId !== 'string') throw new TypeError('logs: organizationId must be a string');
    params.set('organizationId', organizationId);
  }
  return params.toString();
}

/**
 * The client's edge rules, for the shared behaviour tests
 * (fixtures/partner-behaviour.json) only: not part of the API, not typed.
 */
const _internal = Object.freeze({
  DEFAULT_POLICY,
  MAX_MESSAGE_CHARS,
  MAX_RESPONSE_BYTES,
  backoffBounds,
  retryAfterDelay,
  retryWait,
  serverMessageOf,
});

export {
  API_KEY_ENV,
  API_KEY_HEADER,
  DEFAULT_BASE_URL,
  PartnerApiError,
  PartnerClient,
  SECRET_PREFIX,
  SECRET_RANDOM_BYTES,
  WEBHOOK_TYPES,
  generateSecret,
  _internal,
};
