'use strict';
// The TypeScript usage examples (bindings-node/types-test/) type-check with
// tsc --noEmit --strict against the package's index.d.ts; each
// `@ts-expect-error` in them is a mistake the types must refuse.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { ROOT } = require('../impl.js');

const pkg = path.join(ROOT, 'bindings-node');

test('tsc --noEmit --strict accepts the usage examples', () => {
  const tsc = path.join(pkg, 'node_modules', 'typescript', 'bin', 'tsc');
  const project = path.join(pkg, 'types-test', 'tsconfig.json');
  let output = '';
  try {
    output = execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '-p', project], { encoding: 'utf8' });
  } catch (error) {
    assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
  }
  assert.equal(output.trim(), '');
});
