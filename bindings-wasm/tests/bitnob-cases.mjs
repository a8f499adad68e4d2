// Every case of fixtures/bitnob-vectors.json through the package's
// BitnobWebhook, written once for the three runtimes that run it: Node
// (bitnob.test.mjs), headless Chromium (browser/harness.js) and workerd
// (bitnob-worker.js). Plain ES module: no Node API, no assertion library.
// `lib` is the package (any entry, initialised); the answers come from the
// vectors, and the delivery key is checked against Web Crypto's SHA-256.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A case's body as bytes. */
export function bodyOf(c) {
  if (typeof c.body === 'string') return encoder.encode(c.body);
  if (typeof c.body_hex === 'string') return Uint8Array.from(c.body_hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  if (c.body_repeat) return encoder.encode(c.body_repeat.text.repeat(c.body_repeat.count));
  throw new Error(`case ${c.name} has no body`);
}

/** A case's options as BitnobWebhook's: tolerance (null: off; absent: the default), legacySha512, maxBodyBytes. */
export function optionsOf(c) {
  const options = {};
  const o = c.options ?? {};
  if (Object.hasOwn(o, 'tolerance_seconds')) options.tolerance = o.tolerance_seconds;
  if (Object.hasOwn(o, 'legacy_sha512')) options.legacySha512 = o.legacy_sha512;
  if (Object.hasOwn(o, 'max_body_bytes')) options.maxBodyBytes = o.max_body_bytes;
  return options;
}

/**
 * The headers in each form the API takes that can carry them unchanged: the
 * [name, value] pairs; a plain object when no name is repeated exactly; a
 * Fetch Headers when it keeps every value as sent (it trims surrounding
 * whitespace and refuses some bytes).
 */
export function headerForms(c) {
  const forms = [['pairs', c.headers]];
  const names = c.headers.map(([name]) => name);
  if (new Set(names).size === names.length) forms.push(['object', Object.fromEntries(c.headers)]);
  const asSent = c.headers.every(([, value]) => value === value.trim());
  const caseless = new Set(names.map((name) => name.toLowerCase())).size === names.length;
  if (asSent && caseless) {
    try {
      forms.push(['Headers', new Headers(c.headers)]);
    } catch {
      // A value Headers refuses: the other forms carry it.
    }
  }
  return forms;
}

function bodyForms(c, bytes) {
  const forms = [['Uint8Array', bytes], ['ArrayBuffer', bytes.slice().buffer]];
  if (typeof c.body === 'string') forms.push(['string', c.body]);
  return forms;
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Run one case: both operations, every body form and headers form. Returns
 * the failures (strings), empty when the case passes.
 */
export async function runCase(lib, c) {
  const failures = [];
  const bytes = bodyOf(c);
  const now = c.now_unix * 1000;
  const fail = (how, what) => failures.push(`${c.name} ${how}: ${what}`);
  for (const operation of ['verify', 'construct_event']) {
    const expected = c.expect[operation];
    for (const [bodyForm, body] of bodyForms(c, bytes)) {
      for (const [headersForm, headers] of headerForms(c)) {
        const how = `[${operation}, body as ${bodyForm}, headers as ${headersForm}]`;
        let event;
        try {
          const webhook = new lib.BitnobWebhook(c.secrets, optionsOf(c));
          if (operation === 'verify') webhook.verify(body, headers, { now });
          else event = webhook.constructEvent(body, headers, { now });
        } catch (error) {
          if (!(error instanceof lib.WebhookError)) fail(how, `threw ${error?.name}: ${error?.message}`);
          else if (expected.ok) fail(how, `refused with ${error.code}: ${error.message}`);
          else if (error.code !== expected.code) fail(how, `got ${error.code}, expected ${expected.code}: ${error.message}`);
          else if (c.secrets.some((secret) => secret.length >= 4 && error.message.includes(secret))) fail(how, 'the message holds a secret');
          continue;
        }
        if (!expected.ok) {
          fail(how, `accepted, expected ${expected.code}`);
          continue;
        }
        if (operation === 'verify') continue;
        if (event.event_type !== expected.event_type) fail(how, `event_type ${JSON.stringify(event.event_type)}, expected ${JSON.stringify(expected.event_type)}`);
        // The event is the payload as sent, plus event_type; its key is the body's SHA-256.
        const sent = JSON.parse(decoder.decode(bytes));
        sent.event_type = expected.event_type;
        if (!same(event, sent)) fail(how, 'the event is not the payload plus event_type');
        const key = `sha256:${await sha256Hex(bytes)}`;
        if (lib.deliveryKeyOf(event) !== key) fail(how, `deliveryKeyOf ${lib.deliveryKeyOf(event)}, expected ${key}`);
        if (lib.mismatchesOf(event).length !== 0) fail(how, 'a Bitnob event reports mismatches');
      }
    }
  }
  return failures;
}

/** The secret helpers' lists of the vectors file. */
export function runSecretHelpers(lib, vectors) {
  const failures = [];
  for (const { secret, last4 } of vectors.secret_last4) {
    const got = lib.secretLast4(secret);
    if (got !== last4) failures.push(`secretLast4(${JSON.stringify(secret)}) = ${JSON.stringify(got)}, expected ${JSON.stringify(last4)}`);
    const fromBytes = lib.secretLast4(encoder.encode(secret));
    if (fromBytes !== last4) failures.push(`secretLast4 of the bytes of ${JSON.stringify(secret)} = ${JSON.stringify(fromBytes)}`);
  }
  for (const { secrets, last4, indexes } of vectors.secrets_ending_in) {
    const got = new lib.BitnobWebhook(secrets).secretsEndingIn(last4);
    if (!same(got, indexes)) failures.push(`secretsEndingIn(${JSON.stringify(last4)}) over ${secrets.length} secrets = ${JSON.stringify(got)}, expected ${JSON.stringify(indexes)}`);
  }
  return failures;
}

/** Every case and both helper lists: `{ cases, checks, failures }`. */
export async function runVectors(lib, vectors) {
  const failures = [];
  for (const c of vectors.cases) {
    try {
      failures.push(...(await runCase(lib, c)));
    } catch (error) {
      failures.push(`${c.name}: the check itself threw ${error?.name}: ${error?.message}`);
    }
  }
  failures.push(...runSecretHelpers(lib, vectors));
  return { cases: vectors.cases.length, helpers: vectors.secret_last4.length + vectors.secrets_ending_in.length, failures };
}
