// The Fetch API handler behind Webhook#handler and BitnobWebhook#handler,
// shared by every export of both packages (Node, Bun, Deno, workerd,
// edge-light, browsers): it needs only Request and Response. The option and
// verifier checks here are the ones every integration uses (the Node
// package's integrations/common.js re-exports them).
//
// De-duplication needs a store and its claim flow: the Node package's
// (integrations/stores.js over the napi addon) is passed as `dedupe`; the
// workerd entry's (durable.js, a Durable Object) is set by useDedupe; elsewhere
// a de-duplication option is refused when the handler is made, never
// silently ignored.
import backend from './backend.js';
import { describe, WebhookError, requestBody } from './support.js';
import { mismatchesOf } from './answers.js';
import { observer, startDelivery, signatureIn } from './observe.js';

// Where a signature may be, for the log's "signature header present" (the
// verifier reads its own one; any of them counts as present).
const { SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, BITNOB_SIGNATURE_HEADER } = backend.constants;
const SIGNATURE_HEADERS = [SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, BITNOB_SIGNATURE_HEADER];

const INTEGRATION_OPTIONS = new Set(['kind', 'dedupe', 'onStoreError', 'onConflict', 'waitForInFlight', 'lease', 'retention', 'logger', 'onVerified', 'onRefused']);
const DEDUPE_OPTIONS = ['dedupe', 'onStoreError', 'onConflict', 'waitForInFlight', 'lease', 'retention'];

function integrationOptions(options, extra = []) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!INTEGRATION_OPTIONS.has(key) && !extra.includes(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; the options are ${[...INTEGRATION_OPTIONS, ...extra].join(', ')}`);
    }
  }
  return options;
}

function checkedKind(options) {
  const kind = options?.kind ?? 'event';
  if (kind !== 'event' && kind !== 'visit') {
    throw new TypeError(`kind must be "event" or "visit", got ${JSON.stringify(kind)}`);
  }
  return kind;
}

/**
 * The one verifier protocol the integrations take: a Webhook, a
 * BitnobWebhook, or any object with `constructEvent(body, headers)` (and
 * `constructVisit` for `kind: 'visit'`) and `maxBodyBytes`.
 */
function checkedVerifier(verifier, kind) {
  const ok =
    verifier !== null &&
    typeof verifier === 'object' &&
    typeof verifier.constructEvent === 'function' &&
    Number.isSafeInteger(verifier.maxBodyBytes) &&
    (kind !== 'visit' || typeof verifier.constructVisit === 'function');
  if (!ok) {
    const what = kind === 'visit' ? 'a Webhook (kind: "visit" needs constructVisit)' : 'a Webhook or a BitnobWebhook';
    throw new TypeError(`expected ${what}, got ${describe(verifier)}`);
  }
  return verifier;
}

/** Construct what `kind` asks for from a raw body and headers. */
function construct(verifier, kind, body, headers) {
  return kind === 'visit' ? verifier.constructVisit(body, headers) : verifier.constructEvent(body, headers);
}

/** Report a refusal (`error`, a WebhookError) of a body of `length` bytes. */
function refuse(delivery, error, headers, length) {
  delivery.refused(error, signatureIn(headers, SIGNATURE_HEADERS), length);
}

/**
 * Construct what `kind` asks for from a raw body of `length` bytes and
 * report it to `delivery` (observe.js): verified, or refused (then the
 * WebhookError is thrown on, for the integration to answer).
 */
function receiveBody(delivery, verifier, kind, body, headers, length) {
  let received;
  try {
    received = construct(verifier, kind, body, headers);
  } catch (error) {
    if (error instanceof WebhookError) refuse(delivery, error, headers, length);
    throw error;
  }
  delivery.verified(received, signatureIn(headers, SIGNATURE_HEADERS), length, mismatchesOf(received));
  return received;
}

/** The runtime's claim flow when the caller passes none (the workerd entry sets it). */
let runtimeDedupe = null;
function useDedupe(dedupe) {
  runtimeDedupe = dedupe;
}

/** Without a store implementation: refuse every de-duplication option, by name. */
function noDedupe(options) {
  const given = DEDUPE_OPTIONS.filter((key) => options?.[key] !== undefined);
  if (given.length > 0) {
    throw new TypeError(
      `the ${given.join(', ')} option${given.length > 1 ? 's need' : ' needs'} a de-duplication store, which this runtime's ` +
        'package does not have: use the Node package (bullseye-webhooks) on Node or Bun, where its native addon loads, a DurableObjectStore on Cloudflare Workers, or de-duplicate in your function',
    );
  }
  return null;
}

/** `ctx.waitUntil` as a function of a promise, when the runtime gave one. */
function keepAliveOf(ctx) {
  return typeof ctx?.waitUntil === 'function' ? (promise) => ctx.waitUntil(promise) : null;
}

/** What a Fetch handler's function returned, as a Response. */
function responseOf(value) {
  if (value instanceof Response) return value;
  if (value === undefined) return new Response(null, { status: 204 });
  return Response.json(value);
}

/**
 * `verifier.handler(fn, options)`: see Webhook#handler. `dedupe` is the
 * package's claim flow, `{ dedupeSettings, claimDelivery, settleClaim }`
 * (the workerd entry's adds `settingsFor(settings, env)`, for a store made
 * from the request's bindings), or null where there is no store.
 */
function fetchHandler(verifier, fn, options, dedupe = runtimeDedupe) {
  if (typeof fn !== 'function') throw new TypeError(`handler takes a function (event, request) => Response, got ${describe(fn)}`);
  integrationOptions(options);
  const kind = checkedKind(options);
  checkedVerifier(verifier, kind);
  const settings = dedupe ? dedupe.dedupeSettings(options) : noDedupe(options);
  const obs = observer(options);
  // `env`: a Worker's bindings (a store may be a function of them); `ctx`:
  // its ExecutionContext, whose waitUntil keeps a failed settle's background
  // retries alive after the answer (a Worker stops the request's work then).
  return async function bullseyeHandler(request, env, ctx) {
    const delivery = startDelivery(obs);
    let received;
    let body;
    try {
      try {
        body = await requestBody(request, verifier.maxBodyBytes);
      } catch (error) {
        // Too large: the length the sender declared, when it did.
        if (error instanceof WebhookError) refuse(delivery, error, request.headers, Number(request.headers.get('content-length')) || 0);
        throw error;
      }
      received = receiveBody(delivery, verifier, kind, body, request.headers, body.byteLength);
    } catch (error) {
      if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
      throw error;
    }
    let claim = null;
    const active = settings && dedupe.settingsFor ? dedupe.settingsFor(settings, env) : settings;
    if (active) {
      const claimed = await dedupe.claimDelivery(active, received, body);
      delivery.claimed(claimed.answer);
      if (claimed.answer) {
        const { status, headers, body: answer } = claimed.answer;
        return Response.json(answer, { status, headers });
      }
      claim = claimed.claim;
    }
    let response;
    try {
      response = responseOf(await fn(received, request));
    } catch (error) {
      delivery.handled(500);
      if (active) await dedupe.settleClaim(active, claim, false, undefined, keepAliveOf(ctx));
      throw error;
    }
    delivery.handled(response.status);
    if (active) await dedupe.settleClaim(active, claim, response.ok, undefined, keepAliveOf(ctx));
    return response;
  };
}

export { integrationOptions, checkedKind, checkedVerifier, construct, receiveBody, refuse, observer, startDelivery, fetchHandler, useDedupe };
