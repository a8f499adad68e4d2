// Types of bullseye-webhooks-wasm. Checked by `tsc --noEmit --strict` on
// tests/types/usage.ts, and against the runtime exports by tests/api.test.mjs.

/** The raw request body exactly as received (a string is used as its UTF-8 bytes). */
export type RawBody = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** A headers mapping the signature is found in, case-insensitively. */
export type HeadersLike =
  | Headers
  | Map<string, string | string[]>
  | Record<string, string | string[] | undefined | null>;

/** The header value itself, or the request's headers. */
export type SignatureOrHeaders = string | string[] | HeadersLike;

export interface WebhookOptions {
  /** Refuse events whose signed `timestamp` is further than this many seconds from now. Unset: no time check. */
  tolerance?: number | null;
  /** Refuse longer bodies before hashing them (default 1 MiB). */
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
  /** The clock for the tolerance check (a Date or milliseconds since the epoch); default `Date.now()`. */
  now?: Date | number | null;
}

export type ErrorCode =
  | 'invalid_secret'
  | 'body_too_large'
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'invalid_body'
  | 'invalid_payload'
  | 'timestamp_out_of_tolerance';

/** Every failure this package reports. */
export class WebhookError extends Error {
  constructor(code: ErrorCode, message: string);
  readonly name: 'WebhookError';
  /** One of ERROR_CODES. */
  readonly code: ErrorCode;
  /** The HTTP status a receiver should answer with: 413, 400 or 401 (500 for invalid_secret). */
  readonly status: number;
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
  [key: string]: unknown;
}

export interface Company {
  /** Bullseye's company id (an integer in the payload is read as its decimal text, and reported). */
  id?: string | null;
  name?: string | null;
  domain?: string | null;
  industry?: string | null;
  /** An integer (the number of employees). */
  size?: number | null;
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

export interface Session {
  created_at?: string | null;
  landing_page?: string | null;
  entry_page?: string | null;
  exit_page?: string | null;
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

export interface PageView {
  url?: string | null;
  visited_at?: string | null;
  [key: string]: unknown;
}

/** `visitor.identified`: the payload object itself, every documented field typed. */
export interface VisitorIdentifiedEvent {
  event_type: 'visitor.identified';
  event?: string | null;
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

/** Any other event type (billing, the test webhook, types not yet documented): the whole object. */
export interface GenericEvent {
  event_type: string;
  [key: string]: unknown;
}

export type BullseyeEvent = VisitorIdentifiedEvent | GenericEvent;

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
  event_type: 'NEW_VISIT' | 'NEW_VISITOR' | string | null;
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

/** A verifier for one webhook endpoint, holding one secret or several (rotation). */
export class Webhook {
  constructor(secretOrSecrets: string | Uint8Array | Array<string | Uint8Array>, options?: WebhookOptions);
  /** The body size limit, in bytes. */
  readonly maxBodyBytes: number;
  /** The tolerance in seconds, or null when there is no time check. */
  readonly tolerance: number | null;
  /** Whether a documented field of another type is refused (`invalid_payload`). */
  readonly strict: boolean;
  /** Check the X-Bullseye-Signature over the raw body; throws a WebhookError. */
  verify(body: RawBody, signatureOrHeaders: SignatureOrHeaders | undefined | null): void;
  /**
   * Verify, then parse a Bullseye event: the payload with `event_type`, holding
   * the typed value at each path `mismatchesOf(event)` lists.
   */
  constructEvent(body: RawBody, signatureOrHeaders: SignatureOrHeaders | undefined | null, options?: ConstructEventOptions): BullseyeEvent;
  /** Check a visit's X-Webhook-Signature (static token or HMAC), then parse it. */
  constructVisit(body: RawBody, signatureOrHeaders: SignatureOrHeaders | undefined | null): Visit;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the verified bytes. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BullseyeEvent>;
  toJSON(): { secrets: string; tolerance: number | null; maxBodyBytes: number; strict: boolean };
}

/**
 * The key that de-duplicates the delivery of an event or a visit this
 * package constructed, as the core defines it:
 * `bullseye:{organization_id}:{event_type}:{session_id}` for an event with a
 * session, `visit:{id}` for a visit with an id, else `sha256:{hex SHA-256 of
 * the raw body}` (Bitnob events among them). It holds no secret. This package
 * ships no store for edge runtimes: use it as the key in your own (Workers KV,
 * D1, a Durable Object).
 * @throws TypeError for anything else (a copy of an event loses its key).
 */
export function deliveryKeyOf(eventOrVisit: BullseyeEvent | BitnobEvent | Visit | object): string;

/** Whether an event is an identification. */
export function isVisitorIdentified(event: BullseyeEvent): event is VisitorIdentifiedEvent;
/** Parse a fingerprinting-api visit without checking any signature. */
export function parseVisit(body: RawBody, options?: ParseVisitOptions): Visit;
/** The X-Bullseye-Signature value for `body` under `secret` (tests, local senders). */
export function sign(secret: string | Uint8Array, body: RawBody): string;
/** The core's own list of error codes. */
export function coreErrorCodes(): string[];

/** What init() takes: a URL of the .wasm, a Response, its bytes, or a compiled module. */
export type InitInput = string | URL | Request | Response | Promise<Response> | BufferSource | WebAssembly.Module;

/** Instantiate the module (browsers, bundlers, Deno); calling it again is harmless. */
export function init(input?: InitInput): Promise<void>;
/** Instantiate synchronously from a compiled module or the .wasm bytes; calling it again is harmless. */
export function initSync(input: { module: WebAssembly.Module | BufferSource } | WebAssembly.Module | BufferSource): void;

export const SIGNATURE_HEADER: 'X-Bullseye-Signature';
export const BITNOB_SIGNATURE_HEADER: 'X-Bitnob-Signature';
export const BITNOB_TIMESTAMP_HEADER: 'X-Bitnob-Timestamp';
export const BITNOB_EVENT_HEADER: 'X-Bitnob-Event';
/** Bitnob's suggested replay window, BitnobWebhook's default: 300 seconds. */
export const DEFAULT_BITNOB_TOLERANCE: number;
export const VISIT_SIGNATURE_HEADER: 'X-Webhook-Signature';
export const DEFAULT_MAX_BODY_BYTES: number;
export const VISITOR_IDENTIFIED: 'visitor.identified';
export const ERROR_CODES: readonly ErrorCode[];

export interface BitnobWebhookOptions {
  /**
   * The replay window in seconds, both directions (default 300, Bitnob's
   * suggestion); `null` turns it off. A missing or unreadable
   * X-Bitnob-Timestamp under a window is `timestamp_out_of_tolerance`.
   */
  tolerance?: number | null;
  /**
   * Accept the legacy scheme, a hex HMAC-SHA512 of the body alone (128 hex
   * digits), default true. It signs no timestamp, so no window protects it
   * from replay: set false to refuse it (`malformed_signature`).
   */
  legacySha512?: boolean;
  /** Refuse longer bodies before hashing them (default 1 MiB). */
  maxBodyBytes?: number | null;
}

/** A headers mapping, or the headers as `[name, value]` pairs. */
export type BitnobHeaders = HeadersLike | Array<[string, string | string[]]>;

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
 * A verifier for one Bitnob webhook endpoint: X-Bitnob-Signature, the hex
 * HMAC-SHA256 of `{X-Bitnob-Timestamp}.{raw body}`, or (unless
 * `legacySha512: false`) the legacy hex HMAC-SHA512 of the body. One secret,
 * or several while rotating.
 */
export class BitnobWebhook {
  constructor(secretOrSecrets: string | Uint8Array | Array<string | Uint8Array>, options?: BitnobWebhookOptions);
  /** The body size limit, in bytes. */
  readonly maxBodyBytes: number;
  /** The replay window in seconds, or null when there is none. */
  readonly tolerance: number | null;
  /** Whether the legacy HMAC-SHA512 scheme is accepted. */
  readonly legacySha512: boolean;
  /**
   * The indexes of the configured secrets whose last 4 characters are
   * `last4` (Bitnob's dashboard shows `signing_secret_last4`).
   */
  secretsEndingIn(last4: string): number[];
  /** Check the signature (and, for the timestamped scheme, the window); throws a WebhookError. */
  verify(body: RawBody, headers: BitnobHeaders | undefined | null, options?: ConstructEventOptions): void;
  /** Verify, then parse the event. */
  constructEvent(body: RawBody, headers: BitnobHeaders | undefined | null, options?: ConstructEventOptions): BitnobEvent;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the verified bytes. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BitnobEvent>;
  toJSON(): { secrets: string; tolerance: number | null; legacySha512: boolean; maxBodyBytes: number };
}

/** The last 4 characters of a secret (fewer if shorter), as Bitnob's dashboard shows `signing_secret_last4`. */
export function secretLast4(secret: string | Uint8Array): string;
/** The X-Bitnob-Signature for `body` sent with `X-Bitnob-Timestamp: timestamp` (tests, local senders). */
export function signBitnob(secret: string | Uint8Array, body: RawBody, timestamp: string | number): string;
/** The legacy X-Bitnob-Signature: hex HMAC-SHA512 of the body alone (tests, local senders). */
export function signBitnobLegacy(secret: string | Uint8Array, body: RawBody): string;
