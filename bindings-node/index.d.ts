// Types of the `bullseye-webhooks` package (hand-written; the native layer's
// generated types are in native/index.d.ts, checked for drift by the build).

/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Every code a WebhookError can carry, in the order the checks run. */
export type WebhookErrorCode =
  | 'invalid_secret'
  | 'body_too_large'
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'invalid_body'
  | 'invalid_payload'
  | 'timestamp_out_of_tolerance';

export declare const ERROR_CODES: readonly WebhookErrorCode[];

/** The core's own list of error codes (the tests compare it with ERROR_CODES). */
export declare function coreErrorCodes(): string[];

/** `X-Bullseye-Signature`. */
export declare const SIGNATURE_HEADER: string;
/** `X-Webhook-Signature` (fingerprinting-api visits). */
export declare const VISIT_SIGNATURE_HEADER: string;
/** 1 MiB. */
export declare const DEFAULT_MAX_BODY_BYTES: number;

/** Every failure this package reports. */
export declare class WebhookError extends Error {
  constructor(code: WebhookErrorCode, message: string);
  readonly name: 'WebhookError';
  readonly code: WebhookErrorCode;
  /** The HTTP status a receiver should answer with: 413, 400 or 401. */
  readonly status: number;
}

/** The raw request body exactly as received. A string is used as its UTF-8 bytes. */
export type RawBody = Uint8Array | ArrayBuffer | string;

/** Anything a header can be read from, case-insensitively. */
export type HeadersLike =
  | Headers
  | Map<string, string | string[]>
  | Record<string, string | string[] | undefined>;

/** The signature header's value, or the request's headers (undefined or null reads as missing). */
export type SignatureOrHeaders = string | string[] | HeadersLike | undefined | null;

export interface WebhookOptions {
  /** Refuse events whose signed `timestamp` is further than this many seconds from now. Unset: no time check. */
  tolerance?: number | null;
  /** Refuse longer bodies before hashing them. Default 1 MiB. */
  maxBodyBytes?: number | null;
  /**
   * Refuse a documented field of another JSON type as `invalid_payload`
   * (the first one, in document order). Default false: accept the delivery,
   * hold the typed value in the event and list the field in `mismatchesOf(event)`.
   */
  strict?: boolean | null;
}

export interface ParseVisitOptions {
  /** Refuse a documented field of another JSON type as `invalid_payload`. Default false. */
  strict?: boolean | null;
}

export interface ConstructEventOptions {
  /** The clock for the tolerance check (tests, replays): a Date or milliseconds since the epoch. */
  now?: Date | number;
}

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** A JSON type, as a mismatch names it. */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

/**
 * A documented field sent with another JSON type. The event (or visit) holds
 * the typed value at `path`: converted without loss (`"150"` -> 150, 42 ->
 * `"42"`, `"true"` -> true) or null.
 */
export interface Mismatch {
  /** Dotted keys with list indexes: `company.size`, `page_views.3.url`. */
  path: string;
  /** The documented type. */
  expected: JsonType;
  /** The type sent (never null: null is not a mismatch). */
  found: JsonType;
  /** The value exactly as sent. */
  value: Json;
}

/**
 * The documented fields of an event or a visit that were sent with another
 * JSON type, in document order; `[]` when there are none. A new array each call.
 * @throws TypeError when given something other than an object.
 */
export declare function mismatchesOf(eventOrVisit: object): Mismatch[];

/**
 * The identified person. Absent fields read as undefined, `null` ones as null;
 * a field sent with another type holds its typed value or null (see `mismatchesOf`).
 */
export interface Visitor {
  /** Bullseye's visitor id (an integer in the payload is read as its decimal text, and reported). */
  id?: string | null;
  email?: string | null;
  personal_email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  phone?: string | null;
  location?: string | null;
  photo_url?: string | null;
  linkedin_url?: string | null;
  facebook_url?: string | null;
  twitter_url?: string | null;
  address?: string | null;
  city?: string | null;
  state?: string | null;
  postal_code?: string | null;
  gender?: string | null;
  age_range?: string | null;
  income_range?: string | null;
  net_worth?: string | null;
  homeowner?: boolean | null;
  married?: boolean | null;
  children?: boolean | null;
  icp?: string | null;
  icp_statuses?: JsonObject | null;
  persona_match?: boolean | null;
  created_at?: string | null;
  last_seen_at?: string | null;
  /** Fields Bullseye does not document are kept as sent. */
  [key: string]: unknown;
}

/** The visitor's company. */
export interface Company {
  /** Bullseye's company id (an integer in the payload is read as its decimal text, and reported). */
  id?: string | null;
  name?: string | null;
  domain?: string | null;
  industry?: string | null;
  /** An integer (the number of employees). */
  size?: number | null;
  /** An integer. */
  employee_count?: number | null;
  employee_size_range?: string | null;
  revenue_range?: string | null;
  location?: string | null;
  linkedin_url?: string | null;
  website_url?: string | null;
  description?: string | null;
  logo_url?: string | null;
  address?: string | null;
  city?: string | null;
  region?: string | null;
  postal_code?: string | null;
  [key: string]: unknown;
}

/** Session metadata. */
export interface Session {
  created_at?: string | null;
  landing_page?: string | null;
  entry_page?: string | null;
  exit_page?: string | null;
  /** An integer. */
  pages_visited?: number | null;
  referrer?: string | null;
  device_type?: string | null;
  first_visit?: boolean | null;
  utm_source?: string | null;
  utm_campaign?: string | null;
  utm_medium?: string | null;
  utm_term?: string | null;
  utm_content?: string | null;
  campaign_name?: string | null;
  campaign_source?: string | null;
  campaign_medium?: string | null;
  campaign_term?: string | null;
  campaign_content?: string | null;
  search_term?: string | null;
  search_engine?: string | null;
  country?: string | null;
  region?: string | null;
  city?: string | null;
  tracking_params?: JsonObject | null;
  [key: string]: unknown;
}

/** One page view of the session. */
export interface PageView {
  url?: string | null;
  visited_at?: string | null;
  [key: string]: unknown;
}

/** `visitor.identified`: the payload's own keys, with every documented field typed. */
export interface VisitorIdentifiedEvent {
  event_type: 'visitor.identified';
  /** The type field as some payloads name it. */
  event?: string | null;
  /** RFC 3339, as sent. */
  timestamp?: string | null;
  organization_id?: string | null;
  session_id?: string | null;
  workspace?: string | null;
  visitor?: Visitor | null;
  company?: Company | null;
  session?: Session | null;
  /** A page view sent as `null`, or as something other than an object, reads as null. */
  page_views?: Array<PageView | null> | null;
  [key: string]: unknown;
}

/** Any other type (billing events, the test webhook, types not yet documented): the whole object. */
export interface GenericEvent {
  /** Any type but `visitor.identified` (narrow with `event.event_type === 'visitor.identified'`). */
  event_type: string;
  [key: string]: unknown;
}

/** A verified Bullseye event. */
export type BullseyeEvent = VisitorIdentifiedEvent | GenericEvent;

/** `event_type` of an identification. */
export declare const VISITOR_IDENTIFIED: 'visitor.identified';

/**
 * Narrow an event to an identification (`event.event_type === 'visitor.identified'`
 * alone cannot narrow it: a GenericEvent's type is any string).
 */
export declare function isVisitorIdentified(event: BullseyeEvent): event is VisitorIdentifiedEvent;

/** A visit's visitor company. */
export interface VisitCompany {
  name?: string | null;
  domain?: string | null;
  [key: string]: unknown;
}

/** A visit's visitor. */
export interface VisitVisitor {
  id?: string | null;
  /** As sent (a string: not typed). */
  firstSeen?: string | null;
  company?: VisitCompany | null;
  [key: string]: unknown;
}

/**
 * A fingerprinting-api visit (`NEW_VISIT` / `NEW_VISITOR`): the payload
 * itself, where the strings of the descriptive objects (`location`,
 * `trafficSource`, `device`, `browser`, `screen`) are typed (`"6"` -> 6,
 * `"true"` -> true), a documented field of another type holds its typed
 * value or null (see `mismatchesOf`), plus `raw` (not enumerable), the object
 * exactly as sent.
 */
export interface Visit {
  /** The first of `event_type`, `event`, `type` that is a non-empty string, or null. */
  event_type: string | null;
  id?: string | null;
  url?: string | null;
  params?: JsonObject | null;
  referrer?: string | null;
  date?: string | null;
  ip?: string | null;
  visitor?: VisitVisitor | null;
  location?: JsonObject | null;
  trafficSource?: JsonObject | null;
  device?: JsonObject | null;
  browser?: JsonObject | null;
  timezone?: string | null;
  screen?: JsonObject | null;
  /** The payload exactly as sent (not enumerable: JSON.stringify(visit) leaves it out). */
  readonly raw: JsonObject;
  [key: string]: unknown;
}

/** A verifier for one endpoint: one secret, or several during a rotation. */
export declare class Webhook {
  /**
   * @param secretOrSecrets the secret exactly as configured in Bullseye (`whsec_...` included),
   *   or several (rotation); strings are used as their UTF-8 bytes.
   * @throws WebhookError `invalid_secret` when there is no secret or an empty one.
   */
  constructor(secretOrSecrets: string | Uint8Array | ReadonlyArray<string | Uint8Array>, options?: WebhookOptions);
  readonly maxBodyBytes: number;
  /** Seconds, or null for no time check. */
  readonly tolerance: number | null;
  /** Whether a documented field of another type is refused (`invalid_payload`). */
  readonly strict: boolean;
  /** Check the signature over the raw body. @throws WebhookError */
  verify(body: RawBody, signatureOrHeaders: SignatureOrHeaders): void;
  /**
   * Verify, then parse the event: the payload with `event_type`, holding the
   * typed value at each path `mismatchesOf(event)` lists. @throws WebhookError
   */
  constructEvent(body: RawBody, signatureOrHeaders: SignatureOrHeaders, options?: ConstructEventOptions): BullseyeEvent;
  /** Check a visit's `X-Webhook-Signature` (static token or HMAC), then parse it. @throws WebhookError */
  constructVisit(body: RawBody, signatureOrHeaders: SignatureOrHeaders): Visit;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the raw body. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BullseyeEvent>;
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
  toJSON(): { secrets: string; tolerance: number | null; maxBodyBytes: number; strict: boolean };
}

/** Parse a fingerprinting-api visit without checking a signature. @throws WebhookError */
export declare function parseVisit(body: RawBody, options?: ParseVisitOptions): Visit;

/** The `X-Bullseye-Signature` value for `body` under `secret` (tests, local senders). */
export declare function sign(secret: string | Uint8Array, body: RawBody): string;

// ---------------------------------------------------------------------------
// Bitnob

/** `X-Bitnob-Signature`. */
export declare const BITNOB_SIGNATURE_HEADER: string;
/** `X-Bitnob-Timestamp` (Unix seconds). */
export declare const BITNOB_TIMESTAMP_HEADER: string;
/** `X-Bitnob-Event` (not covered by the signature). */
export declare const BITNOB_EVENT_HEADER: string;
/** Bitnob's suggested replay window, the default: 300 seconds. */
export declare const DEFAULT_BITNOB_TOLERANCE: number;

/** A request's headers (a list of `[name, value]` pairs too: names in any case). */
export type BitnobHeaders = HeadersLike | ReadonlyArray<readonly [string, string | string[]]> | undefined | null;

export interface BitnobWebhookOptions {
  /** The replay window in seconds (default 300, either direction); null: none. */
  tolerance?: number | null;
  /**
   * Accept the legacy scheme, the hex HMAC-SHA512 of the body alone (default
   * true). It signs no timestamp, so such deliveries have no replay
   * protection: switch it off once Bitnob sends the timestamped scheme.
   */
  legacySha512?: boolean;
  /** Refuse longer bodies before hashing them. Default 1 MiB. */
  maxBodyBytes?: number | null;
}

/**
 * A verifier for one Bitnob endpoint: `X-Bitnob-Signature` is the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}` (or, legacy, the hex
 * HMAC-SHA512 of the body). One secret, or several while rotating. Its
 * events are generic: the payload plus `event_type` (from `X-Bitnob-Event`,
 * else the body's `event`; when both are there they must agree).
 */
export declare class BitnobWebhook {
  /** @throws WebhookError `invalid_secret` when there is no secret or an empty one. */
  constructor(secretOrSecrets: string | Uint8Array | ReadonlyArray<string | Uint8Array>, options?: BitnobWebhookOptions);
  readonly maxBodyBytes: number;
  /** Seconds, or null for no window. */
  readonly tolerance: number | null;
  readonly legacySha512: boolean;
  /** The indexes of the configured secrets whose last 4 characters are `last4` (the dashboard's `signing_secret_last4`). */
  secretsEndingIn(last4: string): number[];
  /** Check the signature, then the window. @throws WebhookError */
  verify(body: RawBody, headers: BitnobHeaders, options?: ConstructEventOptions): void;
  /** Verify, then parse the event. @throws WebhookError */
  constructEvent(body: RawBody, headers: BitnobHeaders, options?: ConstructEventOptions): GenericEvent;
  verifyRequest(request: Request): Promise<Uint8Array>;
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<GenericEvent>;
  /** A Fetch API handler, as `Webhook#handler`. */
  handler(fn: (event: GenericEvent, request: Request) => unknown, options?: DedupeOptions): (request: Request) => Promise<Response>;
  toJSON(): { secrets: string; tolerance: number | null; legacySha512: boolean; maxBodyBytes: number };
}

/** The last 4 characters of `secret` (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
export declare function secretLast4(secret: string | Uint8Array): string;
/** The `X-Bitnob-Signature` for `body` sent with `X-Bitnob-Timestamp: timestamp` (tests, local senders). */
export declare function signBitnob(secret: string | Uint8Array, body: RawBody, timestamp: number | string): string;
/** The legacy `X-Bitnob-Signature`: hex HMAC-SHA512 of the body alone. */
export declare function signBitnobLegacy(secret: string | Uint8Array, body: RawBody): string;

// ---------------------------------------------------------------------------
// De-duplication

/**
 * The key that de-duplicates the delivery of an event or a visit this
 * package constructed, as the core defines it:
 * `bullseye:{organization_id}:{event_type}:{session_id}` (an event with a
 * non-empty session_id; components percent-escaped, long ones hashed),
 * `visit:{id}` (a visit with an id), else `sha256:{hex SHA-256 of the raw
 * body}` (Bitnob events too). It holds no secret, and it is not one of the
 * object's own keys.
 * @throws TypeError for anything else (a copy of an event has no key).
 */
export declare function deliveryKeyOf(eventOrVisit: object): string;

/** What a claim found. `retryAfter`: whole seconds left on the other worker's lease (at least 1). */
export type ClaimOutcome =
  | { outcome: 'new'; token: string }
  | { outcome: 'duplicate' }
  | { outcome: 'in_flight'; retryAfter: number };

/** What completing a claim did. */
export type Completion = 'done' | 'lease_expired' | 'not_held';

/**
 * A store of delivery claims: MemoryStore, RedisStore, or your own. Each
 * call may return a value or a promise; a failure (throw or rejection) is
 * answered as a store that is unavailable.
 */
export interface DeliveryStore {
  /** Claim `key` for `leaseMs` milliseconds, atomically. */
  claim(key: string, leaseMs: number): ClaimOutcome | Promise<ClaimOutcome>;
  /** Mark `key` done for `retentionMs` if `token`'s claim holds it (or it is free). */
  complete(key: string, token: string, retentionMs: number): unknown;
  /** Delete `token`'s claim on `key`, never another's. */
  release(key: string, token: string): boolean | Promise<boolean>;
}

/** The store could not be reached or did not answer in time (not a WebhookError). */
export declare class StoreUnavailableError extends Error {
  readonly name: 'StoreUnavailableError';
  readonly code: 'store_unavailable';
}

/** De-duplication in this process's memory (the core's store): right for one process. */
export declare class MemoryStore implements DeliveryStore {
  /** `capacity`: the most keys it holds (default 100,000); it never drops a claim in flight. */
  constructor(options?: { capacity?: number });
  readonly capacity: number;
  readonly size: number;
  claim(key: string, leaseMs: number): ClaimOutcome;
  complete(key: string, token: string, retentionMs: number): Completion;
  release(key: string, token: string): boolean;
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
export declare class RedisStore implements DeliveryStore {
  constructor(client: IoredisClientLike | NodeRedisClientLike, options?: RedisStoreOptions);
  /** Which client it was given. */
  readonly client: 'ioredis' | 'node-redis';
  readonly prefix: string;
  /** Seconds. */
  readonly timeout: number;
  claim(key: string, leaseMs: number): Promise<ClaimOutcome>;
  complete(key: string, token: string, retentionMs: number): Promise<Completion>;
  release(key: string, token: string): Promise<boolean>;
}

/** Where the integrations' warnings go (console, pino, Fastify's request.log...). */
export interface DedupeLogger {
  warn(message: string): unknown;
  error(message: string): unknown;
}

/**
 * De-duplication in an integration. With `dedupe`, each verified delivery is
 * claimed before the handler:
 * - new: the handler runs; a 2xx completes the claim (kept `retention`
 *   seconds), anything else, or a throw, releases it so the retry is handled;
 * - duplicate: 200 `{"duplicate": true}`, the handler is not called;
 * - in flight: 409 `{"error": "delivery_in_flight"}` with `Retry-After`;
 * - store unavailable (error or timeout): 503 `{"error": "store_unavailable"}`
 *   with `Retry-After: 30`, or, with `onStoreError: 'process'`, the handler
 *   runs without de-duplication and a warning is logged.
 */
export interface DedupeOptions {
  dedupe?: DeliveryStore | null | false;
  /** `'retry'` (default): 503 + Retry-After; `'process'`: handle without de-duplication. */
  onStoreError?: 'retry' | 'process';
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

export interface HandlerOptions extends DedupeOptions {
  /** `'event'` (default): `constructEvent`; `'visit'`: `constructVisit`. */
  kind?: 'event' | 'visit';
}

export interface IntegrationOptions extends DedupeOptions {
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
export declare function expressMiddleware(
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
export declare function fastifyPlugin(
  fastify: any,
  options: FastifyPluginOptions,
  done: (error?: Error) => void,
): void;

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
