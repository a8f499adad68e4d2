// Hono middleware over the verifier's own Fetch handler (fetch.js), so it
// answers, logs and de-duplicates exactly as `webhook.handler` does in the
// package it comes from (the Node package's stores; elsewhere none). The
// handler is made once; each request's context and `next` are found again
// from its Request, which Hono hands the handler as `c.req.raw`.

/** Hono's `c.executionCtx`, or undefined where the runtime has none (Hono's getter throws there). */
function executionContextOf(c) {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/** `honoMiddleware(webhook, options)`: verify, set `bullseyeEvent` (or `bullseyeVisit`), then `next()`. */
function honoMiddleware(verifier, options) {
  if (verifier === null || typeof verifier !== 'object' || typeof verifier.handler !== 'function') {
    throw new TypeError('honoMiddleware takes a Webhook or a BitnobWebhook');
  }
  const key = options?.kind === 'visit' ? 'bullseyeVisit' : 'bullseyeEvent';
  const pending = new WeakMap();
  const handle = verifier.handler(async (received, request) => {
    const { c, next } = pending.get(request);
    c.set(key, received);
    await next();
    return c.res;
  }, options);
  return async function bullseyeHono(c, next) {
    const request = c.req.raw;
    pending.set(request, { c, next });
    try {
      // A Worker's bindings (for a store made from them) and its ExecutionContext.
      return await handle(request, c.env, executionContextOf(c));
    } finally {
      pending.delete(request);
    }
  };
}

export { honoMiddleware };
