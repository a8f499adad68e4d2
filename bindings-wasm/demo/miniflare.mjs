// Miniflare options for a Worker script that imports `bullseye-webhooks-wasm`,
// resolved as wrangler does: the package's `workerd` export as the module of
// that name, its other shipped files beside it (.js as ES modules, the .wasm
// as a compiled WebAssembly module). Used by the demo, the tests and the bench.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const COMPATIBILITY_DATE = '2026-04-01';

/** `packageDir`: the package's folder (the source tree, or an installed tarball). */
export function workerModules(scriptPath, packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const { workerd } = manifest.exports['.'];
  const entry = typeof workerd === 'string' ? workerd : workerd.default;
  const modules = [
    { type: 'ESModule', path: 'worker.js', contents: readFileSync(scriptPath, 'utf8') },
    { type: 'ESModule', path: manifest.name, contents: readFileSync(join(packageDir, entry), 'utf8') },
  ];
  // The node entries read the .wasm with node:fs: not for workerd.
  const nodeEntries = Object.values(manifest.exports).map((exported) => exported?.node);
  for (const file of manifest.files) {
    if (nodeEntries.includes(`./${file}`)) continue;
    if (file.endsWith('.js')) modules.push({ type: 'ESModule', path: file, contents: readFileSync(join(packageDir, file), 'utf8') });
    if (file.endsWith('.wasm')) modules.push({ type: 'CompiledWasm', path: file, contents: readFileSync(join(packageDir, file)) });
  }
  return { modules, compatibilityDate: COMPATIBILITY_DATE };
}
