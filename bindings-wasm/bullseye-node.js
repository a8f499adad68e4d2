// The Node (and Deno) form of bullseye-webhooks-wasm/bullseye (bullseye.js:
// no Bitnob verifier): the module is read from the .wasm shipped beside this
// file and instantiated, synchronously, when first used, as node.js does.
import { readFileSync } from 'node:fs';
import { sources } from './backend.js';

sources({ main: () => readFileSync(new URL('./pkg/bullseye_webhooks_wasm_bg.wasm', import.meta.url)) });

export * from './bullseye.js';
