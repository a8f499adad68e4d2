// make bench-wasm: the .wasm's size, per-call times in Node and inside
// workerd against crypto.subtle.verify (imported key), node:crypto and the JS
// peers (@octokit/webhooks-methods, standardwebhooks, svix: the Node bench's
// installs), and the time to instantiate the module and verify a first
// request in Node and in workerd. `node bench/bench.mjs --node`: Node's
// figures alone (no workerd).
// Contenders run interleaved, in rounds; each figure is the median of the
// rounds (inside workerd, of workerd's CPU time). A benchmark, not a test:
// it asserts nothing about time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';

import { BitnobWebhook, Webhook, mismatchesOf, sign } from '../node.js';
import { COMPATIBILITY_DATE, workerModules } from '../demo/miniflare.mjs';
import { bundleCommonJs } from './cjs-bundle.mjs';
import { body } from './payload.mjs';
import { bundledWorker } from './wrangler-bundle.mjs';
import { firstRequest, workerdCpu } from './workerd-start.mjs';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'whsec_bench_2f6a1c';
const bytes = new Uint8Array(body);
const signature = sign(SECRET, bytes);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The first and third quartiles of ratios, as "1.01x to 1.04x". */
const quartileRatios = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 4)].toFixed(2)}x to ${sorted[Math.floor((3 * sorted.length) / 4)].toFixed(2)}x`;
};
const fmt = (us) => (Math.abs(us) >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`);

// The JS peers, from the Node bench's installs (make bench-wasm installs them).
const peers = createRequire(fileURLToPath(new URL('../../bindings-node/bench/package.json', import.meta.url)));
const { verify: octokitVerify } = await import(
  join(PKG, 'node_modules', '@octokit', 'webhooks-methods', 'dist-node', 'index.js')
);
const text = body.toString('utf8');
// standardwebhooks and svix sign id.timestamp.body under a base64 secret
// (svix's prefixed whsec_); the Worker derives the same secrets.
const standardSecret = Buffer.from(SECRET).toString('base64');
const standard = new (peers('standardwebhooks').Webhook)(standardSecret);
const svix = new (peers('svix').Webhook)(`whsec_${standardSecret}`);
const schemeHeaders = () => {
  const now = new Date();
  return {
    'webhook-id': 'msg_bench',
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': standard.sign('msg_bench', now, text),
  };
};

// Size: each module, gzipped as tests/size.test.mjs checks it.
const BUDGET = 40 * 1024;
for (const [module, what] of [
  ['bullseye_webhooks_wasm', 'Bullseye verifier, loaded by every receiver'],
  ['bullseye_webhooks_bitnob', 'Bitnob verifier, loaded on first use'],
]) {
  const wasm = readFileSync(join(PKG, 'pkg', `${module}_bg.wasm`));
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  console.log(
    `wasm size (${what}): ${wasm.length} bytes raw, ${gzipped} bytes gzipped (level 9); ` +
      `budget ${BUDGET} gzipped: ${gzipped <= BUDGET ? 'met' : 'NOT met'}`,
  );
}

// Per call, in Node
const webhook = new Webhook(SECRET);
const drift = mismatchesOf(webhook.constructEvent(bytes, signature));
if (drift.length !== 0) throw new Error(`the bench payload is not in the documented shape: ${JSON.stringify(drift)}`);
const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const mac = Uint8Array.from(signature.match(/../g), (h) => parseInt(h, 16));
const reads = (e) => [e.visitor?.email, e.company?.domain, e.session?.utm_source, e.page_views?.length];
const nodeSchemeHeaders = schemeHeaders();
// Bitnob over the same body: the timestamped HMAC-SHA256, and the legacy
// HMAC-SHA512 (signatures from node:crypto; the window is off so that the
// figures do not depend on the clock).
const bitnob = new BitnobWebhook(SECRET, { tolerance: null });
const bitnobTimestamp = String(Math.floor(Date.now() / 1000));
const bitnobHeaders = {
  'x-bitnob-signature': createHmac('sha256', SECRET).update(`${bitnobTimestamp}.`).update(body).digest('hex'),
  'x-bitnob-timestamp': bitnobTimestamp,
};
const bitnobLegacyHeaders = { 'x-bitnob-signature': createHmac('sha512', SECRET).update(body).digest('hex') };
const contenders = {
  'wasm verify': () => webhook.verify(bytes, signature),
  'crypto.subtle.verify': async () => {
    if (!(await crypto.subtle.verify('HMAC', key, mac, bytes))) throw new Error('subtle refused');
  },
  'node:crypto HMAC + timingSafeEqual': () => {
    const tag = createHmac('sha256', SECRET).update(body).digest();
    if (!timingSafeEqual(tag, Buffer.from(signature, 'hex'))) throw new Error('mismatch');
  },
  '@octokit/webhooks-methods verify': async () => {
    if (!(await octokitVerify(SECRET, text, `sha256=${signature}`))) throw new Error('octokit refused');
  },
  'standardwebhooks verify': () => standard.verify(text, nodeSchemeHeaders),
  'svix verify': () => svix.verify(text, nodeSchemeHeaders),
  'wasm constructEvent + reads': () => reads(webhook.constructEvent(bytes, signature)),
  'node:crypto + JSON.parse + reads': () => {
    const tag = createHmac('sha256', SECRET).update(body).digest();
    if (!timingSafeEqual(tag, Buffer.from(signature, 'hex'))) throw new Error('mismatch');
    reads(JSON.parse(body.toString('utf8')));
  },
  'wasm BitnobWebhook verify': () => bitnob.verify(bytes, bitnobHeaders),
  'wasm BitnobWebhook verify (SHA-512)': () => bitnob.verify(bytes, bitnobLegacyHeaders),
  'node:crypto Bitnob HMAC-SHA256': () => {
    const tag = createHmac('sha256', SECRET).update(`${bitnobTimestamp}.`).update(body).digest();
    if (!timingSafeEqual(tag, Buffer.from(bitnobHeaders['x-bitnob-signature'], 'hex'))) throw new Error('mismatch');
  },
};
const ROUNDS = 15;
const CALLS = 2000;
const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(contenders)) {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) await fn();
    samples[name].push(((performance.now() - start) * 1000) / CALLS);
  }
}
const per = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs.slice(2))]));
console.log(`\nper call, ${body.length}-byte identification body, median of ${ROUNDS - 2} interleaved rounds of ${CALLS} calls (async contenders awaited):`);
for (const [name, us] of Object.entries(per)) console.log(`  ${name.padEnd(36)} ${fmt(us)}`);
const ratio = (a, b) => (per[a] / per[b]).toFixed(2);
console.log(`  crypto.subtle.verify / wasm verify: ${ratio('crypto.subtle.verify', 'wasm verify')}x (goal: at least 3x)`);
console.log(`  wasm verify / node:crypto:          ${ratio('wasm verify', 'node:crypto HMAC + timingSafeEqual')}x`);
for (const peer of ['@octokit/webhooks-methods verify', 'standardwebhooks verify', 'svix verify']) {
  console.log(`  ${peer} / wasm verify: ${ratio(peer, 'wasm verify')}x`);
}
console.log(`  wasm constructEvent / node:crypto + JSON.parse: ${ratio('wasm constructEvent + reads', 'node:crypto + JSON.parse + reads')}x`);
console.log(`  wasm BitnobWebhook verify / node:crypto: ${ratio('wasm BitnobWebhook verify', 'node:crypto Bitnob HMAC-SHA256')}x`);

// Instantiate + first verify, in Node: a fresh process each time.
const probe = `
  const body = new TextEncoder().encode(${JSON.stringify(text)});
  const start = performance.now();
  const lib = await import(${JSON.stringify(join(PKG, 'node.js'))});
  new lib.Webhook(${JSON.stringify(SECRET)}).verify(body, ${JSON.stringify(signature)});
  console.log(performance.now() - start);
`;
// The import alone, of the node entry (which compiles nothing until first
// used) and of an empty module, as CPU time (process.cpuUsage: less
// disturbed by a busy machine than the wall clock), interleaved.
const importProbe = (what) => `
  const before = process.cpuUsage();
  await import(${JSON.stringify(what)});
  const used = process.cpuUsage(before);
  console.log((used.user + used.system) / 1000);
`;
const emptyModule = `data:text/javascript,export default 1`;
const nodeStarts = [];
const imports = [];
const emptyImports = [];
for (let i = 0; i < 21; i++) {
  nodeStarts.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })) * 1000);
  imports.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', importProbe(join(PKG, 'node.js'))], { encoding: 'utf8' })) * 1000);
  emptyImports.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', importProbe(emptyModule)], { encoding: 'utf8' })) * 1000);
}
console.log(`\nNode: import + compile + instantiate + first verify: ${fmt(median(nodeStarts))} (median of ${nodeStarts.length} fresh processes)`);
console.log(
  `Node: import of the package (node entry) ${fmt(median(imports))} CPU, an empty module ${fmt(median(emptyImports))}: ` +
    `the package adds ${fmt(median(imports) - median(emptyImports))} (medians of ${imports.length} fresh processes, interleaved)`,
);
if (process.argv.includes('--node')) process.exit(0);

// workerd: start-up and first request of the demo Worker, against the same
// for a Worker that does not load the package; the difference is the
// package's share (compile + instantiate + first verify). The demo Worker is
// bundled as wrangler bundles it (one JavaScript module and the .wasm files:
// what a user's Worker uploads); the same Worker given every shipped file
// as a module of its own (demo/miniflare.mjs, how the tests load it) is
// timed too: workerd compiles every module it is given, imported or not.
const plainWorker = `export default { async fetch(request) { await request.arrayBuffer(); return Response.json({ event_type: 'x' }); } };`;
const bindings = { DEMO_SECRET: SECRET, DEMO_PREVIOUS_SECRET: 'whsec_bench_previous' };
/** [wall µs, workerd CPU µs] of the Worker's start and first request. */
const timedStart = (options) => firstRequest({ ...options, bindings }, '/bullseye', bytes, signature);
const withPackage = [];
const without = [];
const cpuWith = [];
const cpuWithout = [];
const asFiles = [];
const cpuAsFiles = [];
const bundled = await bundledWorker(readFileSync(join(PKG, 'demo', 'worker.js'), 'utf8'), PKG);
await timedStart({ modules: true, script: plainWorker, compatibilityDate: COMPATIBILITY_DATE }); // warm up
for (let i = 0; i < 21; i++) {
  const [wall, cpu] = await timedStart(bundled);
  const [plainWall, plainCpu] = await timedStart({ modules: true, script: plainWorker, compatibilityDate: COMPATIBILITY_DATE });
  const [filesWall, filesCpu] = await timedStart(workerModules(join(PKG, 'demo', 'worker.js'), PKG));
  withPackage.push(wall);
  without.push(plainWall);
  cpuWith.push(cpu);
  cpuWithout.push(plainCpu);
  asFiles.push(filesWall);
  cpuAsFiles.push(filesCpu);
}
// Pairs run back to back, so each pair's difference sees about the same load.
const pairDifferences = withPackage.map((t, i) => t - without[i]);
const quartiles = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${fmt(sorted[Math.floor(sorted.length / 4)])} to ${fmt(sorted[Math.floor((3 * sorted.length) / 4)])}`;
};
console.log(
  `workerd: start + first request ${fmt(median(withPackage))} with the package, ${fmt(median(without))} without: ` +
    `${(median(withPackage) / median(without)).toFixed(2)}x; the package adds ${fmt(median(pairDifferences))} ` +
    `(median of ${withPackage.length} interleaved pairs; middle half of the pair differences ${quartiles(pairDifferences)}; goal at most 5 ms)`,
);
console.log(
  `workerd, the package's files given as separate modules (demo/miniflare.mjs): start + first request ${fmt(median(asFiles))}, ` +
    `the package adds ${fmt(median(asFiles.map((t, i) => t - without[i])))}; CPU time ${fmt(median(cpuAsFiles))}, ` +
    `the package adds ${fmt(median(cpuAsFiles) - median(cpuWithout))} (as above; the bundle's CPU time is on the next line)`,
);
console.log(
  `workerd CPU time (every thread), start + first request: ${fmt(median(cpuWith))} with the package (middle half ${quartiles(cpuWith)}), ` +
    `${fmt(median(cpuWithout))} without (${quartiles(cpuWithout)}): ${(median(cpuWith) / median(cpuWithout)).toFixed(2)}x, ` +
    `the package adds ${fmt(median(cpuWith) - median(cpuWithout))}`,
);

// Per call inside workerd: the Worker above runs a contender n times per
// request, each request timed by workerd's CPU time (every thread, as
// workerdCpu reads it: on a busy machine far steadier than the wall clock,
// which also counts the waits for a core). Per contender, (median at n = N
// - median at n = 0) / N over the rounds. Each round runs every contender,
// n = 0 then n = N, in an order rotated by one each round, so that none
// always runs after the same one. N = 10,000: at 2,000 calls (about 14 ms
// for crypto.subtle.verify) one contender's requests varied by a third
// within a run; a longer request averages over more of what falls in one
// request and not the next (V8's young-generation collections among them).
{
  const N = 10000;
  const ROUNDS_WORKERD = 15;
  const names = [
    'wasm verify',
    'wasm verifyAsync',
    'crypto.subtle.verify',
    '@octokit/webhooks-methods verify',
    'standardwebhooks verify',
    'svix verify',
    'wasm constructEvent + reads',
    'wasm constructEventAsync + reads',
    'crypto.subtle.verify + JSON.parse + reads',
  ];
  const options = workerModules(join(PKG, 'bench', 'worker-bench.js'), PKG);
  options.modules.push({
    type: 'ESModule',
    path: 'octokit-webhooks-methods.js',
    contents: readFileSync(join(PKG, 'node_modules', '@octokit', 'webhooks-methods', 'dist-web', 'index.js'), 'utf8'),
  });
  options.modules.push(
    { type: 'ESModule', path: 'standardwebhooks.js', contents: bundleCommonJs(peers.resolve('standardwebhooks'), ['Webhook']) },
    { type: 'ESModule', path: 'svix.js', contents: bundleCommonJs(peers.resolve('svix/dist/webhook.js'), ['Webhook']) },
  );
  const workerSchemeHeaders = schemeHeaders();
  const mf = new Miniflare(options);
  const request = async (name, n) => {
    const start = workerdCpu();
    const response = await mf.dispatchFetch(`http://bench.test/?contender=${encodeURIComponent(name)}&n=${n}`, {
      method: 'POST',
      body: bytes,
      headers: { 'x-bullseye-signature': signature, ...workerSchemeHeaders },
    });
    const answer = await response.text();
    if (response.status !== 200) throw new Error(`bench worker answered ${response.status} for ${name}: ${answer}`);
    return workerdCpu() - start;
  };
  for (const name of names) await request(name, 2000); // warm up
  const full = Object.fromEntries(names.map((name) => [name, []]));
  const empty = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS_WORKERD; round++) {
    const shift = round % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      empty[name].push(await request(name, 0));
      full[name].push(await request(name, N));
    }
  }
  await mf.dispose();
  const perCall = Object.fromEntries(names.map((name) => [name, (median(full[name]) - median(empty[name])) / N]));
  console.log(
    `\nper call inside workerd, workerd's CPU time (${body.length}-byte body; median of ${ROUNDS_WORKERD} interleaved rounds of ${N} calls, ` +
      `less the median request of 0 calls):`,
  );
  for (const [name, us] of Object.entries(perCall)) console.log(`  ${name.padEnd(44)} ${fmt(us)}`);
  console.log(`  crypto.subtle.verify / wasm verify: ${(perCall['crypto.subtle.verify'] / perCall['wasm verify']).toFixed(2)}x`);
  for (const peer of ['@octokit/webhooks-methods verify', 'standardwebhooks verify', 'svix verify']) {
    console.log(`  ${peer} / wasm verify: ${(perCall[peer] / perCall['wasm verify']).toFixed(2)}x`);
  }
  console.log(
    `  wasm constructEvent / subtle + JSON.parse: ${(perCall['wasm constructEvent + reads'] / perCall['crypto.subtle.verify + JSON.parse + reads']).toFixed(2)}x`,
  );
  // The async path (Web Crypto's HMAC) against Web Crypto alone (goal: at
  // most 1.05x), and the same ratio in each round (both ran in it, one after
  // the other): how far one run's figure can stray.
  const perRound = (name, round) => full[name][round] - empty[name][round];
  const roundRatios = full['wasm verifyAsync'].map((_, round) => perRound('wasm verifyAsync', round) / perRound('crypto.subtle.verify', round));
  console.log(
    `  wasm verifyAsync / crypto.subtle.verify: ${(perCall['wasm verifyAsync'] / perCall['crypto.subtle.verify']).toFixed(2)}x ` +
      `(goal: at most 1.05x; each round's ratio, middle half: ${quartileRatios(roundRatios)})`,
  );
  console.log(
    `  wasm constructEventAsync / subtle + JSON.parse: ${(perCall['wasm constructEventAsync + reads'] / perCall['crypto.subtle.verify + JSON.parse + reads']).toFixed(2)}x`,
  );
}
