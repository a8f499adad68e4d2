// Observability for every integration (Express, Fastify, Fetch, and the
// rest): one log record per refusal, a debug record per accepted delivery,
// the onVerified/onRefused hooks, and an optional OpenTelemetry span. One
// source, js/observe.js, copied into each package by js/sync.mjs; it imports
// nothing, so it runs unchanged in Node, workerd, Deno and browsers.
//
// OpenTelemetry without importing it: @opentelemetry/api (1.x) keeps its
// registered providers on globalThis under Symbol.for('opentelemetry.js.api.1'),
// whichever copy of the API registered them. Reading that one property is
// the whole cost when no SDK is set up, and no module is loaded (a static
// import would make the API a hard dependency; a dynamic one is async and
// not available in every runtime).
//
// One span per delivery, with `verify`, `claim` and `handle` as span events
// rather than child spans: the three steps are sequential parts of one short
// request, events carry their times, and child spans would need the
// context API (a real import) to parent them.

const OTEL_API = Symbol.for('opentelemetry.js.api.1');
const SPAN_NAME = 'bullseye-webhooks delivery';
const STATUS_ERROR = 2; // SpanStatusCode.ERROR in @opentelemetry/api

let tracerCache = { provider: undefined, tracer: undefined };

/** The tracer of the registered TracerProvider, or null when none is. */
function tracer() {
  const provider = globalThis[OTEL_API]?.trace;
  if (provider === undefined || provider === null || typeof provider.getTracer !== 'function') return null;
  if (tracerCache.provider !== provider) tracerCache = { provider, tracer: provider.getTracer('bullseye-webhooks') };
  return tracerCache.tracer;
}

function kindOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * Check the observability options of an integration and make the observer
 * each delivery reports to. `logger` (console, pino, ...) needs `warn`; it
 * gets `debug` records when it has a `debug` method. Without a logger,
 * refusals go to console.warn and accepted deliveries are not logged.
 */
function observer(options) {
  const logger = options?.logger ?? null;
  if (logger !== null && (typeof logger !== 'object' || typeof logger.warn !== 'function')) {
    throw new TypeError(`logger must have a warn method (console, pino, ...), got ${kindOf(logger)}`);
  }
  for (const name of ['onVerified', 'onRefused']) {
    const hook = options?.[name];
    if (hook !== undefined && hook !== null && typeof hook !== 'function') {
      throw new TypeError(`${name} must be a function, got ${kindOf(hook)}`);
    }
  }
  return {
    warn: logger ? (message) => logger.warn(message) : (message) => console.warn(message),
    debug: logger && typeof logger.debug === 'function' ? (message) => logger.debug(message) : null,
    onVerified: options?.onVerified ?? null,
    onRefused: options?.onRefused ?? null,
  };
}

/** Whether `headers` (a Headers, a Map, or a plain object) holds a non-empty value for one of `names`. */
function signatureIn(headers, names) {
  if (headers === null || typeof headers !== 'object') return false;
  for (const name of names) {
    const lower = name.toLowerCase();
    let value;
    if (typeof headers.get === 'function') value = headers.get(lower);
    else {
      for (const key of Object.keys(headers)) {
        if (key.toLowerCase() === lower) value = headers[key];
      }
    }
    if (Array.isArray(value) ? value.some((item) => String(item).trim() !== '') : value !== undefined && value !== null && String(value).trim() !== '') {
      return true;
    }
  }
  return false;
}

function typeOf(received) {
  const type = received?.event_type ?? received?.event ?? received?.type;
  return typeof type === 'string' ? type : null;
}

// A hook that throws must not turn an answer into a 500 nor hide the
// delivery's own outcome: its failure is logged, without its arguments.
function callHook(obs, name, hook, first, info) {
  if (!hook) return;
  try {
    const result = hook(first, info);
    if (result && typeof result.then === 'function') result.then(undefined, (error) => obs.warn(`bullseye-webhooks: ${name} failed: ${error?.name ?? 'error'}`));
  } catch (error) {
    obs.warn(`bullseye-webhooks: ${name} failed: ${error?.name ?? 'error'}`);
  }
}

/**
 * One delivery's report: start it when a request arrives, then call
 * `refused` (ends it) or `verified`, `claimed`, `handled` (ends it).
 */
class Delivery {
  constructor(obs) {
    this.obs = obs;
    const t = tracer();
    this.span = t ? t.startSpan(SPAN_NAME, { kind: 1 /* SpanKind.SERVER */ }) : null;
    this.info = null;
    this.received = null;
    this.done = false;
  }

  /** A refused delivery: one warning (code, signature header present, body length), onRefused, the span ended. */
  refused(error, signaturePresent, bodyLength) {
    if (this.done) return;
    this.done = true;
    const info = { code: error.code, status: error.status, signaturePresent, bodyLength, eventType: null };
    this.obs.warn(
      `bullseye-webhooks: refused a delivery: ${info.code} (${info.status}); signature header ${signaturePresent ? 'present' : 'absent'}; body ${bodyLength} bytes`,
    );
    callHook(this.obs, 'onRefused', this.obs.onRefused, error, info);
    if (this.span) {
      this.span.addEvent('verify', { 'bullseye.outcome': info.code });
      this.span.setAttributes({ 'bullseye.outcome': info.code, 'http.response.status_code': info.status });
      this.span.setStatus({ code: STATUS_ERROR, message: info.code });
      this.span.end();
    }
  }

  /** A verified delivery; `mismatches` are the field type drifts the core reported. */
  verified(received, signaturePresent, bodyLength, mismatches) {
    const eventType = typeOf(received);
    this.received = received;
    this.info = { code: 'ok', status: 200, signaturePresent, bodyLength, eventType };
    if (this.obs.debug) {
      const drift = mismatches.length === 0 ? 'no mismatch' : mismatches.map(({ path, expected, found }) => `${path}: ${expected} expected, ${found} found`).join('; ');
      this.obs.debug(`bullseye-webhooks: accepted a delivery: ${eventType ?? 'no event type'}; body ${bodyLength} bytes; ${drift}`);
    }
    if (this.span) {
      this.span.addEvent('verify', { 'bullseye.outcome': 'ok' });
      if (eventType !== null) this.span.setAttribute('bullseye.event_type', eventType);
      if (mismatches.length > 0) this.span.setAttribute('bullseye.mismatches', mismatches.length);
    }
  }

  /**
   * The de-duplication claim's outcome: `answer` is what the integration
   * sends instead of the handler's (duplicate, in flight, conflict, store
   * unavailable), or null for a new delivery.
   */
  claimed(answer) {
    if (!this.info) return;
    if (answer) {
      this.info.code = answer.body?.duplicate === true ? 'duplicate' : (answer.body?.error ?? 'ok');
      this.info.status = answer.status;
    }
    if (this.span) this.span.addEvent('claim', { 'bullseye.outcome': this.info.code });
    if (answer) this.handled(answer.status, false);
  }

  /** The answer sent (the handler's status, or the claim's): onVerified, the span ended. */
  handled(status, ranHandler = true) {
    if (this.done || !this.info) return;
    this.done = true;
    if (typeof status === 'number') this.info.status = status;
    callHook(this.obs, 'onVerified', this.obs.onVerified, this.received, this.info);
    if (this.span) {
      if (ranHandler) this.span.addEvent('handle', { 'http.response.status_code': this.info.status });
      this.span.setAttributes({ 'bullseye.outcome': this.info.code, 'http.response.status_code': this.info.status });
      if (this.info.status >= 500) this.span.setStatus({ code: STATUS_ERROR, message: this.info.code });
      this.span.end();
    }
  }
}

function startDelivery(obs) {
  return new Delivery(obs);
}

export { observer, startDelivery, signatureIn };
