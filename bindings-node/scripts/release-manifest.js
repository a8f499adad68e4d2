'use strict';
// The main package's manifest as napi-rs releases it: every target of the
// `napi` config as an optional dependency, `<name>-<platform>` pinned to the
// main package's own version (what `napi pre-publish` writes before
// `npm publish`). The committed package.json leaves them out, as napi-rs's
// template does: listed there, `npm ci` in a checkout would look the
// unpublished names up and refuse the lock file.
//
//   node scripts/release-manifest.js PACKAGE_JSON NPM_DIR OUT_PACKAGE_JSON
//
// Fails unless NPM_DIR holds a package for each target, with the right name,
// version, os, cpu and libc (napi's own reading of the triple).
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const [source, npmDir, out] = process.argv.slice(2);
  if (!out) throw new Error('usage: release-manifest.js PACKAGE_JSON NPM_DIR OUT_PACKAGE_JSON');
  const { parseTriple } = await import('@napi-rs/cli');
  const main = JSON.parse(fs.readFileSync(source, 'utf8'));
  const targets = main.napi?.targets ?? [];
  if (targets.length === 0) throw new Error(`${source} lists no napi targets`);
  const optionalDependencies = {};
  for (const triple of targets) {
    const target = parseTriple(triple);
    const name = `${main.name}-${target.platformArchABI}`;
    const manifestPath = path.join(npmDir, target.platformArchABI, 'package.json');
    const platform = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const problems = [];
    if (platform.name !== name) problems.push(`name ${platform.name}, expected ${name}`);
    if (platform.version !== main.version) problems.push(`version ${platform.version}, expected ${main.version}`);
    if (JSON.stringify(platform.os) !== JSON.stringify([target.platform])) problems.push(`os ${platform.os}`);
    if (JSON.stringify(platform.cpu) !== JSON.stringify([target.arch])) problems.push(`cpu ${platform.cpu}`);
    const libc = target.abi === 'gnu' ? ['glibc'] : target.abi === 'musl' ? ['musl'] : undefined;
    if (JSON.stringify(platform.libc) !== JSON.stringify(libc)) problems.push(`libc ${platform.libc}`);
    if (platform.main !== `${main.napi.binaryName}.${target.platformArchABI}.node`) problems.push(`main ${platform.main}`);
    if (problems.length) throw new Error(`${manifestPath}: ${problems.join('; ')}`);
    optionalDependencies[name] = main.version;
  }
  const staged = JSON.parse(fs.readFileSync(out, 'utf8'));
  if (staged.name !== main.name || staged.version !== main.version) {
    throw new Error(`${out} is ${staged.name}@${staged.version}, not ${main.name}@${main.version}`);
  }
  staged.optionalDependencies = { ...staged.optionalDependencies, ...optionalDependencies };
  fs.writeFileSync(out, `${JSON.stringify(staged, null, 2)}\n`);
  console.error(`release-manifest: ${Object.keys(optionalDependencies).length} optional dependencies pinned to ${main.version}`);
}

main().catch((error) => {
  console.error(`release-manifest: ${error.message}`);
  process.exit(1);
});
