// The async path (verifyAsync, constructEventAsync) over every `verify` and
// `construct_event` case of fixtures/vectors.json and every case of
// fixtures/bitnob-vectors.json, written once for the runtimes that run it:
// Node (async.test.js, on either package; bindings-wasm/tests/async.test.mjs
// on the Web Crypto path), headless Chromium and workerd (the Node package's
// edge exports, tests/js/node/edge.test.js). Plain ES module: no Node API, no
// assertion library.
//
// Each case must give the vector's answer: its error code (a WebhookError,
// as a rejection), or success; an event must equal, key for key, the sync
// path's constructEvent of the same delivery (whose typed fields the vectors
// suite checks), with the same mismatches and delivery key.
//
// `lib` is the package (any entry, initialised); `files` maps a case's
// body_file to its bytes.

const encoder = new TextEncoder();

function fromHex(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A case's body as bytes. */
function bodyOf(c, files) {
  if (typeof c.body === 'string') return encoder.encode(c.body);
  if (typeof c.body_hex === 'string') return fromHex(c.body_hex);
  if (typeof c.body_file === 'string') {
    if (!files.has(c.body_file)) throw new Error(`case ${c.name}: no payload file ${c.body_file}`);
    return files.get(c.body_file);
  }
  if (c.body_repeat) return encoder.encode(c.body_repeat.text.repeat(c.body_repeat.count));
  throw new Error(`case ${c.name} has no body`);
}

function webhookOf(lib, c) {
  const secrets = c.secrets_hex ? c.secrets_hex.map(fromHex) : c.secrets;
  const options = {};
  const o = c.options ?? {};
  if (o.max_body_bytes !== undefined) options.maxBodyBytes = o.max_body_bytes;
  if (o.tolerance_seconds !== undefined) options.tolerance = o.tolerance_seconds;
  if (o.strict !== undefined) options.strict = o.strict;
  return new lib.Webhook(secrets, options);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What a call gave: `{ code }` for a WebhookError, `{ value }` otherwise (a non-WebhookError is rethrown). */
async function outcome(lib, call) {
  try {
    return { value: await call() };
  } catch (error) {
    if (error instanceof lib.WebhookError) return { code: error.code };
    throw error;
  }
}

/** One Bullseye case, each body form and signature form: the failures (strings). */
async function runBullseyeCase(lib, c, files) {
  const failures = [];
  const bytes = bodyOf(c, files);
  const bodies = [['Uint8Array', bytes]];
  if (typeof c.body === 'string') bodies.push(['string', c.body]);
  const signatures = [['headers', c.signature === null ? {} : { 'x-bullseye-signature': c.signature }]];
  if (c.signature !== null) signatures.push(['value', c.signature]);
  const now = c.options?.now_unix === undefined ? undefined : { now: c.options.now_unix * 1000 };
  const built = await outcome(lib, () => webhookOf(lib, c));
  if (built.code !== undefined) {
    // Refused before any delivery (invalid_secret): the sync suite's answer.
    if (built.code !== c.expect.error) failures.push(`${c.name}: the Webhook was refused with ${built.code}, expected ${c.expect.error ?? 'success'}`);
    return failures;
  }
  const webhook = built.value;
  for (const [bodyForm, body] of bodies) {
    for (const [signatureForm, signature] of signatures) {
      const how = `${c.name} [${c.operation}, body as ${bodyForm}, signature as ${signatureForm}]`;
      const got =
        c.operation === 'verify'
          ? await outcome(lib, () => webhook.verifyAsync(body, signature))
          : await outcome(lib, () => webhook.constructEventAsync(body, signature, now));
      if (c.expect.error !== undefined) {
        if (got.code !== c.expect.error) failures.push(`${how}: got ${got.code ?? 'success'}, expected ${c.expect.error}`);
        // And the sync path, the same.
        const sync = await outcome(lib, () =>
          c.operation === 'verify' ? webhook.verify(body, signature) : webhook.constructEvent(body, signature, now),
        );
        if (sync.code !== c.expect.error) failures.push(`${how} (sync): got ${sync.code ?? 'success'}, expected ${c.expect.error}`);
        continue;
      }
      if (got.code !== undefined) {
        failures.push(`${how}: refused with ${got.code}`);
        continue;
      }
      if (c.operation === 'verify') {
        if (got.value !== undefined) failures.push(`${how}: verifyAsync resolved to ${JSON.stringify(got.value)}`);
        continue;
      }
      const sync = webhook.constructEvent(body, signature, now);
      const event = got.value;
      if (!same(event, sync)) failures.push(`${how}: the event differs from constructEvent's`);
      if (!same(lib.mismatchesOf(event), lib.mismatchesOf(sync))) failures.push(`${how}: the mismatches differ`);
      if (lib.deliveryKeyOf(event) !== lib.deliveryKeyOf(sync)) failures.push(`${how}: the delivery key differs`);
      if (event.event_type !== c.expect.fields?.event_type && c.expect.fields?.event_type !== undefined) {
        failures.push(`${how}: event_type ${JSON.stringify(event.event_type)}, expected ${JSON.stringify(c.expect.fields.event_type)}`);
      }
    }
  }
  return failures;
}

/** One Bitnob case, both operations, the headers as pairs: the failures. */
async function runBitnobCase(lib, c) {
  const failures = [];
  const bytes = typeof c.body === 'string' ? encoder.encode(c.body) : typeof c.body_hex === 'string' ? fromHex(c.body_hex) : encoder.encode(c.body_repeat.text.repeat(c.body_repeat.count));
  const options = {};
  const o = c.options ?? {};
  if (Object.hasOwn(o, 'tolerance_seconds')) options.tolerance = o.tolerance_seconds;
  if (Object.hasOwn(o, 'legacy_sha512')) options.legacySha512 = o.legacy_sha512;
  if (Object.hasOwn(o, 'max_body_bytes')) options.maxBodyBytes = o.max_body_bytes;
  const built = await outcome(lib, () => new lib.BitnobWebhook(c.secrets, options));
  if (built.code !== undefined) {
    for (const operation of ['verify', 'construct_event']) {
      if (built.code !== c.expect[operation].code) failures.push(`${c.name}: BitnobWebhook refused with ${built.code}, expected ${c.expect[operation].code ?? 'success'}`);
    }
    return failures;
  }
  const webhook = built.value;
  const now = { now: c.now_unix * 1000 };
  for (const operation of ['verify', 'construct_event']) {
    const expected = c.expect[operation];
    const how = `${c.name} [bitnob ${operation}]`;
    const got =
      operation === 'verify'
        ? await outcome(lib, () => webhook.verifyAsync(bytes, c.headers, now))
        : await outcome(lib, () => webhook.constructEventAsync(bytes, c.headers, now));
    const sync = await outcome(lib, () =>
      operation === 'verify' ? webhook.verify(bytes, c.headers, now) : webhook.constructEvent(bytes, c.headers, now),
    );
    if (sync.code !== got.code) failures.push(`${how}: the sync path gave ${sync.code ?? 'success'}, the async ${got.code ?? 'success'}`);
    if (!expected.ok) {
      if (got.code !== expected.code) failures.push(`${how}: got ${got.code ?? 'success'}, expected ${expected.code}`);
    } else if (got.code !== undefined) {
      failures.push(`${how}: refused with ${got.code}`);
    } else if (operation === 'construct_event' && got.value.event_type !== expected.event_type) {
      failures.push(`${how}: event_type ${JSON.stringify(got.value.event_type)}, expected ${JSON.stringify(expected.event_type)}`);
    }
  }
  return failures;
}

/**
 * Every verify and construct_event case of `vectors` and every case of
 * `bitnob`: `{ cases, bitnobCases, failures }`.
 */
export async function runAsyncVectors(lib, vectors, bitnob, files) {
  const failures = [];
  let cases = 0;
  for (const c of vectors.cases) {
    if (c.operation !== 'verify' && c.operation !== 'construct_event') continue;
    cases++;
    try {
      failures.push(...(await runBullseyeCase(lib, c, files)));
    } catch (error) {
      failures.push(`${c.name}: threw ${error?.name}: ${error?.message}`);
    }
  }
  // The Bullseye cases again, all at once, so that their calls interleave:
  // what one call keeps between its start and its answer (the package
  // reuses the buffer it gives Web Crypto the signature in) must not
  // reach another's answer.
  const together = vectors.cases.filter((c) => c.operation === 'verify' || c.operation === 'construct_event');
  const answers = await Promise.all(
    together.map((c) => runBullseyeCase(lib, c, files).catch((error) => [`${c.name}: threw ${error?.name}: ${error?.message}`])),
  );
  for (const found of answers) failures.push(...found.map((failure) => `(all at once) ${failure}`));
  for (const c of bitnob.cases) {
    try {
      failures.push(...(await runBitnobCase(lib, c)));
    } catch (error) {
      failures.push(`${c.name}: threw ${error?.name}: ${error?.message}`);
    }
  }
  return { cases, bitnobCases: bitnob.cases.length, failures };
}
