// The README's runnable examples: each ```js block that says what it prints
// (`console.log(...); // expected`) runs in Node, importing the package by its
// name, and must print those lines. (The other blocks need a Worker, a
// bundler or a browser; the workerd and browser tests cover those entries.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const expectations = (code) => [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1].trim());
const runnable = blocks.filter((code) => expectations(code).length > 0);

test('the README has runnable examples', () => {
  assert.ok(runnable.length >= 1, `found ${runnable.length}`);
});

runnable.forEach((code, i) => {
  test(`README example ${i + 1} prints what it says`, (t) => {
    // Inside the package folder, where `bullseye-webhooks-wasm` resolves to the package itself.
    const file = `${PKG}.readme-test-${process.pid}-${i}.mjs`;
    writeFileSync(file, code);
    t.after(() => rmSync(file, { force: true }));
    const printed = execFileSync(process.execPath, [file], { encoding: 'utf8' }).trim().split('\n');
    for (const want of expectations(code)) {
      assert.ok(printed.includes(want), `printed ${JSON.stringify(printed)}, expected a line ${JSON.stringify(want)}`);
    }
  });
});
