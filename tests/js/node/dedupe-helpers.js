'use strict';
// What the de-duplication tests share (dedupe-*.test.js): the Redis clients
// (closed after each file's tests), unique names, the body hashes, and the
// integrations on real servers of 127.0.0.1 whose route calls a handler that
// fails, throws, waits or succeeds as each delivery plans.
const test = require('node:test');
const crypto = require('node:crypto');
const http = require('node:http');
const { lib } = require('../impl.js');
const { requireDev, listen, post } = require('./http.js');
const { SECRET, hmac } = require('../fixtures.js');
const { RedisServer } = require('./redis-server.js');

const Redis = requireDev('ioredis');
const { createClient } = requireDev('redis');
const express = requireDev('express');
const Fastify = requireDev('fastify');
const { Webhook, MemoryStore, RedisStore, expressMiddleware, fastifyPlugin, deliveryKeyOf } = lib;

const webhook = new Webhook(SECRET);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Redis and its clients

const clients = [];
test.after(() => {
  for (const close of clients) close();
});

async function ioredisClient(url) {
  const client = new Redis(url, { maxRetriesPerRequest: 50, retryStrategy: () => 50 });
  client.on('error', () => {}); // reconnects on its own; the store reports the failures
  await client.ping();
  clients.push(() => client.disconnect());
  return client;
}

async function nodeRedisClient(url) {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  clients.push(() => client.destroy());
  return client;
}

const CLIENTS = { ioredis: ioredisClient, 'node-redis': nodeRedisClient };

/** A redis-server for the file's tests: started before them, stopped after; `redis.url`. */
function useRedis() {
  const redis = {
    server: null,
    get url() {
      return redis.server.url;
    },
  };
  test.before(async () => {
    redis.server = await RedisServer.start();
  });
  test.after(async () => {
    await redis.server?.stop();
  });
  return redis;
}

// ---------------------------------------------------------------------------
// Names and hashes

let unique = 0;
const nextId = () => ++unique;
const keyName = (label) => `test:${label}:${process.pid}:${nextId()}`;
const TOKEN = /^[0-9a-f]{32}$/;
/** A body hash: the hex SHA-256 of `{}`. */
const H = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const A = sha256('body a');
const B = sha256('body b');

// ---------------------------------------------------------------------------
// The integrations

/** The handler's calls per session_id, and what it does on each (a queue of plans). */
const calls = new Map();
const plans = new Map();

function delivery(plan = []) {
  const sessionId = `sess_${process.pid}_${++unique}`;
  const body = JSON.stringify({ event_type: 'visitor.identified', organization_id: 'org_dedupe', session_id: sessionId, visitor: { email: 'jane@acme.example' } });
  plans.set(sessionId, [...plan]);
  return { sessionId, body, headers: { 'content-type': 'application/json', 'x-bullseye-signature': hmac(SECRET, body) } };
}

/** The handler: counts the call, then fails (500), throws, waits for a promise, or succeeds, as planned. */
async function handle(event) {
  const sessionId = event.session_id;
  calls.set(sessionId, (calls.get(sessionId) ?? 0) + 1);
  const plan = plans.get(sessionId)?.shift();
  if (plan === 'fail') return 500;
  if (plan === 'throw') throw new Error('the handler failed');
  if (plan && typeof plan.then === 'function') await plan;
  return 200;
}

const processed = (status) => ({ processed: true, status });

/** A logger that keeps what it is told. */
function recorder() {
  const lines = [];
  const keep = (level) => (...args) => lines.push([level, args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')]);
  return { lines, warn: keep('warn'), error: keep('error'), info: keep('info'), debug: keep('debug'), trace: keep('trace'), fatal: keep('fatal'), child: () => null };
}

/** POST a delivery; the answer's status, headers, text and JSON. */
function send(url, d) {
  return post(url, d.body, d.headers);
}

/** Each integration on a real server of 127.0.0.1, its route calling handle(); resolves to { url, close }. */
const INTEGRATIONS = {
  async express(options) {
    const app = express();
    app.set('env', 'test'); // no stack traces on stderr for the planned throws
    app.post('/hook', expressMiddleware(webhook, options), async (req, res) => {
      const status = await handle(req.bullseyeEvent);
      res.status(status).json({ ...processed(status), key: deliveryKeyOf(req.bullseyeEvent) });
    });
    const server = http.createServer(app);
    const base = await listen(server);
    return { url: `${base}/hook`, close: () => server.close() };
  },
  async fastify(options) {
    const app = Fastify();
    app.register(async (scope) => {
      scope.register(fastifyPlugin, { webhook, ...options });
      scope.post('/hook', async (request, reply) => {
        const status = await handle(request.bullseyeEvent);
        reply.code(status);
        return { ...processed(status), key: deliveryKeyOf(request.bullseyeEvent) };
      });
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `${base}/hook`, close: () => app.close() };
  },
  async fetch(options) {
    const handler = webhook.handler(async (event) => {
      const status = await handle(event);
      return Response.json({ ...processed(status), key: deliveryKeyOf(event) }, { status });
    }, options);
    // The Fetch handler behind a real node:http server: Request in, Response out.
    const server = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      let response;
      try {
        response = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) }));
      } catch {
        response = Response.json({ error: 'the handler threw' }, { status: 500 });
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    const base = await listen(server);
    return { url: `${base}/hook`, close: () => server.close() };
  },
};

async function serve(t, integration, options) {
  const served = await INTEGRATIONS[integration](options);
  t.after(() => served.close());
  return served.url;
}

/**
 * Send `d` until an answer other than 409, at most 40 times: the claim is
 * settled just after the response (as a sender retrying on 409 sees it).
 */
async function sendSettled(url, d) {
  for (let i = 0; i < 40; i++) {
    const answer = await send(url, d);
    if (answer.status !== 409) return answer;
    await sleep(25);
  }
  throw new Error('still in flight after 40 tries');
}


/** The stores the integrations are run with, on `redis` (of useRedis). */
function storesOn(redis) {
  return {
    memory: async () => new MemoryStore(),
    'redis (ioredis)': async () => new RedisStore(await ioredisClient(redis.url), { prefix: `o-${nextId()}:` }),
    'redis (node-redis)': async () => new RedisStore(await nodeRedisClient(redis.url), { prefix: `o-${nextId()}:` }),
  };
}

/**
 * A store over a MemoryStore (`memory`) that counts its calls (`claims`,
 * `completes`), and whose first `failingCompletes` completes since the count
 * was last set to 0 throw, as a store that is down.
 */
function countingStore(failingCompletes = 0) {
  const { MemoryStore } = lib;
  const memory = new MemoryStore();
  const store = {
    memory,
    claims: 0,
    completes: 0,
    claim: (...args) => (store.claims++, memory.claim(...args)),
    complete(...args) {
      store.completes += 1;
      if (store.completes <= failingCompletes) throw new Error('connection refused');
      return memory.complete(...args);
    },
    release: (...args) => memory.release(...args),
  };
  return store;
}

/** `d`'s delivery (same session, so the same key) with another body. */
function otherBody(d) {
  const body = d.body.replace('jane@acme.example', 'john@acme.example');
  return { ...d, body, headers: { ...d.headers, 'x-bullseye-signature': hmac(SECRET, body) } };
}

module.exports = {
  A,
  B,
  CLIENTS,
  H,
  INTEGRATIONS,
  TOKEN,
  calls,
  countingStore,
  delivery,
  ioredisClient,
  keyName,
  nextId,
  otherBody,
  recorder,
  send,
  sendSettled,
  serve,
  sha256,
  sleep,
  storesOn,
  useRedis,
  webhook,
};
