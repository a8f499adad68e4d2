// Makes partner.js (CommonJS, for require) from partner.mjs (the source, an
// ES module for import, Workers, Deno and browsers) with esbuild, a pinned
// dev dependency of this package: one file transformed, nothing bundled.
// A build output (gitignored), made by `make build-node` and `npm run build`.
//   node bindings-node/scripts/partner-cjs.mjs           write partner.js
//   node bindings-node/scripts/partner-cjs.mjs --check   fail if it is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../partner.mjs', import.meta.url));
const TARGET = fileURLToPath(new URL('../partner.js', import.meta.url));
const HEADER = "'use strict';\n// GENERATED from partner.mjs by scripts/partner-cjs.mjs (make build-node): edit partner.mjs.";

/** The CommonJS text for the ES module text `source`. */
export function toCommonJs(source) {
  const esbuild = createRequire(import.meta.url)('esbuild');
  return esbuild.transformSync(source, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcefile: 'partner.mjs',
    banner: HEADER,
    logLevel: 'error',
  }).code;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const wanted = toCommonJs(readFileSync(SOURCE, 'utf8'));
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(TARGET, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== wanted) {
      console.error('bindings-node/partner.js is not made from partner.mjs: run node bindings-node/scripts/partner-cjs.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(TARGET, wanted);
  }
}
