// De-duplication types, type-checked with `tsc --noEmit --strict` against the
// real ioredis and node-redis client types (dev dependencies).
import express from 'express';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import {
  CachedStore,
  MemoryStore,
  RedisStore,
  StoreUnavailableError,
  Webhook,
  bodyHash,
  deliveryKeyOf,
  expressMiddleware,
  fastifyPlugin,
  type ClaimOutcome,
  type DeliveryStore,
} from 'bullseye-webhooks';

const webhook = new Webhook('whsec_example');
const memory = new MemoryStore({ capacity: 10_000 });
const viaIoredis = new RedisStore(new Redis('redis://127.0.0.1:6379'), { timeout: 1 });
const nodeRedis = createClient({ url: 'redis://127.0.0.1:6379' });
const viaNodeRedis = new RedisStore(nodeRedis, { prefix: 'myapp:webhooks:' });
const which: 'ioredis' | 'node-redis' = viaNodeRedis.client;

// @ts-expect-error a RedisStore needs a client, not a URL
new RedisStore('redis://127.0.0.1:6379');

const app = express();
app.post('/webhooks/bullseye', expressMiddleware(webhook, { dedupe: viaIoredis, onStoreError: 'retry', lease: 60, retention: 86_400 }), (req, res) => {
  const key: string = deliveryKeyOf(req.bullseyeEvent!);
  res.json({ key });
});
// @ts-expect-error onStoreError is 'retry' or 'process'
expressMiddleware(webhook, { dedupe: memory, onStoreError: 'ignore' });
expressMiddleware(webhook, { dedupe: new CachedStore(memory, { capacity: 1000 }), onConflict: 'process', waitForInFlight: 5 });
// @ts-expect-error onConflict is 'refuse' or 'process'
expressMiddleware(webhook, { dedupe: memory, onConflict: 'ignore' });
// A logger needs only warn (error and debug are used when present), as the README says.
expressMiddleware(webhook, { dedupe: memory, logger: { warn: (message: string) => console.warn(message), debug: console.debug } });
// @ts-expect-error a logger needs warn
expressMiddleware(webhook, { dedupe: memory, logger: { error: console.error } });

const fastify = Fastify();
fastify.register(async (scope) => {
  scope.register(fastifyPlugin, { webhook, dedupe: viaNodeRedis, onStoreError: 'process' });
  scope.post('/webhooks/bullseye', async (request) => ({ key: deliveryKeyOf(request.bullseyeEvent!) }));
});

export const POST: (request: Request) => Promise<Response> = webhook.handler(
  async (event) => {
    console.log(event.event_type, deliveryKeyOf(event));
    return Response.json({ ok: true });
  },
  { dedupe: memory },
);
export const visits = new Webhook('fp-token').handler((visit) => ({ id: visit.id }), { kind: 'visit' });

// Your own store.
class Custom implements DeliveryStore {
  async claim(key: string, hash: string, leaseMs: number): Promise<ClaimOutcome> {
    void key;
    void hash;
    void leaseMs;
    return { outcome: 'in_flight', retryAfter: 5 };
  }
  complete(): void {}
  release(): boolean {
    return false;
  }
}
expressMiddleware(webhook, { dedupe: new Custom() });

export async function check(): Promise<string> {
  try {
    const outcome = await viaIoredis.claim('k', bodyHash('{"event":"x"}'), 60_000);
    if (outcome.outcome === 'new') return outcome.token;
    if (outcome.outcome === 'in_flight') return String(outcome.retryAfter);
    if (outcome.outcome === 'conflict') return `${outcome.found} ${outcome.storedHash}`;
    return which;
  } catch (error) {
    if (error instanceof StoreUnavailableError) return error.code;
    throw error;
  }
}
