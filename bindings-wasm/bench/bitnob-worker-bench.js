// The Worker bitnob-async.mjs times from outside (workerd's clock does not
// advance while a request runs): one contender `n` times over the body the
// request carries; timing n = N against n = 0 leaves the per-call cost.
import { BitnobWebhook } from 'bullseye-webhooks-wasm';

const SECRET = 'bn_whsk_bench_2f6a1c';
const bitnob = new BitnobWebhook(SECRET, { tolerance: null });
const rotated = new BitnobWebhook(['bn_whsk_bench_old', SECRET], { tolerance: null });
const encoder = new TextEncoder();
let key;

async function subtleVerify(message, mac) {
  key ??= await crypto.subtle.importKey('raw', encoder.encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  if (!(await crypto.subtle.verify('HMAC', key, mac, message))) throw new Error('subtle refused');
}

const CONTENDERS = {
  'verify (.wasm HMAC-SHA256)': async ({ body, headers }) => bitnob.verify(body, headers),
  'verifyAsync (Web Crypto)': ({ body, headers }) => bitnob.verifyAsync(body, headers),
  'verify, 2 secrets': async ({ body, headers }) => rotated.verify(body, headers),
  'verifyAsync, 2 secrets': ({ body, headers }) => rotated.verifyAsync(body, headers),
  // The request's own Headers: Bitnob's three among a dozen others, as a Worker receives them.
  'verify, request.headers': async ({ body, request }) => bitnob.verify(body, request.headers),
  'verifyAsync, request.headers': ({ body, request }) => bitnob.verifyAsync(body, request.headers),
  'verify legacy (.wasm HMAC-SHA512)': async ({ body, legacy }) => bitnob.verify(body, legacy),
  'verifyAsync legacy (the sync path: precheck, then .wasm HMAC-SHA512)': ({ body, legacy }) => bitnob.verifyAsync(body, legacy),
  'constructEvent': async ({ body, headers }) => bitnob.constructEvent(body, headers),
  'constructEventAsync': ({ body, headers }) => bitnob.constructEventAsync(body, headers),
  // Web Crypto alone over `{timestamp}.{body}` (the message already joined, the key cached).
  'crypto.subtle.verify': ({ message, mac }) => subtleVerify(message, mac),
};

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const run = CONTENDERS[url.searchParams.get('contender')];
    const n = Number(url.searchParams.get('n'));
    const body = new Uint8Array(await request.arrayBuffer());
    const pick = (...names) => Object.fromEntries(names.map((name) => [name, request.headers.get(name)]));
    const headers = pick('x-bitnob-signature', 'x-bitnob-timestamp', 'x-bitnob-event');
    const legacy = { 'x-bitnob-signature': request.headers.get('x-legacy-signature'), 'x-bitnob-event': headers['x-bitnob-event'] };
    const prefix = encoder.encode(`${headers['x-bitnob-timestamp']}.`);
    const message = new Uint8Array(prefix.length + body.length);
    message.set(prefix);
    message.set(body, prefix.length);
    const mac = Uint8Array.from(headers['x-bitnob-signature'].match(/../g), (h) => parseInt(h, 16));
    const call = { body, headers, legacy, message, mac, request };
    for (let i = 0; i < n; i++) await run(call);
    return new Response('ok');
  },
};
