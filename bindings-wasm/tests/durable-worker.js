// The Worker of durable.test.mjs, on the package's workerd entry:
// - POST /store/claim|complete|release with a JSON array of arguments: that
//   call of a DurableObjectStore on env.CLAIMS, answered as JSON;
// - POST /hook: a Webhook handler de-duplicated on env.CLAIMS, whose function
//   answers { processed: true }, or throws when the request has
//   `x-test-fail`, after waiting `x-test-wait` ms when given;
// - POST /broken: the same handler on a namespace whose object always throws;
// - POST /process: the /hook handler with onConflict: 'process';
// - POST /late: the same handler on env.CLAIMS, whose claims land but are
//   answered after the store's time limit (0.3 s);
// - POST /flaky: the /hook handler on env.CLAIMS whose first done mark of
//   each key fails, given the Worker's ctx (its waitUntil keeps the retry);
//   POST /flaky-no-ctx: the same without ctx.
import { Webhook, DurableObjectStore, StoreUnavailableError } from 'bullseye-webhooks-wasm';

export { DeliveryClaims } from 'bullseye-webhooks-wasm';

let handlers;
const quiet = { warn() {}, error() {}, debug() {} };

async function handled(_event, request) {
  const wait = Number(request.headers.get('x-test-wait') ?? 0);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  if (request.headers.has('x-test-fail')) throw new Error('the handler failed');
  return { processed: true };
}

const broken = {
  idFromName: (name) => name,
  get: () => ({
    fetch: async () => {
      throw new Error('Durable Object is overloaded');
    },
  }),
};

/** env.CLAIMS, its claims' answers held back 1 s (past the store's time limit): the claim lands, its answer is late. */
function late(namespace) {
  return {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      const stub = namespace.get(id);
      return {
        async fetch(url, init) {
          const response = await stub.fetch(url, init);
          if (url.endsWith('/claim')) await new Promise((resolve) => setTimeout(resolve, 1000));
          return response;
        },
      };
    },
  };
}

/** `store`, whose first complete of each key throws as an unavailable store would. */
const failedCompletes = new Set();
function failingFirstComplete(store) {
  return {
    claim: (...args) => store.claim(...args),
    async complete(key, ...rest) {
      if (!failedCompletes.has(key)) {
        failedCompletes.add(key);
        throw new StoreUnavailableError('the test fails the first complete of each key');
      }
      return store.complete(key, ...rest);
    },
    release: (...args) => store.release(...args),
  };
}

function handlersFor(env) {
  if (handlers) return handlers;
  const webhook = new Webhook(env.SECRET);
  const hook = webhook.handler(handled, { dedupe: (bindings) => new DurableObjectStore(bindings.CLAIMS) });
  const hookHandler = async (request, bindings) => {
    try {
      return await hook(request, bindings);
    } catch (error) {
      return Response.json({ error: 'handler_threw', message: error.message }, { status: 500 });
    }
  };
  handlers = {
    hook: hookHandler,
    process: webhook.handler(handled, { dedupe: (bindings) => new DurableObjectStore(bindings.CLAIMS), onConflict: 'process' }),
    broken: webhook.handler(handled, { dedupe: () => new DurableObjectStore(broken) }),
    late: webhook.handler(handled, { dedupe: (bindings) => new DurableObjectStore(late(bindings.CLAIMS), { timeout: 0.3 }) }),
    flaky: webhook.handler(handled, { dedupe: (bindings) => failingFirstComplete(new DurableObjectStore(bindings.CLAIMS)), logger: quiet }),
  };
  return handlers;
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/store/')) {
      const store = new DurableObjectStore(env.CLAIMS);
      const call = path.slice('/store/'.length);
      try {
        return Response.json({ answer: await store[call](...(await request.json())) });
      } catch (error) {
        return Response.json({ error: error.name, unavailable: error instanceof StoreUnavailableError }, { status: 500 });
      }
    }
    if (path === '/hook') return handlersFor(env).hook(request, env);
    if (path === '/process') return handlersFor(env).process(request, env);
    if (path === '/broken') return handlersFor(env).broken(request, env);
    if (path === '/late') return handlersFor(env).late(request, env);
    if (path === '/flaky') return handlersFor(env).flaky(request, env, ctx);
    if (path === '/flaky-no-ctx') return handlersFor(env).flaky(request, env);
    return new Response('not found', { status: 404 });
  },
};
