// The workerd entry's types (workerd.d.ts): a Worker de-duplicating on a
// Durable Object, as the README shows it. Checked by tsc (api.test.mjs).
import { Webhook, DurableObjectStore, DeliveryClaims, StoreUnavailableError, type ClaimOutcome } from 'bullseye-webhooks-wasm/workerd-types';

interface Env {
  SECRET: string;
  CLAIMS: { idFromName(name: string): unknown; get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> } };
}

export { DeliveryClaims };

const handle = new Webhook('whsec_types').handler(async () => undefined, {
  dedupe: (env: Env) => new DurableObjectStore(env.CLAIMS, { timeout: 1 }),
  onStoreError: 'retry',
  onConflict: 'refuse',
  lease: 60,
});

export default {
  fetch: (request: Request, env: Env, ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<Response> => handle(request, env, ctx),
};

export async function outcome(env: Env): Promise<string> {
  const claimed: ClaimOutcome = await new DurableObjectStore(env.CLAIMS).claim('key', '', 60_000);
  const error: 'store_unavailable' = new StoreUnavailableError('down').code;
  return claimed.outcome === 'in_flight' ? `${claimed.retryAfter}${error}` : claimed.outcome;
}
