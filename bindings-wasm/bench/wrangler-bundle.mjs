// A Worker script bundled as wrangler bundles it, for Miniflare: esbuild
// (the Node package's pinned dev dependency, which wrangler also uses) with
// wrangler's conditions (`workerd`, `worker`, `browser`), every `.wasm`
// import left as a module of its own (a compiled WebAssembly.Module), and
// `bullseye-webhooks-wasm` (and its subpaths, `bullseye-webhooks-wasm/bullseye`)
// resolved to this package's `workerd` exports. One
// JavaScript module and the .wasm files it imports: what a user's Worker
// uploads, where demo/miniflare.mjs gives every shipped file as a module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { COMPATIBILITY_DATE } from '../demo/miniflare.mjs';

/** Miniflare options for `source` (a Worker's text) bundled with the package at `packageDir`. */
export async function bundledWorker(source, packageDir) {
  const esbuild = createRequire(join(packageDir, '..', 'bindings-node', 'package.json'))('esbuild');
  const { exports } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  // The package by name, as wrangler resolves it: each export's `workerd` condition.
  const workerdExport = {
    name: 'workerd-export',
    setup(build) {
      build.onResolve({ filter: /^bullseye-webhooks-wasm(\/|$)/ }, (args) => {
        const subpath = `.${args.path.slice('bullseye-webhooks-wasm'.length)}`;
        const { workerd } = exports[subpath] ?? {};
        if (workerd === undefined) return { errors: [{ text: `${args.path} has no workerd export` }] };
        return { path: join(packageDir, typeof workerd === 'string' ? workerd : workerd.default) };
      });
    },
  };
  const out = await esbuild.build({
    stdin: { contents: source, resolveDir: packageDir, sourcefile: 'worker.js' },
    // The bundle's `// <file>` comments relative to the package, wherever it runs from.
    absWorkingDir: packageDir,
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    plugins: [workerdExport],
    external: ['*.wasm'],
    logLevel: 'error',
  });
  const text = out.outputFiles[0].text;
  // The .wasm imports stay as written in the package (./pkg/…, from the bundle's root).
  const wasm = [...new Set([...text.matchAll(/from "\.\/(pkg\/[^"]+\.wasm)"/g)].map((match) => match[1]))];
  return {
    modules: [
      { type: 'ESModule', path: 'worker.js', contents: text },
      ...wasm.map((path) => ({ type: 'CompiledWasm', path, contents: readFileSync(join(packageDir, path)) })),
    ],
    compatibilityDate: COMPATIBILITY_DATE,
  };
}
