// De-duplication on a Durable Object in a real workerd through Miniflare, on
// this package's workerd entry (the checks: durable-checks.mjs), and the
// README's Worker example.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { workerModules } from '../demo/miniflare.mjs';
import { durableTests } from './durable-checks.mjs';
import { sign } from '../node.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('durable-worker.js', import.meta.url));

durableTests('wasm package', () => workerModules(WORKER, PKG));

test("the README's Worker de-duplicates in workerd", { timeout: 120_000 }, async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes('new DurableObjectStore(env.CLAIMS)'));
  assert.ok(example, 'the README has no DurableObjectStore example');
  const dir = mkdtempSync(join(tmpdir(), 'bullseye-readme-worker-'));
  writeFileSync(join(dir, 'worker.js'), example);
  const mf = new Miniflare({
    ...workerModules(join(dir, 'worker.js'), PKG),
    bindings: { BULLSEYE_SECRET: 'whsec_readme' },
    durableObjects: { CLAIMS: 'DeliveryClaims' },
  });
  try {
    const body = readFileSync(new URL('../../fixtures/payloads/identification-event.json', import.meta.url));
    const send = async () => {
      const response = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body, headers: { 'x-bullseye-signature': sign('whsec_readme', body) } });
      return [response.status, await response.json()];
    };
    assert.deepEqual(await send(), [200, { received: 'visitor.identified' }]);
    assert.deepEqual(await send(), [200, { duplicate: true }]);
  } finally {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
