// The Node (and Deno) entry: instantiates the module on import, synchronously,
// from the .wasm shipped beside this file. Import it and call it: no init step.
// (`node:fs` only reads that file; verification never touches Node APIs.)
import { readFileSync } from 'node:fs';
import { initSync } from './index.js';

initSync({ module: readFileSync(new URL('./pkg/bullseye_webhooks_wasm_bg.wasm', import.meta.url)) });

export * from './index.js';
