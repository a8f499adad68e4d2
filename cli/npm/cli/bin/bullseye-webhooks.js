#!/usr/bin/env node
// Runs the bullseye-webhooks binary of the per-platform package npm installed
// beside this one (optionalDependencies filtered by os/cpu/libc), as esbuild
// and biome do: no download at install time, no postinstall script.
'use strict';
const { spawnSync } = require('node:child_process');

function platformPackage() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    // glibcVersionRuntime is absent from the report under musl.
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime;
    return `@bullseye-webhooks/cli-linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `@bullseye-webhooks/cli-win32-${arch}-msvc`;
  return `@bullseye-webhooks/cli-${platform}-${arch}`;
}

const name = platformPackage();
const exe = process.platform === 'win32' ? 'bullseye-webhooks.exe' : 'bullseye-webhooks';
let binary;
try {
  binary = require.resolve(`${name}/${exe}`);
} catch {
  console.error(`bullseye-webhooks-cli: no binary for ${process.platform}-${process.arch}: ` +
    `the optional dependency ${name} is not installed (was it skipped with --no-optional, ` +
    'or is this platform unsupported?). `cargo install bullseye-webhooks-cli` builds it from source.');
  process.exit(1);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
if (result.error) {
  console.error(`bullseye-webhooks-cli: could not run ${binary}: ${result.error.message}`);
  process.exit(1);
}
// Exit as the binary did, by signal included (so Ctrl-C on `emulate` ends the same way).
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
