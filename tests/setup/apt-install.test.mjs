// scripts/apt-install.sh, the one place the setup runs apt-get: run with
// stubs of `id`, `sudo` and `apt-get` first on a PATH that has nothing else,
// so no real package is installed. As root it calls apt-get itself; as
// another user it goes through sudo (GitHub's runners), passing
// DEBIAN_FRONTEND through sudo's reset environment; without sudo it says what
// to install; `apt-get update` only after a failed install. And no other
// setup file calls apt-get.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'apt-install.sh');
const BASH = ['/bin/bash', '/usr/bin/bash'].find((path) => existsSync(path));
const ENV = ['/usr/bin/env', '/bin/env'].find((path) => existsSync(path));

/** Run the helper with stubs; returns its exit status, stderr and the commands the stubs saw. */
function run(t, { uid, sudo = true, failFirstInstall = false }, packages = ['chromium', 'chromium-driver']) {
  const dir = mkdtempSync(join(tmpdir(), 'apt-install-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'calls.log');
  const stub = (name, body) => {
    writeFileSync(join(dir, name), `#!${BASH}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  symlinkSync(ENV, join(dir, 'env'));
  stub('id', `[ "$1" = -u ] && echo ${uid}`);
  if (sudo) stub('sudo', `echo "sudo $*" >> '${log}'; exec "$@"`);
  stub(
    'apt-get',
    `echo "apt-get $* DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-}" >> '${log}'
if [ "$1" = install ] && ${failFirstInstall} && [ ! -e '${dir}/failed' ]; then : > '${dir}/failed'; exit 100; fi`,
  );
  const result = spawnSync(BASH, [SCRIPT, ...packages], { env: { PATH: dir }, encoding: 'utf8' });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { status: result.status, stderr: result.stderr, calls };
}

test('as root: apt-get itself, no sudo', (t) => {
  const { status, calls } = run(t, { uid: 0 });
  assert.equal(status, 0);
  assert.deepEqual(calls, ['apt-get install -y -qq chromium chromium-driver DEBIAN_FRONTEND=noninteractive']);
});

test('as another user with sudo: through sudo, DEBIAN_FRONTEND kept', (t) => {
  const { status, calls } = run(t, { uid: 1001 });
  assert.equal(status, 0);
  assert.deepEqual(calls, [
    'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver',
    'apt-get install -y -qq chromium chromium-driver DEBIAN_FRONTEND=noninteractive',
  ]);
});

test('as another user without sudo: fails, naming what to install, and runs nothing', (t) => {
  const { status, stderr, calls } = run(t, { uid: 1001, sudo: false }, ['redis-server']);
  assert.equal(status, 1);
  assert.match(stderr, /redis-server missing.*no sudo.*as root/);
  assert.deepEqual(calls, []);
});

test('a failed install updates the package lists, then installs again', (t) => {
  const { status, calls } = run(t, { uid: 0, failFirstInstall: true }, ['redis-server']);
  assert.equal(status, 0);
  assert.deepEqual(calls, [
    'apt-get install -y -qq redis-server DEBIAN_FRONTEND=noninteractive',
    'apt-get update -qq DEBIAN_FRONTEND=noninteractive',
    'apt-get install -y -qq redis-server DEBIAN_FRONTEND=noninteractive',
  ]);
});

test('no other setup file runs apt-get', () => {
  const files = [
    'Makefile',
    ...readdirSync(join(ROOT, 'scripts')).map((name) => `scripts/${name}`),
    ...['bindings-node', 'bindings-python', 'bindings-wasm', 'cli'].flatMap((dir) =>
      readdirSync(join(ROOT, dir)).filter((name) => name.endsWith('.mk')).map((name) => `${dir}/${name}`),
    ),
  ].filter((file) => file !== 'scripts/apt-install.sh');
  const offenders = files.filter((file) => /^[^#]*\bapt-get\b/m.test(readFileSync(join(ROOT, file), 'utf8')));
  assert.deepEqual(offenders, [], 'call scripts/apt-install.sh instead (root or sudo)');
});
