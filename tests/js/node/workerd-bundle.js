'use strict';
// A Worker bundled as wrangler bundles it, for Miniflare: esbuild with the
// conditions workerd and worker (so `bullseye-webhooks` is the package's
// `workerd` export, the WebAssembly build), each .wasm it imports kept as a
// compiled module of its own, named by its file.
const fs = require('node:fs');
const path = require('node:path');
const { requireDev } = require('./http.js');

const esbuild = requireDev('esbuild');

/** `entry` bundled, resolving packages from `nodePaths`: `{ script, modules }` (Miniflare's modules; the .wasm after the script). */
async function bundleWorker(entry, nodePaths) {
  const wasm = new Map();
  const wasmModules = {
    name: 'wasm-modules',
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = path.join(args.resolveDir, args.path);
        wasm.set(path.basename(file), fs.readFileSync(file));
        return { path: `./${path.basename(file)}`, external: true };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'error',
    conditions: ['workerd', 'worker'],
    platform: 'neutral',
    mainFields: ['module', 'main'],
    nodePaths,
    plugins: [wasmModules],
  });
  const script = result.outputFiles[0].text;
  return {
    script,
    modules: [
      { type: 'ESModule', path: 'worker.js', contents: script },
      ...[...wasm].map(([name, contents]) => ({ type: 'CompiledWasm', path: name, contents })),
    ],
  };
}

module.exports = { bundleWorker };
