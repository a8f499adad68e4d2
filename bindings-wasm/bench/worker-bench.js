// The Worker that `bench.mjs` times from outside (workerd's clock does not
// advance while a request runs), by workerd's CPU time. A request runs one
// contender `n` times over the body it carries; timing n = N against n = 0
// leaves the per-call cost.
import { Webhook } from 'bullseye-webhooks-wasm';
// The peers: @octokit/webhooks-methods' Web build (Web Crypto), and
// standardwebhooks and svix (pure JS; bench.mjs bundles them as modules).
import { verify as octokitVerify } from './octokit-webhooks-methods.js';
import { Webhook as StandardWebhook } from './standardwebhooks.js';
import { Webhook as SvixWebhook } from './svix.js';

const SECRET = 'whsec_bench_2f6a1c';
const webhook = new Webhook(SECRET);
// standardwebhooks and svix take the secret base64-encoded (svix with whsec_).
const standard = new StandardWebhook(btoa(SECRET));
const svix = new SvixWebhook(`whsec_${btoa(SECRET)}`);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let key;
let sink = 0;
const reads = (e) => {
  sink += e.visitor.email.length + e.company.domain.length + e.session.utm_source.length + e.page_views.length;
};

async function subtleVerify(body, mac) {
  key ??= await crypto.subtle.importKey('raw', encoder.encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  if (!(await crypto.subtle.verify('HMAC', key, mac, body))) throw new Error('subtle refused');
}

const CONTENDERS = {
  'wasm verify': async ({ body, signature }) => webhook.verify(body, signature),
  // The async path: the HMAC by Web Crypto (an imported key per secret,
  // cached), the checks, the constant-time compare and the reader in the .wasm.
  'wasm verifyAsync': ({ body, signature }) => webhook.verifyAsync(body, signature),
  // Its promise as is, as verifyAsync's is: no async layer around it.
  'crypto.subtle.verify': ({ body, mac }) => subtleVerify(body, mac),
  '@octokit/webhooks-methods verify': async ({ body, signature }) => {
    if (!(await octokitVerify(SECRET, decoder.decode(body), `sha256=${signature}`))) throw new Error('octokit refused');
  },
  // Each with its own signing scheme (HMAC of id.timestamp.body); both JSON.parse the body.
  'standardwebhooks verify': async ({ body, headers }) => standard.verify(decoder.decode(body), headers),
  'svix verify': async ({ body, headers }) => svix.verify(decoder.decode(body), headers),
  'wasm constructEvent + reads': async ({ body, signature }) => reads(webhook.constructEvent(body, signature)),
  'wasm constructEventAsync + reads': async ({ body, signature }) => reads(await webhook.constructEventAsync(body, signature)),
  'crypto.subtle.verify + JSON.parse + reads': async ({ body, mac }) => {
    await subtleVerify(body, mac);
    reads(JSON.parse(decoder.decode(body)));
  },
};

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const run = CONTENDERS[url.searchParams.get('contender')];
    const n = Number(url.searchParams.get('n'));
    const signature = request.headers.get('x-bullseye-signature');
    const mac = Uint8Array.from(signature.match(/../g), (h) => parseInt(h, 16));
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, request.headers.get(name)]),
    );
    const call = { body: new Uint8Array(await request.arrayBuffer()), signature, mac, headers };
    for (let i = 0; i < n; i++) await run(call);
    return new Response(String(sink));
  },
};
