// The size budget: each .wasm the package ships at most 40 KB gzipped
// (zlib level 9, as `make bench` reports it). The Bullseye verifier's module
// is what every receiver loads; the Bitnob verifier's is loaded only by a
// receiver of Bitnob deliveries (see the README's "Size and speed").
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 40 * 1024;

for (const module of ['bullseye_webhooks_wasm', 'bullseye_webhooks_bitnob']) {
  test(`${module}_bg.wasm is within the ${BUDGET}-byte gzipped budget`, () => {
    const wasm = readFileSync(new URL(`../pkg/${module}_bg.wasm`, import.meta.url));
    const gzipped = gzipSync(wasm, { level: 9 }).length;
    assert.ok(gzipped <= BUDGET, `${module}_bg.wasm is ${gzipped} bytes gzipped, over the budget of ${BUDGET}`);
  });
}
