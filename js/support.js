// Errors and Fetch Request bodies, shared by the API both npm packages
// export (webhooks.js) and by the Node package's integrations. One source,
// js/support.js in the repository, copied into each package by js/sync.mjs
// (`make build-node`, `make build-wasm`); `./backend.js` is the package's
// own (see webhooks.js).
import backend from './backend.js';

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value;
}

// The HTTP status of each code, as the core assigns it (read once the
// core is loaded).
let httpStatus;

function statusOf(code) {
  if (httpStatus === undefined) {
    if (!backend.loaded()) return undefined;
    const statuses = backend.errorStatuses();
    httpStatus = new Map(backend.errorCodes().map((known, i) => [known, statuses[i]]));
  }
  return httpStatus.get(code);
}

/** Every failure this package reports: `.code` is one of ERROR_CODES. */
class WebhookError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
    /** The HTTP status a receiver should answer with (413, 400 or 401). */
    this.status = statusOf(code) ?? 400;
  }
}

/**
 * An error thrown by the core's binding, as a WebhookError; a binding's
 * refusal of an argument (an error with another code) as a TypeError.
 * Only an argument the checks here let through can be one; anything else
 * is a bug, kept as thrown.
 */
function wrapped(error) {
  if (error !== null && typeof error === 'object' && typeof error.code === 'string') {
    if (statusOf(error.code) !== undefined) return new WebhookError(error.code, error.message);
    return new TypeError(error.message);
  }
  return error;
}

// ---------------------------------------------------------------------------
// Fetch API Requests

function tooLarge(limit) {
  return new WebhookError('body_too_large', `body_too_large: the body is more than the limit of ${limit} bytes`);
}

function declaredLength(value) {
  const length = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(length) ? length : undefined;
}

/** A Fetch API Request's body, read up to `limit` bytes (more is body_too_large; the stream is cancelled). */
async function requestBody(request, limit) {
  if (request === null || typeof request !== 'object' || !('headers' in request) || !('body' in request)) {
    throw new TypeError(`expected a Fetch API Request, got ${describe(request)}`);
  }
  if (request.bodyUsed) {
    throw new WebhookError('invalid_body', 'invalid_body: the request body was already read; pass the request before reading its body');
  }
  const declared = declaredLength(request.headers.get('content-length'));
  if (declared !== undefined && declared > limit) {
    await request.body?.cancel();
    throw tooLarge(limit);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export { describe, WebhookError, wrapped, tooLarge, requestBody };
