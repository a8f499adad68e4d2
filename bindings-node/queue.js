'use strict';
// Hand deliveries to a queue (Node only; needs the napi addon): the
// envelope (makeEnvelope, openEnvelope, Envelope) and the Redis Streams
// hand-off (RedisStreamQueue, QueueReceiver, QueueWorker). The envelope's
// form, the stream's layout, its Lua scripts and the retry delays are the
// Rust core's, so Python and Node receivers and workers share one stream;
// the delivery is verified by this package's verifiers (the core's rules),
// with any tolerance counted from when it was received.

const crypto = require('node:crypto');
const os = require('node:os');
const backend = require('./backend.js');
const { WebhookError, deliveryKeyOf } = require('./webhooks.js');
const { BitnobWebhook } = require('./bitnob.js');
const { StoreUnavailableError, bodyHash } = require('./integrations/stores.js');

/** One warning for a key seen with another body: both hashes, never a body. */
function logConflict(logger, key, hash, claim, then) {
  logger.warn(
    `bullseye-webhooks: delivery_conflict: delivery ${key} came with body hash ${hash}, ` +
      `but the store holds ${claim.storedHash} (${claim.found}) for it; ${then}`,
  );
}
const { describe } = require('./support.js');

function addon() {
  if (backend.native === null) {
    throw new Error('bullseye-webhooks: the queue hand-off needs the native addon, which did not load on this platform');
  }
  return backend.native;
}

/** The core's defaults and scripts (read once, on first use). */
let layout;
function queueLayout() {
  layout ??= addon().queueLayout();
  return layout;
}

/**
 * An envelope that cannot be read or does not fit the verifier opening it
 * (`code` 'invalid_envelope'). Not a WebhookError: the queue produced it,
 * and trying again cannot help. Its message never holds the body.
 */
class InvalidEnvelopeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidEnvelopeError';
    this.code = 'invalid_envelope';
  }
}

/**
 * The queue (Redis) could not be reached or did not answer in time.
 * `maybeSent`: false only when the command surely never reached Redis (the
 * connection was refused); after a timeout or a connection lost mid-command
 * it may have been carried out.
 */
class QueueUnavailableError extends Error {
  constructor(message, options) {
    super(`queue_unavailable: ${message}`, options);
    this.name = 'QueueUnavailableError';
    this.code = 'queue_unavailable';
    this.maybeSent = options?.maybeSent ?? true;
  }
}

function envelopeFailure(error) {
  if (error && error.code === 'invalid_envelope') return new InvalidEnvelopeError(error.message);
  return error;
}

/** Headers (a plain object, a Headers, or [name, value] pairs) as `[name, value, ...]`. */
function flatHeaders(headers) {
  if (headers === undefined || headers === null) return [];
  const entries =
    typeof headers.entries === 'function' && !Array.isArray(headers) ? Array.from(headers.entries()) : Array.isArray(headers) ? headers : Object.entries(headers);
  const flat = [];
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    flat.push(String(name), Array.isArray(value) ? value.join(', ') : String(value));
  }
  return flat;
}

/**
 * A verified delivery as a queue carries it: `scheme` ('bullseye_event',
 * 'visit' or 'bitnob'), `key`, `receivedAtMs`, `headers` (the scheme's, lower
 * case), `body` (a Buffer, exactly as received). `toJson()` is the one form
 * every language writes; `Envelope.fromJson(text)` reads it back.
 */
class Envelope {
  #json;

  constructor(json) {
    const wire = JSON.parse(json);
    this.#json = json;
    this.scheme = wire.scheme;
    this.key = wire.key;
    this.receivedAtMs = wire.received_at_ms;
    this.headers = Object.freeze(wire.headers);
    this.body = Buffer.from(wire.body, 'utf8');
    Object.freeze(this);
  }

  /** Read an envelope's JSON (a string or bytes), refusing one longer than an envelope of a `maxBodyBytes` body can be. */
  static fromJson(data, options) {
    const maxBodyBytes = options?.maxBodyBytes ?? backend.constants.DEFAULT_MAX_BODY_BYTES;
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`an envelope's JSON must be a string or bytes, got ${describe(data)}`);
    }
    try {
      return new Envelope(addon().envelopeRead(data, maxBodyBytes));
    } catch (error) {
      throw envelopeFailure(error);
    }
  }

  /** The one JSON form (the same envelope always gives the same text). */
  toJson() {
    return this.#json;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    // Never the body (personal data) nor a header's value.
    return `Envelope { scheme: '${this.scheme}', key: ${JSON.stringify(this.key)}, receivedAtMs: ${this.receivedAtMs}, bodyBytes: ${this.body.length} }`;
  }
}

function isBitnob(verifier) {
  return verifier instanceof BitnobWebhook;
}

function receivedAtOf(value) {
  if (value === undefined || value === null) return Date.now();
  const ms = value instanceof Date ? value.getTime() : value;
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
    throw new TypeError(`receivedAt must be a Date or milliseconds since the epoch, got ${describe(value)}`);
  }
  return Math.round(ms);
}

/** The verified delivery of `body` under `scheme` (the package's verifier; a tolerance measured from `nowMs`). */
function verified(verifier, scheme, body, headers, nowMs) {
  if (scheme === 'visit') return verifier.constructVisit(body, headers);
  return verifier.constructEvent(body, headers, { now: nowMs });
}

/**
 * Verify a delivery with `verifier` (a Webhook or a BitnobWebhook) and make
 * its envelope. Options: `scheme` ('visit' for a Webhook's visits; otherwise
 * the verifier's own), `receivedAt` (a Date or milliseconds; default now:
 * any tolerance counts from it). Throws the delivery's WebhookError.
 */
function makeEnvelope(verifier, body, headers, options) {
  const scheme = schemeFor(verifier, options?.scheme);
  const receivedAtMs = receivedAtOf(options?.receivedAt);
  const delivery = verified(verifier, scheme, body, headers, receivedAtMs);
  try {
    return new Envelope(addon().envelopeFromVerified(scheme, deliveryKeyOf(delivery), receivedAtMs, flatHeaders(headers), body));
  } catch (error) {
    throw envelopeFailure(error);
  }
}

function schemeFor(verifier, scheme) {
  if (isBitnob(verifier)) {
    if (scheme !== undefined && scheme !== 'bitnob') throw new TypeError('a BitnobWebhook makes bitnob envelopes');
    return 'bitnob';
  }
  if (verifier === null || typeof verifier !== 'object' || typeof verifier.constructEvent !== 'function') {
    throw new TypeError(`verifier must be a Webhook or a BitnobWebhook, got ${describe(verifier)}`);
  }
  if (scheme === undefined || scheme === 'bullseye_event' || scheme === 'visit') return scheme ?? 'bullseye_event';
  throw new TypeError(`a Webhook makes bullseye_event or visit envelopes, not ${describe(scheme)}`);
}

/**
 * Verify an envelope's delivery again with `verifier`, any tolerance
 * counted from its received-at time, and check that its key is the
 * delivery's: the event (a visit for a 'visit' envelope). `envelope` is an
 * Envelope or its JSON. Throws InvalidEnvelopeError or the WebhookError.
 */
function openEnvelope(verifier, envelope) {
  const read = envelope instanceof Envelope ? envelope : Envelope.fromJson(envelope, { maxBodyBytes: verifier?.maxBodyBytes });
  // The scheme this verifier opens it as; the core refuses a mismatch.
  const scheme = isBitnob(verifier) ? 'bitnob' : read.scheme === 'visit' ? 'visit' : 'bullseye_event';
  if (scheme === read.scheme) {
    const delivery = verified(verifier, scheme, read.body, read.headers, read.receivedAtMs);
    checkOpened(read, scheme, deliveryKeyOf(delivery));
    return delivery;
  }
  checkOpened(read, scheme, read.key);
  throw new InvalidEnvelopeError('invalid_envelope: the envelope does not fit this verifier');
}

function checkOpened(envelope, scheme, key) {
  try {
    addon().envelopeCheckOpened(envelope.toJson(), scheme, key);
  } catch (error) {
    throw envelopeFailure(error);
  }
}

// ---------------------------------------------------------------------------
// Redis Streams

/** How to send one raw command with the user's client: ioredis or node-redis (v4+, connected). */
function commandRunner(client) {
  if (client !== null && typeof client === 'object') {
    if (typeof client.call === 'function' && typeof client.defineCommand === 'function') return (args) => client.call(...args);
    if (typeof client.sendCommand === 'function') return (args) => client.sendCommand(args);
  }
  throw new TypeError(`RedisStreamQueue takes an ioredis client or a connected node-redis client, got ${describe(client)}`);
}

function text(value) {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** `[f1, v1, f2, v2]` as an object of strings. */
function fieldsOf(list) {
  const out = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[text(list[i])] = text(list[i + 1]);
  return out;
}

function messagesOf(entries) {
  const out = [];
  for (const entry of entries ?? []) {
    if (!Array.isArray(entry) || !Array.isArray(entry[1])) continue; // deleted while pending
    const fields = fieldsOf(entry[1]);
    const attempt = Number.parseInt(fields.attempt ?? '1', 10);
    out.push({ id: text(entry[0]), envelope: fields.envelope ?? '', token: fields.token ?? '', attempt: Number.isSafeInteger(attempt) ? attempt : 1, deliveries: 1 });
  }
  return out;
}

/**
 * The entries of each stream in an XREADGROUP reply, whichever shape the
 * client gives it: `[[stream, entries], ...]` (RESP2), a map of stream to
 * entries (RESP3: a Map, an object, or ioredis's flat `[stream, entries, ...]`).
 */
function entriesOf(reply) {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return Array.from(reply.values());
  if (!Array.isArray(reply)) return Object.values(reply);
  if (reply.length > 0 && !Array.isArray(reply[0])) return reply.filter((_, i) => i % 2 === 1);
  return reply.map((stream) => stream[1]);
}

/**
 * A Redis stream and consumer group, through an ioredis or node-redis
 * client. A worker's reads block it while they wait (`block`), so give each
 * worker a client of its own. Options: `stream` (default
 * `bullseye-webhooks:{queue}`; its retry set is `stream + ':retry'`, its
 * dead letters `stream + ':dead'`), `group`, `timeout` (seconds per call,
 * default 5).
 */
class RedisStreamQueue {
  #run;
  #timeoutMs;
  #groupReady = false;
  #scripts;

  constructor(client, options) {
    const { stream = queueLayout().stream, group = queueLayout().group, timeout = 5 } = options ?? {};
    this.#run = commandRunner(client);
    this.stream = String(stream);
    this.group = String(group);
    this.retrySet = this.stream + queueLayout().retrySuffix;
    this.deadLetters = this.stream + queueLayout().deadSuffix;
    if (!(typeof timeout === 'number' && timeout > 0)) throw new TypeError(`timeout must be a positive number of seconds, got ${describe(timeout)}`);
    this.#timeoutMs = Math.round(timeout * 1000);
    const { failScript, promoteScript, ackScript } = queueLayout();
    this.#scripts = Object.fromEntries(
      Object.entries({ fail: failScript, promote: promoteScript, ack: ackScript }).map(([name, source]) => [
        name,
        { source, sha: crypto.createHash('sha1').update(source).digest('hex') },
      ]),
    );
  }

  /** One command, within the time limit (`extraMs` more for a blocking read). */
  async #call(args, extraMs = 0) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`Redis ${args[0]} did not answer within ${this.#timeoutMs + extraMs} ms`)), this.#timeoutMs + extraMs);
    });
    try {
      return await Promise.race([this.#run(args.map(String)), timeout]);
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      // Refused, or ioredis without its offline queue: never written.
      const refused = error?.code === 'ECONNREFUSED' || /ECONNREFUSED|enableOfflineQueue/.test(error?.message ?? '');
      throw new QueueUnavailableError(`Redis ${args[0]}: ${error?.message ?? error}`, { cause: error, maybeSent: !refused });
    } finally {
      clearTimeout(timer);
    }
  }

  async #script(name, keys, args) {
    const { source, sha } = this.#scripts[name];
    try {
      return await this.#call(['EVALSHA', sha, keys.length, ...keys, ...args]);
    } catch (error) {
      if (!/NOSCRIPT/.test(error.message)) throw error;
      return this.#call(['EVAL', source, keys.length, ...keys, ...args]);
    }
  }

  /** Create the consumer group (and the stream) unless it exists. */
  async ensureGroup() {
    try {
      await this.#call(['XGROUP', 'CREATE', this.stream, this.group, '0', 'MKSTREAM']);
    } catch (error) {
      if (!/BUSYGROUP/.test(error.message)) throw error;
    }
    this.#groupReady = true;
  }

  /** `run()`, the group created first, and again if Redis lost it (a restart without persistence). */
  async #withGroup(run) {
    if (!this.#groupReady) await this.ensureGroup();
    try {
      return await run();
    } catch (error) {
      if (!/NOGROUP/.test(error.message)) throw error;
      await this.ensureGroup();
      return run();
    }
  }

  /** Add an envelope (and its claim's token) as attempt 1: the message id. */
  async enqueue(envelope, token) {
    return text(await this.#call(['XADD', this.stream, '*', 'envelope', envelope.toJson(), 'token', token, 'attempt', '1']));
  }

  /** New messages for `consumer`, waiting up to `blockMs`. */
  async read(consumer, count, blockMs) {
    const reply = await this.#withGroup(() =>
      this.#call(['XREADGROUP', 'GROUP', this.group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.stream, '>'], blockMs),
    );
    return entriesOf(reply).flatMap(messagesOf);
  }

  /** Messages other consumers have held for `idleMs` or more, now `consumer`'s (XAUTOCLAIM), with how often each was delivered. */
  async reclaim(consumer, idleMs, count) {
    const reply = await this.#withGroup(() => this.#call(['XAUTOCLAIM', this.stream, this.group, consumer, idleMs, '0-0', 'COUNT', count]));
    const messages = messagesOf(reply?.[1]);
    for (const message of messages) {
      const pending = await this.#call(['XPENDING', this.stream, this.group, message.id, message.id, 1]);
      if (Array.isArray(pending) && pending[0]) message.deliveries = Number(pending[0][3]);
    }
    return messages;
  }

  /** Move the due retries back onto the stream: how many. */
  async promote(count = 100) {
    return Number(await this.#script('promote', [this.stream, this.retrySet], [count]));
  }

  /** Acknowledge and delete a settled message; false when another worker already did. */
  async ack(message) {
    return Number(await this.#script('ack', [this.stream], [this.group, message.id])) === 1;
  }

  /** Schedule the message again after `delayMs`, or (at `maxAttempts`; 0: now) dead-letter it: 'retry', 'dead' or 'gone'. */
  async fail(message, reason, { maxAttempts, delayMs }) {
    const reply = await this.#script(
      'fail',
      [this.stream, this.retrySet, this.deadLetters],
      [this.group, message.id, message.envelope, message.token, message.attempt, maxAttempts, delayMs, reason],
    );
    return { 1: 'retry', 2: 'dead' }[Number(reply)] ?? 'gone';
  }

  /** The oldest dead letters (their fields), for inspection. */
  async dead(count = 100) {
    const entries = await this.#call(['XRANGE', this.deadLetters, '-', '+', 'COUNT', count]);
    return (entries ?? []).map((entry) => ({ id: text(entry[0]), ...fieldsOf(entry[1]) }));
  }
}

function positiveMs(value, name) {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`${name} must be a positive number of seconds, got ${describe(value)}`);
  }
  return Math.max(1, Math.round(value * 1000));
}

function isStore(value) {
  return value !== null && typeof value === 'object' && ['claim', 'complete', 'release'].every((name) => typeof value[name] === 'function');
}

/**
 * The receiving half: `receive(body, headers)` verifies the delivery,
 * claims its key in `dedupe` (MemoryStore, RedisStore, or any store) for
 * `lease` seconds (default 600, longer than a message waits and is
 * retried), adds its envelope to `queue`, and resolves to
 * `{ status: 202, body: { queued: true }, headers: {} }` without running any
 * handler. Otherwise: 200 `{ duplicate: true }`, 409 `delivery_in_flight`
 * with Retry-After, 409 `delivery_conflict` (the key seen with another
 * body: logged with both hashes), 503 `store_unavailable` or
 * `queue_unavailable` (the claim released) with Retry-After, or the refusal
 * of verification. Options: `scheme` ('visit' for visits), `lease`,
 * `retryAfter` (seconds, 30), `logger` (default console).
 */
class QueueReceiver {
  constructor(verifier, queue, dedupe, options) {
    if (!isStore(dedupe)) throw new TypeError(`dedupe must be a store (claim, complete, release), got ${describe(dedupe)}`);
    const { scheme, lease = queueLayout().leaseMs / 1000, retryAfter = 30, logger = console } = options ?? {};
    this.logger = logger;
    this.verifier = verifier;
    this.queue = queue;
    this.dedupe = dedupe;
    this.scheme = schemeFor(verifier, scheme);
    this.leaseMs = positiveMs(lease, 'lease');
    this.retryAfter = String(Math.max(1, Math.round(positiveMs(retryAfter, 'retryAfter') / 1000)));
  }

  async receive(body, headers) {
    let envelope;
    try {
      envelope = makeEnvelope(this.verifier, body, headers, { scheme: this.scheme });
    } catch (error) {
      if (error instanceof WebhookError) return { status: error.status, body: { error: error.code }, headers: {} };
      throw error;
    }
    const hash = bodyHash(envelope.body);
    let claim;
    try {
      claim = await this.dedupe.claim(envelope.key, hash, this.leaseMs);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError || error?.code === 'store_unavailable')) throw error;
      return { status: 503, body: { error: 'store_unavailable' }, headers: { 'Retry-After': this.retryAfter } };
    }
    if (claim.outcome === 'duplicate') return { status: 200, body: { duplicate: true }, headers: {} };
    if (claim.outcome === 'conflict') {
      logConflict(this.logger, envelope.key, hash, claim, 'answered 409 delivery_conflict');
      return { status: 409, body: { error: 'delivery_conflict' }, headers: {} };
    }
    if (claim.outcome === 'in_flight') {
      return { status: 409, body: { error: 'delivery_in_flight' }, headers: { 'Retry-After': String(claim.retryAfter ?? 1) } };
    }
    try {
      await this.queue.enqueue(envelope, claim.token);
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      // A message that may be in the queue keeps its claim: releasing it
      // would let a copy be queued (and handled) a second time. The claim
      // then ends when a worker marks the key done, or with its lease.
      if (!error.maybeSent) this.#release(envelope.key, claim.token);
      return { status: 503, body: { error: 'queue_unavailable' }, headers: { 'Retry-After': this.retryAfter } };
    }
    return { status: 202, body: { queued: true }, headers: {} };
  }

  /**
   * Release the claim of a delivery that was not queued, in the background:
   * when the store fails too (one Redis down for both), tried again 50 ms
   * doubling to 1 s until the lease would end anyway (else every copy would
   * get 409 for the whole lease).
   */
  #release(key, token) {
    const deadline = Date.now() + this.leaseMs;
    const attempt = (delay) => {
      Promise.resolve()
        .then(() => this.dedupe.release(key, token))
        .catch(() => {
          if (Date.now() + delay >= deadline) return;
          setTimeout(() => attempt(Math.min(delay * 2, 1000)), delay).unref();
        });
    };
    attempt(50);
  }
}

/**
 * The processing half: reads `queue` as `consumer` (default host-pid), and
 * for each message opens its envelope with `verifier` (verified again;
 * tolerance from received-at), checks the claim in `dedupe` (a delivery
 * already done is acknowledged without running the handler), awaits
 * `handler(event)`, completes the claim and acknowledges the message. A
 * handler that throws is tried again after `retryDelay` seconds, doubling up
 * to `maxRetryDelay`; after `maxAttempts` the message goes to the dead
 * letters with the error as its reason, and its claim is released. An
 * envelope that cannot be opened is dead-lettered at once. A message
 * another worker has held for `claimIdle` seconds is taken over (keep it
 * longer than the slowest handler). Options also: `lease`, `retention`
 * (seconds), `block` (seconds a read waits), `batch`, `logger`.
 */
class QueueWorker {
  constructor(verifier, queue, dedupe, handler, options) {
    if (!isStore(dedupe)) throw new TypeError(`dedupe must be a store (claim, complete, release), got ${describe(dedupe)}`);
    if (typeof handler !== 'function') throw new TypeError(`handler must be a function, got ${describe(handler)}`);
    const L = queueLayout();
    const {
      consumer = `${os.hostname()}-${process.pid}`,
      maxAttempts = L.maxAttempts,
      retryDelay = L.retryDelayMs / 1000,
      maxRetryDelay = L.maxRetryDelayMs / 1000,
      claimIdle = L.claimIdleMs / 1000,
      lease = L.leaseMs / 1000,
      retention = 24 * 60 * 60,
      block = 1,
      batch = 10,
      logger = console,
    } = options ?? {};
    if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) throw new TypeError(`maxAttempts must be a positive integer, got ${describe(maxAttempts)}`);
    Object.assign(this, { verifier, queue, dedupe, handler, consumer: String(consumer), maxAttempts, batch, logger });
    this.retryDelayMs = positiveMs(retryDelay, 'retryDelay');
    this.maxRetryDelayMs = positiveMs(maxRetryDelay, 'maxRetryDelay');
    this.claimIdleMs = positiveMs(claimIdle, 'claimIdle');
    this.leaseMs = positiveMs(lease, 'lease');
    this.retentionMs = positiveMs(retention, 'retention');
    this.blockMs = positiveMs(block, 'block');
    this.counts = { handled: 0, duplicates: 0, retried: 0, dead: 0, reclaimed: 0 };
    this.runner = new DeliveryRunner(verifier, dedupe, handler, {
      leaseMs: this.leaseMs,
      retentionMs: this.retentionMs,
      runLeaseMs: this.claimIdleMs,
      logger,
    });
  }

  /** Process messages until `signal` (an AbortSignal) aborts; a queue that fails is tried again each second. */
  async run(signal) {
    while (!signal?.aborted) {
      try {
        await this.runOnce();
      } catch (error) {
        if (!(error instanceof QueueUnavailableError)) throw error;
        this.logger.warn(`bullseye-webhooks: the queue failed (${error.message}); trying again in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** One round: due retries back, idle messages taken over, new ones read; each processed. Resolves to how many. */
  async runOnce() {
    await this.queue.promote();
    let messages = await this.queue.reclaim(this.consumer, this.claimIdleMs, this.batch);
    this.counts.reclaimed += messages.length;
    if (messages.length === 0) messages = await this.queue.read(this.consumer, this.batch, this.blockMs);
    for (const message of messages) await this.process(message);
    return messages.length;
  }

  /** Process one message: 'handled', 'duplicate', 'retry', 'dead' or 'gone'. */
  async process(message) {
    if (message.deliveries > this.maxAttempts) {
      return this.#dead(message, `lost by workers ${message.deliveries} times (crashed or too slow)`, null, null);
    }
    const outcome = await this.runner.run(message.envelope, message.token);
    if (outcome.kind === 'invalid') return this.#dead(message, outcome.reason, outcome.key, outcome.token);
    if (outcome.kind === 'failed') return this.#retry(message, outcome.reason, outcome.key, outcome.token);
    await this.queue.ack(message);
    if (outcome.kind === 'duplicate') this.counts.duplicates += 1;
    else this.counts.handled += 1;
    return outcome.kind;
  }

  async #retry(message, reason, key, token) {
    const delayMs = addon().retryDelayMs(message.attempt, this.retryDelayMs, this.maxRetryDelayMs);
    const outcome = await this.queue.fail(message, reason, { maxAttempts: this.maxAttempts, delayMs });
    if (outcome === 'retry') {
      this.counts.retried += 1;
      this.logger.warn(`bullseye-webhooks: delivery ${key} failed on attempt ${message.attempt} of ${this.maxAttempts} (${reason}); trying again in ${delayMs} ms`);
    } else if (outcome === 'dead') {
      await this.#deadLettered(message, reason, key, token);
    }
    return outcome;
  }

  async #dead(message, reason, key, token) {
    const outcome = await this.queue.fail(message, reason, { maxAttempts: 0, delayMs: 0 });
    if (outcome === 'dead') await this.#deadLettered(message, reason, key, token);
    return outcome;
  }

  async #deadLettered(message, reason, key, token) {
    this.counts.dead += 1;
    this.logger.error(`bullseye-webhooks: delivery ${key} moved to the dead letters after attempt ${message.attempt}: ${reason}`);
    await this.runner.release(key, token);
  }
}

/**
 * What every worker does with one envelope, whatever carries it (the Redis
 * stream, BullMQ): open it with `verifier` (verified again, tolerance from
 * received-at), check the claim in `dedupe` (done before: nothing runs; the
 * receiver's lease ended: a new claim), await `handler(event)`, and mark the
 * key done (tried for a few seconds). `run` resolves to `{ kind, key, token,
 * reason }`: 'handled', 'duplicate', 'failed' (try again) or 'invalid'
 * (never try again).
 */
class DeliveryRunner {
  constructor(verifier, dedupe, handler, { leaseMs, retentionMs, runLeaseMs = queueLayout().claimIdleMs, logger = console }) {
    Object.assign(this, { verifier, dedupe, handler, leaseMs, retentionMs, runLeaseMs, logger });
  }

  async run(envelopeJson, token) {
    let envelope;
    let delivery;
    try {
      envelope = Envelope.fromJson(envelopeJson, { maxBodyBytes: this.verifier.maxBodyBytes });
      delivery = openEnvelope(this.verifier, envelope);
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError || error instanceof WebhookError)) throw error;
      return { kind: 'invalid', key: envelope?.key ?? null, token, reason: `${error.code}: ${error.message}` };
    }
    const { key } = envelope;
    const hash = bodyHash(envelope.body);
    let claim;
    try {
      claim = await this.dedupe.claim(key, hash, this.leaseMs);
    } catch (error) {
      if (error?.code !== 'store_unavailable') throw error;
      return { kind: 'failed', key, token, reason: `store_unavailable: ${error.message}` };
    }
    if (claim.outcome === 'conflict') {
      // Another body holds the key: kept in the dead letters with both
      // hashes, never run and never dropped.
      logConflict(this.logger, key, hash, claim, 'moved to the dead letters');
      return { kind: 'invalid', key, token: null, reason: `delivery_conflict: body ${hash}, the store holds ${claim.storedHash} (${claim.found})` };
    }
    // Done before (a worker died between its done mark and its ack).
    if (claim.outcome === 'duplicate') return { kind: 'duplicate', key, token, reason: '' };
    if (claim.outcome === 'new') token = claim.token; // the receiver's lease had ended
    // One worker at a time per delivery: a message queued twice (a client
    // that resent an XADD) or taken over from a worker still running waits
    // for the other's done mark instead of running beside it.
    const runKey = queueLayout().runKeyPrefix + key;
    let run;
    try {
      run = await this.dedupe.claim(runKey, hash, this.runLeaseMs);
    } catch (error) {
      if (error?.code !== 'store_unavailable') throw error;
      return { kind: 'failed', key, token, reason: `store_unavailable: ${error.message}` };
    }
    if (run.outcome !== 'new') return { kind: 'failed', key, token, reason: 'another worker is handling this delivery now' };
    try {
      try {
        await this.handler(delivery);
      } catch (error) {
        return { kind: 'failed', key, token, reason: `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}` };
      }
      await this.#complete(key, token, hash);
      return { kind: 'handled', key, token, reason: '' };
    } finally {
      await Promise.resolve()
        .then(() => this.dedupe.release(runKey, run.token))
        .catch(() => {}); // it ends with its lease
    }
  }

  /** The done mark, tried for a few seconds: the handler ran, so the message is acknowledged either way. */
  async #complete(key, token, hash) {
    let delay = 50;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.dedupe.complete(key, token, hash, this.retentionMs);
        return;
      } catch (error) {
        if (attempt === 8) {
          this.logger.error(`bullseye-webhooks: could not mark delivery ${key} done (${error.message}): a copy after its lease may run again`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /** Release a dead-lettered delivery's claim: a retry of the sender (or a replay) may take it. */
  async release(key, token) {
    if (key === null || key === undefined || !token) return;
    await Promise.resolve(this.dedupe.release(key, token)).catch((error) => {
      this.logger.error(`bullseye-webhooks: could not release delivery ${key} (${error.message})`);
    });
  }
}

module.exports = {
  DeliveryRunner,
  Envelope,
  InvalidEnvelopeError,
  QueueUnavailableError,
  RedisStreamQueue,
  QueueReceiver,
  QueueWorker,
  makeEnvelope,
  openEnvelope,
  positiveMs,
  queueLayout,
};
