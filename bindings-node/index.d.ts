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
}

export interface ConstructEventOptions {
  /** The clock for the tolerance check (tests, replays): a Date or milliseconds since the epoch. */
  now?: Date | number;
}

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The identified person. Absent fields read as undefined, `null` ones as null. */
export interface Visitor {
  /** Bullseye's visitor id (an integer in the payload is read as its decimal text). */
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
  /** Fields Bullseye does not document are kept as sent. */
  [key: string]: unknown;
}

/** The visitor's company. */
export interface Company {
  /** Bullseye's company id (an integer in the payload is read as its decimal text). */
  id?: string | null;
  name?: string | null;
  domain?: string | null;
  industry?: string | null;
  size?: string | null;
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
  tracking_params?: Json;
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
  workspace?: Json;
  visitor?: Visitor | null;
  company?: Company | null;
  session?: Session | null;
  page_views?: PageView[] | null;
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

/** A visit's visitor. */
export interface VisitVisitor {
  id: string | null;
  /** Typed: a boolean, an integer or the string as sent. */
  firstSeen: Json;
  company: { name: string | null; domain: string | null } | null;
}

/**
 * A fingerprinting-api visit (`NEW_VISIT` / `NEW_VISITOR`): the typed view,
 * where string-encoded numbers and booleans are typed, plus `raw`, the
 * object exactly as sent.
 */
export interface Visit {
  event_type: string | null;
  id: string | null;
  url: string | null;
  params: Json;
  referrer: string | null;
  date: string | null;
  ip: string | null;
  visitor: VisitVisitor | null;
  location: Json;
  trafficSource: Json;
  device: Json;
  browser: Json;
  timezone: Json;
  screen: Json;
  raw: { [key: string]: Json };
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
  /** Check the signature over the raw body. @throws WebhookError */
  verify(body: RawBody, signatureOrHeaders: SignatureOrHeaders): void;
  /** Verify, then parse the event. @throws WebhookError */
  constructEvent(body: RawBody, signatureOrHeaders: SignatureOrHeaders, options?: ConstructEventOptions): BullseyeEvent;
  /** Check a visit's `X-Webhook-Signature` (static token or HMAC), then parse it. @throws WebhookError */
  constructVisit(body: RawBody, signatureOrHeaders: SignatureOrHeaders): Visit;
  /** Read a Fetch API Request's body (up to maxBodyBytes) and verify it; resolves to the raw body. */
  verifyRequest(request: Request): Promise<Uint8Array>;
  /** Read a Fetch API Request's body and construct its event. */
  constructEventFromRequest(request: Request, options?: ConstructEventOptions): Promise<BullseyeEvent>;
  toJSON(): { secrets: string; tolerance: number | null; maxBodyBytes: number };
}

/** Parse a fingerprinting-api visit without checking a signature. @throws WebhookError */
export declare function parseVisit(body: RawBody): Visit;

/** The `X-Bullseye-Signature` value for `body` under `secret` (tests, local senders). */
export declare function sign(secret: string | Uint8Array, body: RawBody): string;

export interface IntegrationOptions {
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
 * contract's status and `{"error": code}`.
 */
export declare function expressMiddleware(
  webhook: Webhook,
  options?: IntegrationOptions,
): (req: IncomingMessage & BullseyeRequestFields & { body?: unknown }, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface FastifyPluginOptions extends IntegrationOptions {
  webhook: Webhook;
}

/**
 * Fastify plugin: in the (encapsulated) scope it is registered in, keeps
 * bodies as raw bytes, verifies them before the handler, and sets
 * `request.bullseyeEvent` (`request.bullseyeVisit` with `kind: 'visit'`).
 */
export declare function fastifyPlugin(
  fastify: any,
  options: FastifyPluginOptions,
  done: (error?: Error) => void,
): void;

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by `expressMiddleware` (bullseye-webhooks). */
    bullseyeEvent?: BullseyeEvent;
    /** Set by `expressMiddleware` with `kind: 'visit'` (bullseye-webhooks). */
    bullseyeVisit?: Visit;
  }
}
