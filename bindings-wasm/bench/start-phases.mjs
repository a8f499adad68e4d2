// Where a Worker's start-up goes (bench/PROFILE.md, "Worker start"): the
// workerd CPU time (every thread) of a fresh Miniflare's start and first
// request, for Workers that stop at successive phases of what the demo
// Worker does, each bundled as wrangler bundles it (wrangler-bundle.mjs),
// against the empty Worker, interleaved.
// `node bench/start-phases.mjs [rounds]` after `make build-wasm`. A benchmark,
// not a test: it asserts nothing about time.
// `node bench/start-phases.mjs --callgrind` counts instructions instead (one
// start each, deterministic to about 0.1 M): workerd under valgrind's
// callgrind (Debian's `valgrind`), through Miniflare's MINIFLARE_WORKERD_PATH,
// every thread, dumped once the first response has arrived.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sign } from '../node.js';
import { body } from './payload.mjs';
import { bundledWorker } from './wrangler-bundle.mjs';
import { answeredWorker, firstRequest } from './workerd-start.mjs';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const CALLGRIND = process.argv[2] === '--callgrind';
const ROUNDS = CALLGRIND ? 1 : Number(process.argv[2] ?? 21);
const SECRET = 'whsec_bench_2f6a1c';
const bytes = new Uint8Array(body);
const signature = sign(SECRET, bytes);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const answer = `return new Response('ok');`;
// Each phase: the Worker's source (importing the package, as wrangler resolves it).
const PHASES = {
  'empty Worker': `export default { async fetch(request) { await request.arrayBuffer(); ${answer} } };`,
  'import the .wasm modules only': `import a from './pkg/bullseye_webhooks_wasm_bg.wasm'; import b from './pkg/bullseye_webhooks_bitnob_bg.wasm';
    export default { async fetch(request) { await request.arrayBuffer(); if (!a || !b) throw 1; ${answer} } };`,
  'import the package': `import { Webhook } from 'bullseye-webhooks-wasm';
    export default { async fetch(request) { await request.arrayBuffer(); if (typeof Webhook !== 'function') throw 1; ${answer} } };`,
  '+ instantiate the .wasm': `import { initSync } from 'bullseye-webhooks-wasm'; import wasm from './pkg/bullseye_webhooks_wasm_bg.wasm';
    export default { async fetch(request) { await request.arrayBuffer(); initSync(wasm); ${answer} } };`,
  '+ new Webhook': `import { Webhook } from 'bullseye-webhooks-wasm';
    export default { async fetch(request) { await request.arrayBuffer(); new Webhook('${SECRET}'); ${answer} } };`,
  '+ verify': `import { Webhook } from 'bullseye-webhooks-wasm';
    export default { async fetch(request) { const body = new Uint8Array(await request.arrayBuffer());
      new Webhook('${SECRET}').verify(body, request.headers.get('x-bullseye-signature')); ${answer} } };`,
  '+ constructEvent': `import { Webhook } from 'bullseye-webhooks-wasm';
    export default { async fetch(request) { const body = new Uint8Array(await request.arrayBuffer());
      new Webhook('${SECRET}').constructEvent(body, request.headers.get('x-bullseye-signature')); ${answer} } };`,
  '+ constructEventAsync': `import { Webhook } from 'bullseye-webhooks-wasm';
    export default { async fetch(request) { const body = new Uint8Array(await request.arrayBuffer());
      await new Webhook('${SECRET}').constructEventAsync(body, request.headers.get('x-bullseye-signature')); ${answer} } };`,
  'demo Worker (bench.mjs)': readFileSync(join(PKG, 'demo', 'worker.js'), 'utf8'),
  // The Bullseye-only entry (no Bitnob module, no Durable Object store).
  '/bullseye: import': `import { Webhook } from 'bullseye-webhooks-wasm/bullseye';
    export default { async fetch(request) { await request.arrayBuffer(); if (typeof Webhook !== 'function') throw 1; ${answer} } };`,
  '/bullseye: + constructEvent': `import { Webhook } from 'bullseye-webhooks-wasm/bullseye';
    export default { async fetch(request) { const body = new Uint8Array(await request.arrayBuffer());
      new Webhook('${SECRET}').constructEvent(body, request.headers.get('x-bullseye-signature')); ${answer} } };`,
  '/bullseye: + constructEventAsync': `import { Webhook } from 'bullseye-webhooks-wasm/bullseye';
    export default { async fetch(request) { const body = new Uint8Array(await request.arrayBuffer());
      await new Webhook('${SECRET}').constructEventAsync(body, request.headers.get('x-bullseye-signature')); ${answer} } };`,
};

const bundles = {};
for (const [name, source] of Object.entries(PHASES)) bundles[name] = { ...(await bundledWorker(source, PKG)), bindings: { DEMO_SECRET: SECRET } };

// Each phase's Worker is POSTed to /bullseye when it is the demo (which
// routes by path), else to /.
const pathOf = (options) => (options.modules[0].contents.includes('DeliveryClaims') ? '/bullseye' : '/');

if (CALLGRIND) {
  const dir = mkdtempSync(join(tmpdir(), 'start-phases-'));
  const workerd = join(dirname(createRequire(import.meta.url).resolve('workerd/package.json')), 'bin', 'workerd');
  const wrapper = join(dir, 'workerd');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --dump-instr=no -q ` +
      `--callgrind-out-file=${dir}/callgrind.%p.out ${workerd} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  process.env.MINIFLARE_WORKERD_PATH = wrapper;
  const counts = {};
  for (const [name, options] of Object.entries(bundles)) {
    const mf = await answeredWorker(options, pathOf(options), bytes, signature);
    execFileSync('callgrind_control', ['--dump'], { stdio: 'ignore' });
    await mf.dispose();
    counts[name] = 0;
    for (const file of readdirSync(dir).filter((f) => f.startsWith('callgrind.'))) {
      const totals = readFileSync(join(dir, file), 'utf8').match(/^totals: (\d+)/m);
      if (totals) counts[name] += Number(totals[1]);
      rmSync(join(dir, file));
    }
  }
  rmSync(dir, { recursive: true });
  console.log('workerd instructions of start + first request (callgrind, every thread):');
  for (const [name, count] of Object.entries(counts)) {
    const added = ((count - counts['empty Worker']) / 1e6).toFixed(1);
    console.log(`  ${name.padEnd(30)} ${(count / 1e6).toFixed(1).padStart(7)} M, adds ${added.padStart(5)} M`);
  }
  process.exit(0);
}

const cpu = Object.fromEntries(Object.keys(PHASES).map((name) => [name, []]));
const wall = Object.fromEntries(Object.keys(PHASES).map((name) => [name, []]));
await firstRequest(bundles['empty Worker'], pathOf(bundles['empty Worker']), bytes, signature); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(PHASES)) {
    const [w, c] = await firstRequest(bundles[name], pathOf(bundles[name]), bytes, signature);
    wall[name].push(w);
    cpu[name].push(c);
  }
}
const ms = (us) => `${(us / 1000).toFixed(2)} ms`;
console.log(`workerd CPU time of start + first request, median of ${ROUNDS} interleaved rounds (wall clock in brackets):`);
for (const name of Object.keys(PHASES)) {
  // Each round's difference from the same round's empty Worker: load drifts between rounds.
  const added = median(cpu[name].map((c, round) => c - cpu['empty Worker'][round]));
  const size = bundles[name].modules[0].contents.length;
  console.log(
    `  ${name.padEnd(30)} ${ms(median(cpu[name])).padStart(9)} CPU, adds ${ms(added).padStart(8)} ` +
      `(bundle ${(size / 1024).toFixed(1)} KB of JS) [wall ${ms(median(wall[name]))}]`,
  );
}
