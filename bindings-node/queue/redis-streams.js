'use strict';
// The Redis Streams queue (RedisStreamQueue): the stream's layout and its
// Lua scripts are the Rust core's, so Python and Node receivers and workers
// share one stream.

const crypto = require('node:crypto');
const { describe } = require('../support.js');
const { queueLayout, QueueUnavailableError } = require('./common.js');


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

module.exports = { RedisStreamQueue };
