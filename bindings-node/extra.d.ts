// Types of the `bullseye-webhooks` package: its own declarations (the
// framework integrations, the Fetch handler, the de-duplication stores),
// then, from js/webhooks.d.ts, the API it shares with bullseye-webhooks-wasm.
// The native layer's generated types are in native/index.d.ts.

/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http';

// ---------------------------------------------------------------------------
// Fetch API handlers (merged into the shared classes)

/**
 * Which build of the core runs: `'native'`, the napi addon, or `'wasm'`, the
 * WebAssembly build this package falls back to where no addon loads (same
 * API and answers; MemoryStore and RedisStore need the addon).
 */
export const implementation: 'native' | 'wasm';

export interface Webhook {
  /**
   * A Fetch API handler `(request) => Promise<Response>` (Next.js route
   * handlers, Hono, Bun, Deno): verifies the request, calls `fn(event,
   * request)` and answers what it returns (a Response as is, undefined as
   * 204, anything else as JSON). Refusals: `{"error": code}` with the
   * contract's status. With `dedupe`: see {@link DedupeOptions}. A throw in
   * `fn` releases the claim and is rethrown.
   */
  handler(fn: (visit: Visit, request: Request) => unknown, options: HandlerOptions & { kind: 'visit' }): (request: Request) => Promise<Response>;
  handler(fn: (event: BullseyeEvent, request: Request) => unknown, options?: HandlerOptions & { kind?: 'event' }): (request: Request) => Promise<Response>;
}

export interface BitnobWebhook {
  /** A Fetch API handler, as `Webhook#handler`. */
  handler(fn: (event: BitnobEvent, request: Request) => unknown, options?: HandlerOptions & { kind?: 'event' }): (request: Request) => Promise<Response>;
}

// ---------------------------------------------------------------------------
// De-duplication

/**
 * The hash kept with each claim and done mark: the hex SHA-256 of the raw
 * body (computed by the core). Needs the native addon.
 */
export function bodyHash(body: string | Uint8Array): string;

/** The store could not be reached or did not answer in time (not a WebhookError). */
export class StoreUnavailableError extends Error {
  readonly name: 'StoreUnavailableError';
  readonly code: 'store_unavailable';
}

/** De-duplication in this process's memory (the core's store): right for one process. */
export class MemoryStore implements DeliveryStore {
  /** `capacity`: the most keys it holds (default 100,000); it never drops a claim in flight. */
  constructor(options?: { capacity?: number });
  readonly capacity: number;
  readonly size: number;
  claim(key: string, bodyHash: string, leaseMs: number): ClaimOutcome;
  complete(key: string, token: string, bodyHash: string, retentionMs: number): Completion;
  release(key: string, token: string): boolean;
}

/**
 * `store` with a small in-process cache of the keys this process completed
 * in front: their copies are answered without a round trip (duplicate, or
 * conflict for another body). `capacity`: default 10,000 keys.
 */
export class CachedStore implements DeliveryStore {
  constructor(store: DeliveryStore, options?: { capacity?: number });
  readonly store: DeliveryStore;
  readonly size: number;
  claim(key: string, bodyHash: string, leaseMs: number): ClaimOutcome | Promise<ClaimOutcome>;
  complete(key: string, token: string, bodyHash: string, retentionMs: number): Promise<unknown>;
  release(key: string, token: string): boolean | Promise<boolean>;
}

/** An ioredis client (Redis or Cluster), as far as RedisStore uses it. */
export interface IoredisClientLike {
  call(...args: any[]): Promise<unknown>;
  defineCommand(...args: any[]): unknown;
}

/** A node-redis client (v4 and later), as far as RedisStore uses it. */
export interface NodeRedisClientLike {
  sendCommand(args: any, ...rest: any[]): Promise<unknown>;
  evalSha(...args: any[]): unknown;
}

export interface RedisStoreOptions {
  /** Prepended to every key; default `bullseye-webhooks:delivery:`. */
  prefix?: string;
  /** Each call's time limit, in seconds; default 2. */
  timeout?: number;
}

/**
 * De-duplication on Redis, shared by a fleet, through your own client
 * (ioredis, or a connected node-redis client): each call runs one of the
 * core's Lua scripts, bounded by `timeout`. For exactly-once across a Redis
 * restart, run Redis with AOF persistence.
 */
export class RedisStore implements DeliveryStore {
  constructor(client: IoredisClientLike | NodeRedisClientLike, options?: RedisStoreOptions);
  /** Which client it was given. */
  readonly client: 'ioredis' | 'node-redis';
  readonly prefix: string;
  /** Seconds. */
  readonly timeout: number;
  claim(key: string, bodyHash: string, leaseMs: number): Promise<ClaimOutcome>;
  complete(key: string, token: string, bodyHash: string, retentionMs: number): Promise<Completion>;
  release(key: string, token: string): Promise<boolean>;
}

/**
 * Where the integrations' warnings go (console, pino, Fastify's
 * request.log...): `warn` is required; a store's or a queue's failure goes
 * to `error` when the logger has one, else to `warn`.
 */
export interface DedupeLogger extends DeliveryLogger {
  error?(message: string): unknown;
}

/**
 * De-duplication in an integration. With `dedupe`, each verified delivery is
 * claimed before the handler:
 * - new: the handler runs; a 2xx completes the claim (kept `retention`
 *   seconds), anything else, or a throw, releases it so the retry is handled;
 * - duplicate: 200 `{"duplicate": true}`, the handler is not called;
 * - in flight: 409 `{"error": "delivery_in_flight"}` with `Retry-After`;
 * - conflict (the key was seen with another body): 409
 *   `{"error": "delivery_conflict"}`, logged with both hashes; with
 *   `onConflict: 'process'` it is handled as its own delivery, once;
 * - store unavailable (error or timeout): 503 `{"error": "store_unavailable"}`
 *   with `Retry-After: 30`, or, with `onStoreError: 'process'`, the handler
 *   runs without de-duplication and a warning is logged.
 */
export interface DedupeOptions {
  dedupe?: DeliveryStore | null | false;
  /** `'retry'` (default): 503 + Retry-After; `'process'`: handle without de-duplication. */
  onStoreError?: 'retry' | 'process';
  /** `'refuse'` (default): 409 delivery_conflict; `'process'`: handle another body under a key of its own. */
  onConflict?: 'refuse' | 'process';
  /** Seconds to wait for a copy in flight to finish (then a duplicate, or the claim if its lease ended) before answering 409; default 0. */
  waitForInFlight?: number;
  /** Seconds a claim holds a delivery (default 60). */
  lease?: number;
  /** Seconds a handled delivery is remembered (default 86,400). */
  retention?: number;
  /** Default: console (Fastify: request.log). */
  logger?: DedupeLogger;
}

/**
 * What the integrations verify with: a Webhook, a BitnobWebhook, or any
 * object with `constructEvent(body, headers)` (and `constructVisit` for
 * `kind: 'visit'`) and `maxBodyBytes`.
 */
export interface Verifier {
  readonly maxBodyBytes: number;
  constructEvent(body: Uint8Array, headers: any): BullseyeEvent;
  constructVisit?(body: Uint8Array, headers: any): Visit;
}

export interface HandlerOptions extends DedupeOptions, ObserveOptions {
  /** Default: console. Needs `warn`; `debug` and `error` are used when present. */
  logger?: DedupeLogger;
  /** `'event'` (default): `constructEvent`; `'visit'`: `constructVisit`. */
  kind?: 'event' | 'visit';
}

export interface IntegrationOptions extends DedupeOptions, ObserveOptions {
  /** Default: console (Fastify: request.log). Needs `warn`; `debug` and `error` are used when present. */
  logger?: DedupeLogger;
  /** `'event'` (default): `constructEvent`, onto `bullseyeEvent`; `'visit'`: `constructVisit`, onto `bullseyeVisit`. */
  kind?: 'event' | 'visit';
}

/** The request as the integrations leave it for the next handler. */
export interface BullseyeRequestFields {
  bullseyeEvent?: BullseyeEvent;
  bullseyeVisit?: Visit;
}

/**
 * Express (or connect-style) middleware: reads the raw body (or takes the
 * Buffer `express.raw()` left), verifies it, sets `req.bullseyeEvent`
 * (`req.bullseyeVisit` with `kind: 'visit'`), and answers refusals with the
 * contract's status and `{"error": code}`. A delivery with a field of another
 * type is accepted unless the webhook is strict: `mismatchesOf(req.bullseyeEvent)`.
 */
export function expressMiddleware(
  webhook: Verifier,
  options?: IntegrationOptions,
): (req: IncomingMessage & BullseyeRequestFields & { body?: unknown }, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface FastifyPluginOptions extends IntegrationOptions {
  /** A Webhook or a BitnobWebhook. */
  webhook: Verifier;
}

/**
 * Fastify plugin: in the (encapsulated) scope it is registered in, keeps
 * bodies as raw bytes, verifies them before the handler, and sets
 * `request.bullseyeEvent` (`request.bullseyeVisit` with `kind: 'visit'`).
 * A delivery with a field of another type is accepted unless the webhook is
 * strict, and each such field is logged with `request.log.warn` (its path and
 * both types, never its value).
 */
export function fastifyPlugin(
  fastify: any,
  options: FastifyPluginOptions,
  done: (error?: Error) => void,
): void;

/**
 * Koa middleware: reads the raw body (or takes the one a body parser kept in
 * `ctx.request.rawBody` / `ctx.req.rawBody`), verifies it, sets
 * `ctx.state.bullseyeEvent` (`ctx.state.bullseyeVisit` with `kind: 'visit'`)
 * and calls the next middleware; refusals are answered with the contract's
 * status and `{"error": code}`.
 */
export function koaMiddleware(webhook: Verifier, options?: IntegrationOptions): (ctx: any, next: () => Promise<unknown>) => Promise<void>;

/**
 * Hono middleware (the shared declaration below says what it does): on this
 * package it takes the de-duplication options too, as `handler` does.
 */
export function honoMiddleware(
  verifier: Webhook | BitnobWebhook,
  options?: HandlerOptions,
): (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | void>;

/** An API Gateway (REST payload 1.0, HTTP API 2.0) or function URL event: what the adapter reads. */
export interface LambdaHttpEvent {
  version?: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  [key: string]: unknown;
}

/** A Lambda proxy response (both payload versions). */
export interface LambdaHttpResponse {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body?: string;
  isBase64Encoded?: boolean;
}

/**
 * AWS Lambda handler for API Gateway REST, HTTP API and function URL events:
 * verifies the raw body (base64-decoded when `isBase64Encoded`), calls
 * `fn(event, lambdaEvent, context)` and answers what it returns (a
 * LambdaHttpResponse as is; undefined as 204; anything else as JSON).
 */
export function lambdaHandler(
  webhook: Verifier,
  fn: (event: any, lambdaEvent: LambdaHttpEvent, context: unknown) => unknown,
  options?: HandlerOptions,
): (lambdaEvent: LambdaHttpEvent, context?: unknown) => Promise<LambdaHttpResponse>;

// Fastify: the plugin decorates the request in the scope it is registered in.
// (An augmentation, not an import: the package type-checks without fastify
// installed, since fastify is an optional peer dependency.)
declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by `fastifyPlugin` (bullseye-webhooks) before the handler of every
     * route in the scope it is registered in; null elsewhere, and undefined
     * outside that scope. Narrow it (`if (!request.bullseyeEvent) ...`) or
     * assert it (`request.bullseyeEvent!`) in a route of that scope.
     */
    bullseyeEvent?: BullseyeEvent | null;
    /** Set by `fastifyPlugin` with `kind: 'visit'` (bullseye-webhooks), like `bullseyeEvent`. */
    bullseyeVisit?: Visit | null;
  }
}

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by `expressMiddleware` (bullseye-webhooks). */
    bullseyeEvent?: BullseyeEvent;
    /** Set by `expressMiddleware` with `kind: 'visit'` (bullseye-webhooks). */
    bullseyeVisit?: Visit;
  }
}

// ---------------------------------------------------------------------------
// Hand deliveries to a queue (queue.js, queue/): the envelope and Redis Streams

/** A signature scheme an envelope names. */
export type EnvelopeScheme = 'bullseye_event' | 'visit' | 'bitnob';

/** A verified delivery as a queue carries it; `toJson()` is the core's one form. */
export class Envelope {
  static fromJson(data: string | Uint8Array, options?: { maxBodyBytes?: number }): Envelope;
  readonly scheme: EnvelopeScheme;
  readonly key: string;
  /** Milliseconds since the epoch. */
  readonly receivedAtMs: number;
  /** The scheme's headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body, exactly as received. */
  readonly body: Buffer;
  toJson(): string;
}

/** An envelope that cannot be read or does not fit its verifier (not a WebhookError). */
export class InvalidEnvelopeError extends Error {
  readonly name: 'InvalidEnvelopeError';
  readonly code: 'invalid_envelope';
}

/** The queue (Redis) could not be reached or did not answer in time. */
export class QueueUnavailableError extends Error {
  readonly name: 'QueueUnavailableError';
  readonly code: 'queue_unavailable';
}

/** Verify a delivery and make its envelope; any tolerance counts from `receivedAt` (default now). */
export function makeEnvelope(
  verifier: Webhook | BitnobWebhook,
  body: string | Uint8Array,
  headers: Record<string, string | string[] | undefined> | Headers | Iterable<[string, string]>,
  options?: { scheme?: EnvelopeScheme; receivedAt?: Date | number },
): Envelope;

/** Verify an envelope's delivery again (tolerance from its received-at) and check its key. */
export function openEnvelope(verifier: Webhook | BitnobWebhook, envelope: Envelope | string | Uint8Array): BullseyeEvent | BitnobEvent | Visit;

/** One message of the stream. */
export interface QueueMessage {
  id: string;
  envelope: string;
  token: string;
  attempt: number;
  deliveries: number;
}

export interface RedisStreamQueueOptions {
  /** Default `bullseye-webhooks:{queue}`; the retry set and dead letters add `:retry` and `:dead`. */
  stream?: string;
  group?: string;
  /** Seconds per call (default 5). */
  timeout?: number;
}

/** A Redis stream and consumer group through an ioredis or node-redis client (one per worker: reads block it). */
export class RedisStreamQueue {
  constructor(client: IoredisClientLike | { sendCommand(args: any, ...rest: any[]): Promise<unknown> }, options?: RedisStreamQueueOptions);
  readonly stream: string;
  readonly group: string;
  readonly retrySet: string;
  readonly deadLetters: string;
  ensureGroup(): Promise<void>;
  enqueue(envelope: Envelope, token: string): Promise<string>;
  read(consumer: string, count: number, blockMs: number): Promise<QueueMessage[]>;
  reclaim(consumer: string, idleMs: number, count: number): Promise<QueueMessage[]>;
  promote(count?: number): Promise<number>;
  ack(message: QueueMessage): Promise<boolean>;
  fail(message: QueueMessage, reason: string, options: { maxAttempts: number; delayMs: number }): Promise<'retry' | 'dead' | 'gone'>;
  dead(count?: number): Promise<Array<Record<string, string>>>;
}

/** An HTTP answer of the queue receiver. */
export interface QueueAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Verifies, claims, enqueues, and answers 202 `{ queued: true }` at once. */
export class QueueReceiver {
  constructor(
    verifier: Webhook | BitnobWebhook,
    queue: RedisStreamQueue,
    dedupe: DeliveryStore,
    options?: { scheme?: EnvelopeScheme; lease?: number; retryAfter?: number },
  );
  receive(body: string | Uint8Array, headers: Record<string, string | string[] | undefined> | Headers): Promise<QueueAnswer>;
}

export interface QueueWorkerOptions {
  consumer?: string;
  maxAttempts?: number;
  /** Seconds. */
  retryDelay?: number;
  maxRetryDelay?: number;
  claimIdle?: number;
  lease?: number;
  retention?: number;
  block?: number;
  batch?: number;
  logger?: DedupeLogger;
}

/** Reads the stream, verifies again, runs the handler, completes the claim, acknowledges; retries, dead-letters, takes over. */
export class QueueWorker {
  constructor(
    verifier: Webhook | BitnobWebhook,
    queue: RedisStreamQueue,
    dedupe: DeliveryStore,
    handler: (delivery: any) => unknown,
    options?: QueueWorkerOptions,
  );
  readonly counts: { handled: number; duplicates: number; retried: number; dead: number; reclaimed: number };
  run(signal?: AbortSignal): Promise<void>;
  runOnce(): Promise<number>;
  process(message: QueueMessage): Promise<'handled' | 'duplicate' | 'retry' | 'dead' | 'gone'>;
}

/** A BullMQ Queue, as far as BullmqQueue uses it. */
export interface BullmqQueueLike {
  add(name: string, data: unknown, options?: unknown): Promise<{ id?: string | null }>;
}

/** The receiver's queue on a BullMQ Queue: jobs with the envelope and the claim's token. */
export class BullmqQueue {
  constructor(queue: BullmqQueueLike, options?: { name?: string; maxAttempts?: number; timeout?: number });
  enqueue(envelope: Envelope, token: string): Promise<string>;
}

/** The BullMQ Worker's `settings.backoffStrategy`: the core's delays (seconds). */
export function bullmqBackoff(options?: { retryDelay?: number; maxRetryDelay?: number }): (attemptsMade: number) => number;

/** The BullMQ Worker's processor: verify again, claim check, handler, done mark. */
export function bullmqProcessor(
  verifier: Webhook | BitnobWebhook,
  dedupe: DeliveryStore,
  handler: (delivery: any) => unknown,
  options: { UnrecoverableError: new (message?: string) => Error; lease?: number; retention?: number; logger?: DedupeLogger },
): (job: { data: { envelope: string; token: string }; attemptsMade: number; opts?: { attempts?: number }; updateData(data: unknown): Promise<unknown> }) => Promise<string>;
