// Runs the shared suite tests/js/vectors.test.js, unchanged, in the browser
// against the wasm package's web entry. The file is CommonJS written for
// `node --test`, so it runs here under a small `require` that supplies what it
// uses: node:test (collects the tests), node:assert/strict, fs and path over
// files fetched from the server, a Uint8Array-based Buffer for its fixtures,
// and ./impl.js (the package). The package itself gets no shim. Then every
// case of fixtures/bitnob-vectors.json, through tests/bitnob-cases.mjs.
// `index.html?entry=bullseye` runs the Bullseye vectors against the
// Bullseye-only entry (bullseye.js) alone: no Bitnob module, no Bitnob cases.
import { runVectors as runBitnobVectors } from '/wasm-tests/bitnob-cases.mjs';

const entry = new URLSearchParams(location.search).get('entry') === 'bullseye' ? 'bullseye' : 'index';
const lib = await import(`/package/${entry}.js`);

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Buffer extends Uint8Array {
  static from(value, encoding) {
    if (typeof value === 'string' && encoding === 'hex') {
      return new Buffer((value.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
    }
    if (typeof value === 'string') return new Buffer(encoder.encode(value));
    return new Buffer(value);
  }
  toString() {
    return decoder.decode(this);
  }
}

function deepStrictEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepStrictEqual(a[key], b[key]));
}

class AssertionError extends Error {}
function check(condition, message, detail) {
  if (!condition) throw new AssertionError(`${message ?? 'assertion failed'}${detail ? `: ${detail}` : ''}`);
}
const assert = {
  ok: (value, message) => check(value, message),
  equal: (actual, expected, message) => check(Object.is(actual, expected), message, `${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`),
  deepEqual: (actual, expected, message) =>
    check(deepStrictEqual(actual, expected), message, `${JSON.stringify(actual)} != ${JSON.stringify(expected)}`),
};

export async function run() {
  await lib.init();
  await lib.init(); // a second init is harmless
  if (entry === 'index') await lib.initBitnob(); // the Bitnob verifier's module, for the Bitnob cases
  const vectorsText = await (await fetchOk('/fixtures/vectors.json')).text();
  const files = new Map([['/fixtures/vectors.json', vectorsText]]);
  for (const c of JSON.parse(vectorsText).cases) {
    if (c.body_file) {
      const path = `/fixtures/payloads/${c.body_file}`;
      files.set(path, new Uint8Array(await (await fetchOk(path)).arrayBuffer()));
    }
  }
  const tests = [];
  const modules = {
    'node:test': (name, fn) => tests.push({ name, fn }),
    'node:assert/strict': assert,
    'node:fs': {
      readFileSync(path, encoding) {
        if (!files.has(path)) throw new Error(`no such fixture ${path}`);
        const content = files.get(path);
        if (encoding === 'utf8') return typeof content === 'string' ? content : decoder.decode(content);
        return Buffer.from(typeof content === 'string' ? encoder.encode(content) : content);
      },
    },
    'node:path': { join: (...parts) => parts.join('/').replace(/\/+/g, '/') },
    './impl.js': { name: 'wasm', lib, ROOT: '/', FIXTURES: '/fixtures' },
  };
  const require = (name) => {
    if (!Object.hasOwn(modules, name)) throw new Error(`the browser harness has no module ${name}`);
    return modules[name];
  };
  // A CommonJS file of tests/js, evaluated with the require above.
  const evaluate = async (url) => {
    const module = { exports: {} };
    const source = await (await fetchOk(url)).text();
    new Function('require', 'module', 'exports', 'Buffer', source)(require, module, module.exports, Buffer);
    return module.exports;
  };
  modules['./cases.js'] = await evaluate('/tests/js/cases.js');
  await evaluate('/tests/js/vectors.test.js');

  const results = [];
  for (const { name, fn } of tests) {
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
    }
  }
  const bitnob = entry === 'index' ? await runBitnobVectors(lib, await (await fetchOk('/fixtures/bitnob-vectors.json')).json()) : null;
  return { userAgent: navigator.userAgent, entry, exports: Object.keys(lib).sort(), cases: JSON.parse(vectorsText).cases.length, results, bitnob };
}

window.bullseyeRun = run;
document.title = 'ready';
