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

export interface Visitor {
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
  icp?: Json;
  icp_statuses?: Json;
  persona_match?: Json;
  created_at?: string | null;
  last_seen_at?: string | null;
  [key: string]: unknown;
}

export interface Company {
  id?: string | null;
  name?: string | null;
  domain?: string | null;
  industry?: string | null;
  size?: string | null;
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
  tracking_params?: Json;
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
  workspace?: Json;
  visitor?: Visitor | null;
  company?: Company | null;
  session?: Session | null;
  page_views?: PageView[] | null;
  [key: string]: unknown;
}

/** Any other event type (billing, the test webhook, types not yet documented): the whole object. */
export interface GenericEvent {
  event_type: string;
  [key: string]: unknown;
}

export type BullseyeEvent = VisitorIdentifiedEvent | GenericEvent;

/** A fingerprinting-api visit: string-encoded numbers and booleans typed, the original in `raw`. */
export interface Visit {
  event_type: 'NEW_VISIT' | 'NEW_VISITOR' | string | null;
  id: string | null;
  url: string | null;
  params: Json | null;
  referrer: string | null;
  date: string | null;
  ip: string | null;
  visitor: {
    id: string | null;
    firstSeen: Json | null;
    company: { name?: string | null; domain?: string | null; [key: string]: Json | undefined } | null;
  } | null;
  location: Json | null;
  trafficSource: Json | null;
  device: Json | null;
  browser: Json | null;
  timezone: Json | null;
  screen: Json | null;
  /** The payload exactly as sent. */
  raw: { [key: string]: Json };
}

/** A verifier for one webhook endpoint, holding one secret or several (rotation). */
export class Webhook {
  constructor(secretOrSecrets: string | Uint8Array | Array<string | Uint8Array>, options?: WebhookOptions);
  /** The body size limit, in bytes. */
  readonly maxBodyBytes: number;
  /** The tolerance in seconds, or null when there is no time check. */
  readonly tolerance: number | null;
  /** Check the X-Bullseye-Signature over the raw body; throws a WebhookError. */
  verify(body: RawBody, signatureOrHeaders: SignatureOrHeaders | undefined | null): void;
  /** Verify, then parse a Bullseye event. */
  constructEvent(body: RawBody, signatureOrHeaders: SignatureOrHeaders | undefined | null, options?: ConstructEventOptions): BullseyeEvent;
  /** Check a visit's X-Webhook-Signature (static token or HMAC), then parse it. */
  constructVisit(body: RawBody, signatureOrHeaders: SignatureOrHeaders | undefined | null): Visit;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the verified bytes. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BullseyeEvent>;
  toJSON(): { secrets: string; tolerance: number | null; maxBodyBytes: number };
}

/** Whether an event is an identification. */
export function isVisitorIdentified(event: BullseyeEvent): event is VisitorIdentifiedEvent;
/** Parse a fingerprinting-api visit without checking any signature. */
export function parseVisit(body: RawBody): Visit;
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
export const VISIT_SIGNATURE_HEADER: 'X-Webhook-Signature';
export const DEFAULT_MAX_BODY_BYTES: number;
export const VISITOR_IDENTIFIED: 'visitor.identified';
export const ERROR_CODES: readonly ErrorCode[];
