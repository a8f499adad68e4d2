// The Node (and Deno) form of bullseye-webhooks-wasm/bullseye (bullseye.js:
// no Bitnob verifier): the module is read from the .wasm shipped beside this
// file and instantiated, synchronously, when first used, and node:crypto
// computes the sync path's HMACs in Node, as node.js does.
import { readFileSync } from 'node:fs';
import { sources } from './backend.js';

sources({
  main: () => readFileSync(new URL('./pkg/bullseye_webhooks_wasm_bg.wasm', import.meta.url)),
  nodeCrypto: () => globalThis.process?.getBuiltinModule?.('node:crypto'),
});

export * from './bullseye.js';
