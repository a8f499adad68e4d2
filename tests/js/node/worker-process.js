'use strict';
// What the queue tests share: a worker process started with its
// environment (ready once it prints "ready"), and the side-effect lines its
// handler writes ("start|done|failed <key> <pid>").
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

function startWorker(script, env) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (data) => (String(data).startsWith('ready') ? resolve(child) : reject(new Error(String(data)))));
  });
}

function lines(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ')) : [];
}

/** How many "done" lines each key has. */
function doneCounts(file) {
  const done = {};
  for (const [what, key] of lines(file)) if (what === 'done') done[key] = (done[key] ?? 0) + 1;
  return done;
}

function killAll(children) {
  for (const child of children) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * The outcome of a worker killed inside a handler: every key done exactly
 * once, and the hung key started by the doomed worker, then started and
 * done by the survivor.
 */
function assertTakenOver(file, keys, hungKey, doomed, survivor) {
  assert.deepEqual(doneCounts(file), Object.fromEntries(keys.map((key) => [key, 1])));
  const hung = lines(file).filter(([, key]) => key === hungKey);
  assert.deepEqual(hung.map(([what]) => what), ['start', 'start', 'done']);
  assert.equal(hung[0][2], String(doomed.pid));
  assert.equal(hung[2][2], String(survivor.pid));
}

module.exports = { startWorker, lines, doneCounts, killAll, assertTakenOver };
