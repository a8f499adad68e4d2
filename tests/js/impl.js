'use strict';
// Which package the shared suite runs against, chosen by BULLSEYE_IMPL:
//   node (default): the napi-rs package in bindings-node/
//   wasm: the wasm-bindgen package in bindings-wasm/ (same API)
//   package: the installed package in BULLSEYE_PACKAGE_DIR (tests/js/node/
//     edge.test.js: the Node package's tarball with its addon deleted)
// Any other value fails loudly, and so does a package that cannot load.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const IMPLEMENTATIONS = {
  node: path.join(ROOT, 'bindings-node'),
  wasm: path.join(ROOT, 'bindings-wasm'),
  package: process.env.BULLSEYE_PACKAGE_DIR,
};

const name = process.env.BULLSEYE_IMPL || 'node';
if (!Object.hasOwn(IMPLEMENTATIONS, name)) {
  throw new Error(
    `BULLSEYE_IMPL=${JSON.stringify(name)} is not one of ${Object.keys(IMPLEMENTATIONS).join(', ')}`,
  );
}

if (typeof IMPLEMENTATIONS[name] !== 'string' || !path.isAbsolute(IMPLEMENTATIONS[name])) {
  throw new Error(`BULLSEYE_IMPL=${name} needs BULLSEYE_PACKAGE_DIR, the installed package's absolute path`);
}

let lib;
try {
  lib = require(IMPLEMENTATIONS[name]);
} catch (error) {
  throw new Error(`cannot load the ${name} package from ${IMPLEMENTATIONS[name]} (build it first): ${error.message}`);
}

module.exports = { name, lib, ROOT, FIXTURES: path.join(ROOT, 'fixtures') };
