// The Node (and Deno) entry: each module is read from the .wasm shipped
// beside this file and instantiated, synchronously, when first used (so an
// import reads and compiles nothing). Import it and call it: no init step.
// `node:fs` only reads those files. node:crypto computes the sync path's
// HMACs in Node (backend.js, nodeHmac; every rule stays the core's): taken
// by process.getBuiltinModule when a first Webhook is made, since loading
// it would add about 3 ms to every import.
import { readFileSync } from 'node:fs';
import { sources } from './backend.js';

const shipped = (name) => () => readFileSync(new URL(`./pkg/${name}_bg.wasm`, import.meta.url));
sources({
  main: shipped('bullseye_webhooks_wasm'),
  bitnob: shipped('bullseye_webhooks_bitnob'),
  nodeCrypto: () => globalThis.process?.getBuiltinModule?.('node:crypto'),
});

export * from './index.js';
