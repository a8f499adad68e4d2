// Makes partner.js (CommonJS, for require) from partner.mjs (the source, an
// ES module for import, Workers, Deno and browsers): the same text, with
// its one closing `export { ... };` turned into `module.exports = { ... };`.
// A build output (gitignored), made by `make build-node` and `npm run build`.
//   node bindings-node/scripts/partner-cjs.mjs           write partner.js
//   node bindings-node/scripts/partner-cjs.mjs --check   fail if it is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../partner.mjs', import.meta.url));
const TARGET = fileURLToPath(new URL('../partner.js', import.meta.url));

/** The CommonJS text for the ES module text `source`. */
export function toCommonJs(source) {
  const exportsAt = /^export \{([^}]*)\};\n$/m;
  const match = exportsAt.exec(source);
  if (!match || match.index + match[0].length !== source.length) {
    throw new Error('partner.mjs must end with its only export statement: export { ... };');
  }
  const body = source.slice(0, match.index);
  if (/^\s*(export|import)\b/m.test(body)) {
    throw new Error('partner.mjs may only export through its closing export { ... }; and may import nothing');
  }
  const header = "'use strict';\n// GENERATED from partner.mjs by scripts/partner-cjs.mjs (make build-node): edit partner.mjs.\n";
  return `${header}${body}module.exports = {${match[1]}};\n`;
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
