// Types of the workerd entry (workerd.js): the package's API (index.d.ts)
// and de-duplication on a Durable Object (durable.js). TypeScript picks them
// with `"customConditions": ["workerd"]` (moduleResolution "bundler").
export * from './index.js';
import type { ClaimOutcome, Completion, DeliveryStore } from './index.js';

/** The store could not be reached or did not answer in time (not a WebhookError). */
export class StoreUnavailableError extends Error {
  readonly name: 'StoreUnavailableError';
  readonly code: 'store_unavailable';
}

/** A Durable Object namespace (`env.CLAIMS`), as far as DurableObjectStore uses it. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): any;
  get(id: any): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * The Durable Object holding the claims, one object per delivery key:
 * export it from your Worker and bind it (`durable_objects` in wrangler).
 */
export class DeliveryClaims {
  constructor(ctx: { storage: any }, env?: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** De-duplication on a namespace bound to DeliveryClaims; each call bounded by `timeout` seconds (default 2). */
export class DurableObjectStore implements DeliveryStore {
  constructor(namespace: DurableObjectNamespaceLike, options?: { timeout?: number });
  /** Seconds. */
  readonly timeout: number;
  claim(key: string, bodyHash: string, leaseMs: number): Promise<ClaimOutcome>;
  complete(key: string, token: string, bodyHash: string, retentionMs: number): Promise<Completion>;
  release(key: string, token: string): Promise<boolean>;
}

declare module './index.js' {
  /**
   * In workerd, `handler` de-duplicates with `dedupe`: a store, or a function
   * of the request's `env` returning one (a Worker's bindings are known
   * per request). The answers are the Node package's (README).
   */
  interface FetchHandlerOptions {
    dedupe?: DeliveryStore | ((env: any) => DeliveryStore) | null | false;
    /** `'retry'` (default): 503 + Retry-After; `'process'`: handle without de-duplication. */
    onStoreError?: 'retry' | 'process';
    /** `'refuse'` (default): 409 delivery_conflict; `'process'`: handle another body under a key of its own. */
    onConflict?: 'refuse' | 'process';
    /** Seconds to wait for a copy in flight to finish before answering 409; default 0. */
    waitForInFlight?: number;
    /** Seconds a claim holds a delivery (default 60). */
    lease?: number;
    /** Seconds a handled delivery is remembered (default 86,400). */
    retention?: number;
  }
}
