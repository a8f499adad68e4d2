'use strict';
// The TypeScript usage examples (bindings-node/types-test/: usage.ts, and
// fastify.ts, a Fastify app reading request.bullseyeEvent, and the rest)
// type-check with tsc --noEmit --strict against the package's index.d.ts
// (edge.ts: against its edge exports' wasm/index.d.ts); each
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

test('the types load without fastify or express installed (optional peers)', (t) => {
  // A consumer with only @types/node: the package's index.d.ts augments
  // 'fastify' and 'node:http' without importing either framework.
  const os = require('node:os');
  const fs = require('node:fs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-types-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const installed = path.join(dir, 'node_modules', 'bullseye-webhooks');
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.mkdirSync(installed);
  fs.copyFileSync(path.join(pkg, 'index.d.ts'), path.join(installed, 'index.d.ts'));
  fs.writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'bullseye-webhooks', types: 'index.d.ts' }));
  fs.symlinkSync(path.join(pkg, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'));
  fs.symlinkSync(path.join(pkg, 'node_modules', 'undici-types'), path.join(dir, 'node_modules', 'undici-types'));
  fs.writeFileSync(
    path.join(dir, 'use.ts'),
    "import { Webhook, type BullseyeEvent } from 'bullseye-webhooks';\n" +
      "const event: BullseyeEvent = new Webhook('whsec_x').constructEvent('{}', '');\nconsole.log(event.event_type);\n",
  );
  assert.ok(!fs.existsSync(path.join(dir, 'node_modules', 'fastify')));
  const tsc = path.join(pkg, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', 'use.ts'], {
      cwd: dir,
      encoding: 'utf8',
    });
  } catch (error) {
    assert.fail(`tsc failed without fastify installed:\n${error.stdout}${error.stderr}`);
  }
});
