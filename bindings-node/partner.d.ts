// Types of `bullseye-webhooks/partner`: the documented request and response
// shapes of the partner API's webhook endpoints. Every response type keeps
// the fields the documentation does not list (the index signatures), since
// the client returns the API's JSON objects as they are.

/** The documented base URL of the partner API. */
export declare const DEFAULT_BASE_URL: 'https://api.app.bullseye.so/api/v1';
/** The header the partner API key travels in. */
export declare const API_KEY_HEADER: 'X-Partner-API-Key';
/** The environment variable the examples and the CLI read the key from. */
export declare const API_KEY_ENV: 'BULLSEYE_PARTNER_API_KEY';
/** The two webhooks. */
export declare const WEBHOOK_TYPES: readonly ['identification', 'billing'];
/** The prefix of every generated webhook secret. */
export declare const SECRET_PREFIX: 'whsec_';
/** How many random bytes a generated secret carries. */
export declare const SECRET_RANDOM_BYTES: 32;

/** Which webhook: visitor identification or billing. */
export type WebhookType = 'identification' | 'billing';

/** One webhook's configuration: `{ url, enabled, hasSecret }`. The secret itself is never returned. */
export interface WebhookEndpoint {
  /** The endpoint URL; `null` when none is set. */
  url: string | null;
  /** Whether deliveries are on. */
  enabled: boolean;
  /** Whether a signing secret is set. */
  hasSecret: boolean;
  /** Fields the documentation does not list. */
  [field: string]: unknown;
}

/** `GET /partner/webhooks`. */
export interface WebhookConfig {
  identification: WebhookEndpoint;
  billing: WebhookEndpoint;
  [field: string]: unknown;
}

/**
 * The body of `PUT /partner/webhooks/identification|billing`: every field is
 * optional, and only the fields given are sent (the others stay as they are).
 */
export interface WebhookUpdate {
  /** The endpoint URL (`null` removes it). */
  url?: string | null;
  /** The signing secret, for example from `generateSecret()` (`null` removes it). */
  secret?: string | null;
  /** Turn deliveries on or off. */
  enabled?: boolean;
}

/** `POST /partner/webhooks/test`'s answer. */
export interface TestResult {
  /** Whether the test webhook was sent (the emulator: and answered 2xx). */
  success: boolean;
  /** The API's message, such as `Test webhook sent successfully`. */
  message: string;
  [field: string]: unknown;
}

/** One delivery attempt in `GET /partner/webhooks/logs`. */
export interface LogEntry {
  id: string;
  /** `identification` or `billing` (a new type reads as its text). */
  type: WebhookType | (string & {});
  organizationId: string | null;
  /** The delivery status, such as `delivered` (the emulator: `delivered` or `failed`). */
  status: string;
  /** The receiver's HTTP status; `null` when it gave no answer. */
  statusCode: number | null;
  /** When the attempt was made (RFC 3339). */
  attemptedAt: string;
  /** How long the receiver took to answer, in milliseconds. */
  responseTimeMs: number | null;
  /** Fields the documentation does not list. */
  [field: string]: unknown;
}

/** One page of `GET /partner/webhooks/logs`. */
export interface LogsPage {
  logs: LogEntry[];
  /** How many entries match the filters, over all pages. */
  total: number;
  /** This page's number (the first is 1). */
  page: number;
  pageSize: number;
  [field: string]: unknown;
}

/** The documented query parameters of `GET /partner/webhooks/logs`; unset ones are not sent. */
export interface LogsFilters {
  /** The page number (the first is 1). */
  page?: number;
  /** Entries per page. */
  pageSize?: number;
  /** Only this webhook. */
  type?: WebhookType;
  /** Only this delivery status. */
  status?: string;
  /** Only this organization. */
  organizationId?: string;
}

/** Per call. */
export interface CallOptions {
  /** Cancels the call, its retries and its waits (the signal's reason is thrown). */
  signal?: AbortSignal;
}

export interface PartnerClientOptions {
  /** The partner API key, sent in `X-Partner-API-Key`. Never printed. */
  apiKey: string;
  /** Default `DEFAULT_BASE_URL`; the emulator's is `http://127.0.0.1:PORT/api/v1`. */
  baseUrl?: string;
  /** How long one try may take, body included, in ms (default 30000). */
  timeoutMs?: number;
  /** Retries after the first try, on 429, 5xx and (for GET and PUT) no answer (default 3; 0 to 10). */
  maxRetries?: number;
  /** The first backoff in ms (default 500), doubled each retry and jittered between half and all of it. */
  initialBackoffMs?: number;
  /** The longest backoff in ms (default 8000). */
  maxBackoffMs?: number;
  /** The longest `Retry-After` waited for, in ms (default 60000); a longer one is thrown, carrying it. */
  maxRetryAfterMs?: number;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/** Which way a call failed. */
export type PartnerApiErrorKind = 'api_status' | 'transport' | 'decode' | 'config';

/** A failed partner-API call. Never holds the API key. */
export declare class PartnerApiError extends Error {
  constructor(
    message: string,
    details?: { kind?: PartnerApiErrorKind; status?: number | null; serverMessage?: string | null; code?: string | null; retryAfter?: number | null },
  );
  readonly name: 'PartnerApiError';
  /** `api_status` (a non-2xx answer), `transport` (no answer, timeout), `decode` (a 2xx answer of another shape), `config`. */
  readonly kind: PartnerApiErrorKind;
  /** The HTTP status the API answered with; `null` when it did not answer. */
  readonly status: number | null;
  /** The server's message: its JSON `message`, else `error`, else its body; scrubbed of the key, and cut after 300 characters. */
  readonly serverMessage: string | null;
  /** The server's error code (its JSON `error`, like `unauthorized`). */
  readonly code: string | null;
  /** The last answer's `Retry-After`, in seconds. */
  readonly retryAfter: number | null;
  /** True for 401 and 403. */
  readonly isUnauthorized: boolean;
}

/** A client for the partner API's webhook endpoints, on `fetch` (Node >= 20, Workers, Deno, browsers). */
export declare class PartnerClient {
  constructor(options: PartnerClientOptions);
  /** The base URL every path is joined to. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** `GET /partner/webhooks`. */
  getWebhooks(options?: CallOptions): Promise<WebhookConfig>;
  /** `PUT /partner/webhooks/{type}`; answers the webhook's new configuration. */
  setWebhook(type: WebhookType, update: WebhookUpdate, options?: CallOptions): Promise<WebhookEndpoint>;
  /** `POST /partner/webhooks/test`. Not retried when no answer came. */
  sendTest(type: WebhookType, options?: CallOptions): Promise<TestResult>;
  /** `GET /partner/webhooks/logs`: one page. */
  logs(filters?: LogsFilters, options?: CallOptions): Promise<LogsPage>;
  /** Every entry matching the filters, over every page from `filters.page` (default 1). */
  iterLogs(filters?: LogsFilters, options?: CallOptions): AsyncGenerator<LogEntry, void, undefined>;
  /** `{ baseUrl, apiKey: '[REDACTED]', timeoutMs, maxRetries }`. */
  toJSON(): { baseUrl: string; apiKey: '[REDACTED]'; timeoutMs: number; maxRetries: number };
}

/** `whsec_` + 32 bytes from `crypto.getRandomValues`, as unpadded base64url (49 characters in all). */
export declare function generateSecret(): string;
