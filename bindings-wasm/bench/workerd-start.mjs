// A fresh Worker's start and first request in workerd (Miniflare): the one
// measure of bench.mjs's start-up figures and of start-phases.mjs.
import { readFileSync, readdirSync } from 'node:fs';
import { Miniflare } from 'miniflare';

// The CPU time (µs) the workerd processes this one started have used, every
// thread (Linux's /proc/<pid>/task/<tid>/schedstat, in nanoseconds): on a
// busy machine far steadier than the wall clock, which also waits for a core.
export function workerdCpu() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent !== process.pid || !command.startsWith('workerd')) continue;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
      } catch {
        // a thread that ended
      }
    }
  }
  return total;
}

/** A Miniflare started from `options` that has answered 200 to `body` POSTed signed to `path`; the caller disposes of it. */
export async function answeredWorker(options, path, body, signature) {
  const mf = new Miniflare(options);
  const response = await mf.dispatchFetch(`http://worker.test${path}`, { method: 'POST', body, headers: { 'x-bullseye-signature': signature } });
  await response.arrayBuffer();
  if (response.status !== 200) {
    await mf.dispose();
    throw new Error(`worker answered ${response.status}`);
  }
  return mf;
}

/** [wall µs, workerd CPU µs] of a fresh Worker's start and first request (as `answeredWorker`). */
export async function firstRequest(options, path, body, signature) {
  const start = performance.now();
  const mf = await answeredWorker(options, path, body, signature);
  const wall = (performance.now() - start) * 1000;
  const cpu = workerdCpu();
  await mf.dispose();
  return [wall, cpu];
}
