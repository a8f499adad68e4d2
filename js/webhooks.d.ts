// Types of the API both npm packages share (bullseye-webhooks and
// bullseye-webhooks-wasm): the one source of each package's index.d.ts,
// which js/sync.mjs writes as the package's own declarations (extra.d.ts)
// followed by these and by js/records.d.ts (the records' fields, generated
// from the core's field table). Checked with tsc --strict by both packages'
// type tests.

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

/** The same, by the name the WASM package gave it first. */
export type ErrorCode = WebhookErrorCode;

export const ERROR_CODES: readonly WebhookErrorCode[];

/** The core's own list of error codes (the tests compare it with ERROR_CODES). */
export function coreErrorCodes(): string[];

/** The header Bullseye signs with. */
export const SIGNATURE_HEADER: 'X-Bullseye-Signature';
/** The header fingerprinting-api visits carry their token or HMAC in. */
export const VISIT_SIGNATURE_HEADER: 'X-Webhook-Signature';
/** The body size limit unless `maxBodyBytes` says otherwise: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES: number;

/** Every failure this package reports. */
export class WebhookError extends Error {
  constructor(code: WebhookErrorCode, message: string);
  readonly name: 'WebhookError';
  readonly code: WebhookErrorCode;
  /** The HTTP status a receiver should answer with: 413, 400 or 401 (500 for invalid_secret). */
  readonly status: number;
}

/** The raw request body exactly as received. A string is used as its UTF-8 bytes. */
export type RawBody = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** Anything a header can be read from, case-insensitively. */
export type HeadersLike =
  | Headers
  | Map<string, string | string[]>
  | Record<string, string | string[] | undefined | null>;

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
  /** The clock for the tolerance check (tests, replays): a Date or milliseconds since the epoch; default `Date.now()`. */
  now?: Date | number | null;
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
export function mismatchesOf(eventOrVisit: object): Mismatch[];

/**
 * `visitor.identified`: the payload's own keys, with every documented field
 * typed (the fields: `VisitorIdentifiedFields`, generated in js/records.d.ts).
 */
export interface VisitorIdentifiedEvent extends VisitorIdentifiedFields {
  event_type: 'visitor.identified';
  /** The type field as some payloads name it. */
  event?: string | null;
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
export const VISITOR_IDENTIFIED: 'visitor.identified';

/**
 * Narrow an event to an identification (`event.event_type === 'visitor.identified'`
 * alone cannot narrow it: a GenericEvent's type is any string).
 */
export function isVisitorIdentified(event: BullseyeEvent): event is VisitorIdentifiedEvent;

/**
 * A fingerprinting-api visit (`NEW_VISIT` / `NEW_VISITOR`): the payload
 * itself, where the strings of the descriptive objects (`location`,
 * `trafficSource`, `device`, `browser`, `screen`) are typed (`"6"` -> 6,
 * `"true"` -> true), a documented field of another type holds its typed
 * value or null (see `mismatchesOf`), plus `raw` (not enumerable), the object
 * exactly as sent.
 */
export interface Visit extends VisitFields {
  /** The first of `event_type`, `event`, `type` that is a non-empty string, or null. */
  event_type: 'NEW_VISIT' | 'NEW_VISITOR' | string | null;
  /** The payload exactly as sent (not enumerable: JSON.stringify(visit) leaves it out). */
  readonly raw: JsonObject;
  [key: string]: unknown;
}

/** Where an integration logs (console, pino, ...): refusals with `warn`, accepted deliveries with `debug` when it has one. */
export interface DeliveryLogger {
  warn(message: string): unknown;
  /** When present, an accepted delivery is logged here (its event type, length and mismatches). */
  debug?(message: string): unknown;
}

/** What `onVerified` and `onRefused` receive about one delivery (never its body, signature or secret). */
export interface DeliveryInfo {
  /** A refusal's error code; for a verified delivery `'ok'`, `'duplicate'`, or the claim's error code (`'delivery_in_flight'`, ...). */
  code: string;
  /** The HTTP status answered. */
  status: number;
  /** Whether a signature header was there. */
  signaturePresent: boolean;
  /** The body's length in bytes. */
  bodyLength: number;
  /** The event's type, null for a refusal. */
  eventType: string | null;
}

/**
 * Observability, every integration of every export: a refusal is logged once
 * with the `logger` option's `warn` (default console; Fastify: request.log)
 * (its code, whether a signature header was there, the body's length); an
 * accepted delivery with `logger.debug` (when the logger has one) with its
 * mismatches. With @opentelemetry/api and an SDK registered, each delivery
 * is one span with `verify`, `claim` and `handle` events.
 */
export interface ObserveOptions {
  /** Default: console (Fastify: request.log). */
  logger?: DeliveryLogger;
  /** Called once per verified delivery, after its answer. A throw is logged, never answered. */
  onVerified?: (event: any, info: DeliveryInfo) => unknown;
  /** Called once per refused delivery. A throw is logged, never answered. */
  onRefused?: (error: WebhookError, info: DeliveryInfo) => unknown;
}

/**
 * What `handler` returns: give it the request, and on Cloudflare Workers the
 * Worker's `env` (a store may be made from its bindings) and `ctx` (its
 * `waitUntil` keeps a failed done mark's retries running after the answer).
 */
export type FetchHandler = (request: Request, env?: unknown, ctx?: { waitUntil(promise: Promise<unknown>): void }) => Promise<Response>;

/** The options of `handler` every runtime has (the Node package and the workerd entry add de-duplication). */
export interface FetchHandlerOptions extends ObserveOptions {
  /** `'event'` (default): `constructEvent`; `'visit'`: `constructVisit`. */
  kind?: 'event' | 'visit';
}

// The de-duplication store protocol: the Node package's stores and the
// workerd entry's DurableObjectStore keep it.

/**
 * What a claim found. `retryAfter`: whole seconds left on the other worker's
 * lease (at least 1). `conflict`: the key was seen with another body, whose
 * hash the store holds (`storedHash`), in flight or done (`found`).
 */
export type ClaimOutcome =
  | { outcome: 'new'; token: string }
  | { outcome: 'duplicate' }
  | { outcome: 'in_flight'; retryAfter: number }
  | { outcome: 'conflict'; storedHash: string; found: 'in_flight' | 'done' };

/** What completing a claim did. */
export type Completion = 'done' | 'lease_expired' | 'not_held';

/**
 * A store of delivery claims: MemoryStore, RedisStore (Node),
 * DurableObjectStore (workerd), or your own. Each call may return a value
 * or a promise; a failure (throw or rejection) is answered as a store that
 * is unavailable.
 */
export interface DeliveryStore {
  /** Claim `key` for `leaseMs` milliseconds, atomically, keeping `bodyHash` (`''`: unknown, never a conflict). */
  claim(key: string, bodyHash: string, leaseMs: number): ClaimOutcome | Promise<ClaimOutcome>;
  /** Mark `key` done (keeping `bodyHash`) for `retentionMs` if `token`'s claim holds it (or it is free). */
  complete(key: string, token: string, bodyHash: string, retentionMs: number): unknown;
  /** Delete `token`'s claim on `key`, never another's. */
  release(key: string, token: string): boolean | Promise<boolean>;
}

/** A verifier for one endpoint: one secret, or several during a rotation. */

export class Webhook {
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
  /**
   * `verify` as a promise: the same checks, order and errors, with the HMAC
   * computed by Web Crypto where that is faster (workerd, browsers).
   * Rejects with a WebhookError.
   */
  verifyAsync(body: RawBody, signatureOrHeaders: SignatureOrHeaders): Promise<void>;
  /** `constructEvent` as a promise (the HMAC by Web Crypto where faster). Rejects with a WebhookError. */
  constructEventAsync(body: RawBody, signatureOrHeaders: SignatureOrHeaders, options?: ConstructEventOptions): Promise<BullseyeEvent>;
  /** Check a visit's `X-Webhook-Signature` (static token or HMAC), then parse it. @throws WebhookError */
  constructVisit(body: RawBody, signatureOrHeaders: SignatureOrHeaders): Visit;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the raw body. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BullseyeEvent>;
  /**
   * A Fetch API handler `(request) => Promise<Response>` (Next.js route
   * handlers, Hono, Bun, Deno, Workers): verifies the request, calls
   * `fn(event, request)` and answers what it returns (a Response as is,
   * undefined as 204, anything else as JSON). Refusals: `{"error": code}`
   * with the contract's status. De-duplication options need the Node
   * package's stores; elsewhere they throw a TypeError.
   */
  handler(fn: (visit: Visit, request: Request) => unknown, options: FetchHandlerOptions & { kind: 'visit' }): FetchHandler;
  handler(fn: (event: BullseyeEvent, request: Request) => unknown, options?: FetchHandlerOptions & { kind?: 'event' }): FetchHandler;
  toJSON(): { secrets: string; tolerance: number | null; maxBodyBytes: number; strict: boolean };
}

/** Parse a fingerprinting-api visit without checking a signature. @throws WebhookError */
export function parseVisit(body: RawBody, options?: ParseVisitOptions): Visit;

/** The `X-Bullseye-Signature` value for `body` under `secret` (tests, local senders). */
export function sign(secret: string | Uint8Array, body: RawBody): string;

/** The part of a Hono context the middleware uses (structural: no dependency on hono's types). */
export interface HonoContextLike {
  req: { raw: Request };
  res: Response;
  set(key: 'bullseyeEvent' | 'bullseyeVisit', value: unknown): void;
}

/**
 * Hono middleware over `verifier.handler`: verifies `c.req.raw`, sets
 * `bullseyeEvent` (or `bullseyeVisit` with `kind: 'visit'`) on the
 * context, then calls `next()`; a refusal is answered `{"error": code}`
 * with the contract's status. Options as `handler`'s.
 */
export function honoMiddleware(
  verifier: Webhook | BitnobWebhook,
  options?: FetchHandlerOptions,
): (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | void>;

// ---------------------------------------------------------------------------
// Bitnob

/** The header Bitnob signs with. */
export const BITNOB_SIGNATURE_HEADER: 'X-Bitnob-Signature';
/** The header carrying the Unix seconds Bitnob signs with the body. */
export const BITNOB_TIMESTAMP_HEADER: 'X-Bitnob-Timestamp';
/** The header naming a Bitnob event (not covered by the signature). */
export const BITNOB_EVENT_HEADER: 'X-Bitnob-Event';
/** Bitnob's suggested replay window, BitnobWebhook's default: 300 seconds. */
export const DEFAULT_BITNOB_TOLERANCE: number;

/** A request's headers (a list of `[name, value]` pairs too: names in any case). */
export type BitnobHeaders = HeadersLike | ReadonlyArray<readonly [string, string | string[]]> | undefined | null;

export interface BitnobWebhookOptions {
  /**
   * The replay window in seconds, both directions (default 300, Bitnob's
   * suggestion); `null` turns it off. A missing or unreadable
   * X-Bitnob-Timestamp under a window is `timestamp_out_of_tolerance`.
   */
  tolerance?: number | null;
  /**
   * Accept the legacy scheme, the hex HMAC-SHA512 of the body alone (default
   * true). It signs no timestamp, so such deliveries have no replay
   * protection: switch it off once Bitnob sends the timestamped scheme
   * (then a 128-digit signature is `malformed_signature`).
   */
  legacySha512?: boolean;
  /** Refuse longer bodies before hashing them. Default 1 MiB. */
  maxBodyBytes?: number | null;
}

/**
 * A Bitnob event: the payload object itself, plus `event_type` (from
 * X-Bitnob-Event, else the body's `event`). Every field is kept as sent.
 */
export interface BitnobEvent {
  event_type: string;
  event?: string;
  data?: Json;
  [key: string]: unknown;
}

/**
 * A verifier for one Bitnob endpoint: `X-Bitnob-Signature` is the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}` (or, legacy, the hex
 * HMAC-SHA512 of the body). One secret, or several while rotating. Its
 * events are generic: the payload plus `event_type` (from `X-Bitnob-Event`,
 * else the body's `event`; when both are there they must agree).
 */
export class BitnobWebhook {
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
  constructEvent(body: RawBody, headers: BitnobHeaders, options?: ConstructEventOptions): BitnobEvent;
  /** `verify` as a promise: the same answers, the MACs by Web Crypto where it is the faster HMAC (edge runtimes, browsers). Rejects with a WebhookError. */
  verifyAsync(body: RawBody, headers: BitnobHeaders, options?: ConstructEventOptions): Promise<void>;
  /** `constructEvent` as a promise: the same answers and event, the MACs by Web Crypto where it is faster. Rejects with a WebhookError. */
  constructEventAsync(body: RawBody, headers: BitnobHeaders, options?: ConstructEventOptions): Promise<BitnobEvent>;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the raw body. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BitnobEvent>;
  /** A Fetch API handler, as `Webhook#handler`. */
  handler(fn: (event: BitnobEvent, request: Request) => unknown, options?: FetchHandlerOptions): FetchHandler;
  toJSON(): { secrets: string; tolerance: number | null; legacySha512: boolean; maxBodyBytes: number };
}

/** The last 4 characters of `secret` (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
export function secretLast4(secret: string | Uint8Array): string;
/** The `X-Bitnob-Signature` for `body` sent with `X-Bitnob-Timestamp: timestamp` (tests, local senders). */
export function signBitnob(secret: string | Uint8Array, body: RawBody, timestamp: number | string): string;
/** The legacy `X-Bitnob-Signature`: hex HMAC-SHA512 of the body alone. */
export function signBitnobLegacy(secret: string | Uint8Array, body: RawBody): string;

// ---------------------------------------------------------------------------
// De-duplication

/**
 * The key that de-duplicates the delivery of an event or a visit this
 * package constructed, as the core defines it:
 * `bullseye:{organization_id}:{event_type}:{session_id}` (an event with a
 * non-empty session_id; components percent-escaped, long ones hashed),
 * `visit:{id}` (a visit with an id), else `sha256:{hex SHA-256 of the raw
 * body}` (Bitnob events too). It holds no secret, and it is not one of the
 * object's own keys. Use it as the key of your store (the Node package's
 * MemoryStore or RedisStore, or at the edge Workers KV, D1, a Durable Object).
 * @throws TypeError for anything else (a copy of an event has no key).
 */
export function deliveryKeyOf(eventOrVisit: BullseyeEvent | BitnobEvent | Visit | object): string;
