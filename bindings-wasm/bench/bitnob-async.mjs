// Bitnob's async path against its sync one: `node bench/bitnob-async.mjs`
// (after `make build-wasm`). Per call inside workerd (the Worker in
// bitnob-worker-bench.js, timed from outside as bench.mjs times Webhook's),
// then in Node with Web Crypto (the web entry under a user agent other than
// Node's, as tests/async.test.mjs runs it: in Node itself the async path
// keeps the .wasm's HMAC). The ~3 KB body of bench.mjs, or with `--kb N`
// that body repeated to N KB inside a JSON string; figures are medians, and
// ratios are what to compare across machines.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { workerModules } from '../demo/miniflare.mjs';
import { body as payload } from './payload.mjs';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const kb = process.argv.includes('--kb') ? Number(process.argv[process.argv.indexOf('--kb') + 1]) : 0;
const body = kb > 0
  ? Buffer.from(JSON.stringify({ event: 'visitor.identified', pad: payload.toString('utf8').repeat(Math.ceil((kb * 1024) / payload.length)).slice(0, kb * 1024) }))
  : payload;
const SECRET = 'bn_whsk_bench_2f6a1c';
const timestamp = String(Math.floor(Date.now() / 1000));
const event = JSON.parse(body).event ?? 'visitor.identified';
const headers = {
  'x-bitnob-signature': createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest('hex'),
  'x-bitnob-timestamp': timestamp,
  'x-bitnob-event': event,
};
// What else a Worker's request carries (Cloudflare's and the client's).
const EDGE_HEADERS = {
  accept: '*/*',
  'accept-encoding': 'gzip, br',
  'cf-connecting-ip': '203.0.113.7',
  'cf-ipcountry': 'NG',
  'cf-ray': '8f1e2d3c4b5a6978-LOS',
  'cf-visitor': '{"scheme":"https"}',
  'content-type': 'application/json',
  'user-agent': 'Bitnob-Webhooks/1.0',
  'x-forwarded-proto': 'https',
  'x-real-ip': '203.0.113.7',
};
const legacySignature = createHmac('sha512', SECRET).update(body).digest('hex');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (us) => `${us.toFixed(2)} µs`;

function report(where, perCall) {
  console.log(`\n${where} (${body.length}-byte body):`);
  for (const [name, us] of Object.entries(perCall)) console.log(`  ${name.padEnd(36)} ${fmt(us)}`);
  const ratio = (a, b) => `${(perCall[a] / perCall[b]).toFixed(2)}x`;
  console.log(`  verifyAsync / verify: ${ratio('verifyAsync (Web Crypto)', 'verify (.wasm HMAC-SHA256)')}`);
  console.log(`  verifyAsync / verify, 2 secrets: ${ratio('verifyAsync, 2 secrets', 'verify, 2 secrets')}`);
  if (perCall['verify, request.headers'] !== undefined) {
    console.log(`  verifyAsync / verify, request.headers: ${ratio('verifyAsync, request.headers', 'verify, request.headers')}`);
  }
  console.log(`  verifyAsync / verify, legacy: ${ratio('verifyAsync legacy (the sync path: precheck, then .wasm HMAC-SHA512)', 'verify legacy (.wasm HMAC-SHA512)')}`);
  console.log(`  constructEventAsync / constructEvent: ${ratio('constructEventAsync', 'constructEvent')}`);
  console.log(`  verifyAsync / crypto.subtle.verify alone: ${ratio('verifyAsync (Web Crypto)', 'crypto.subtle.verify')}`);
}

// workerd: (median time at n = N) - (median at n = 0), over N.
{
  const N = 2000;
  const ROUNDS = 9;
  const names = [
    'verify (.wasm HMAC-SHA256)',
    'verifyAsync (Web Crypto)',
    'verify, 2 secrets',
    'verifyAsync, 2 secrets',
    'verify, request.headers',
    'verifyAsync, request.headers',
    'verify legacy (.wasm HMAC-SHA512)',
    'verifyAsync legacy (the sync path: precheck, then .wasm HMAC-SHA512)',
    'constructEvent',
    'constructEventAsync',
    'crypto.subtle.verify',
  ];
  const mf = new Miniflare(workerModules(join(PKG, 'bench', 'bitnob-worker-bench.js'), PKG));
  const request = async (name, n) => {
    const start = performance.now();
    const response = await mf.dispatchFetch(`http://bench.test/?contender=${encodeURIComponent(name)}&n=${n}`, {
      method: 'POST',
      body,
      headers: { ...EDGE_HEADERS, ...headers, 'x-legacy-signature': legacySignature },
    });
    const answer = await response.text();
    if (response.status !== 200) throw new Error(`bench worker answered ${response.status} for ${name}: ${answer}`);
    return (performance.now() - start) * 1000;
  };
  for (const name of names) await request(name, 200); // warm up
  const full = Object.fromEntries(names.map((name) => [name, []]));
  const empty = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      full[name].push(await request(name, N));
      empty[name].push(await request(name, 0));
    }
  }
  await mf.dispose();
  report(
    `per call inside workerd (median of ${ROUNDS} rounds of ${N} calls, request overhead subtracted)`,
    Object.fromEntries(names.map((name) => [name, (median(full[name]) - median(empty[name])) / N])),
  );
}

// Node with Web Crypto: the same contenders, timed in this process.
{
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'bullseye-webhooks-bench/1 (not Node)' }, configurable: true });
  const lib = await import('../index.js');
  lib.initSync(readFileSync(join(PKG, 'pkg', 'bullseye_webhooks_wasm_bg.wasm')));
  lib.initBitnobSync(readFileSync(join(PKG, 'pkg', 'bullseye_webhooks_bitnob_bg.wasm')));
  const bitnob = new lib.BitnobWebhook(SECRET, { tolerance: null });
  const rotated = new lib.BitnobWebhook(['bn_whsk_bench_old', SECRET], { tolerance: null });
  const bytes = new Uint8Array(body);
  const legacy = { 'x-bitnob-signature': legacySignature, 'x-bitnob-event': event };
  const message = new Uint8Array(Buffer.concat([Buffer.from(`${timestamp}.`), body]));
  const mac = Uint8Array.from(Buffer.from(headers['x-bitnob-signature'], 'hex'));
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const contenders = {
    'verify (.wasm HMAC-SHA256)': async () => bitnob.verify(bytes, headers),
    'verifyAsync (Web Crypto)': () => bitnob.verifyAsync(bytes, headers),
    'verify, 2 secrets': async () => rotated.verify(bytes, headers),
    'verifyAsync, 2 secrets': () => rotated.verifyAsync(bytes, headers),
    'verify legacy (.wasm HMAC-SHA512)': async () => bitnob.verify(bytes, legacy),
    'verifyAsync legacy (the sync path: precheck, then .wasm HMAC-SHA512)': () => bitnob.verifyAsync(bytes, legacy),
    constructEvent: async () => bitnob.constructEvent(bytes, headers),
    constructEventAsync: () => bitnob.constructEventAsync(bytes, headers),
    'crypto.subtle.verify': async () => {
      if (!(await crypto.subtle.verify('HMAC', key, mac, message))) throw new Error('subtle refused');
    },
  };
  const N = 2000;
  const perCall = {};
  for (const [name, run] of Object.entries(contenders)) {
    for (let i = 0; i < 500; i++) await run(); // warm up (and the keys imported)
    const rounds = [];
    for (let round = 0; round < 9; round++) {
      const start = performance.now();
      for (let i = 0; i < N; i++) await run();
      rounds.push(((performance.now() - start) * 1000) / N);
    }
    perCall[name] = median(rounds);
  }
  report('per call in Node with Web Crypto (median of 9 rounds of 2000 calls)', perCall);
}
