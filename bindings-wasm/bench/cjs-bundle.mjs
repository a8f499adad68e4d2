// One ES module from a CommonJS entry and everything it requires, so that a
// CommonJS peer (standardwebhooks, svix) can run as a Worker module in
// workerd for `make bench`. Each file becomes a function in a table and
// `require` is resolved ahead of time with Node's own resolution; pure-JS
// packages only (a Node built-in is refused by name).
import { readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';

const REQUIRE = /\brequire\(\s*(['"])([^'"]+)\1\s*\)/g;

/** ES module text exporting `names` from the CommonJS module at `entry` (an absolute path). */
export function bundleCommonJs(entry, names) {
  const ids = new Map(); // absolute path -> index
  const sources = [];
  const visit = (file) => {
    if (ids.has(file)) return ids.get(file);
    const id = sources.length;
    ids.set(file, id);
    sources.push(null);
    const code = readFileSync(file, 'utf8');
    const resolve = createRequire(file).resolve;
    const table = {};
    for (const [, , specifier] of code.matchAll(REQUIRE)) {
      if (isBuiltin(specifier)) throw new Error(`${file} requires the Node built-in ${specifier}`);
      table[specifier] = visit(resolve(specifier));
    }
    sources[id] = `[${JSON.stringify(table)}, function (module, exports, require) {\n${code}\n}]`;
    return id;
  };
  const root = visit(entry);
  return `const modules = [\n${sources.join(',\n')}\n];
const cache = new Map();
function load(id) {
  if (cache.has(id)) return cache.get(id).exports;
  const [table, factory] = modules[id];
  const module = { exports: {} };
  cache.set(id, module);
  factory(module, module.exports, (specifier) => {
    if (!(specifier in table)) throw new Error('not bundled: ' + specifier);
    return load(table[specifier]);
  });
  return module.exports;
}
const entry = load(${root});
${names.map((name) => `export const ${name} = entry.${name};`).join('\n')}
`;
}
