// The Node (and Deno) entry: each module is read from the .wasm shipped
// beside this file and instantiated, synchronously, when first used (so an
// import reads and compiles nothing). Import it and call it: no init step.
// (`node:fs` only reads those files; verification never touches Node APIs.)
import { readFileSync } from 'node:fs';
import { sources } from './backend.js';

const shipped = (name) => () => readFileSync(new URL(`./pkg/${name}_bg.wasm`, import.meta.url));
sources({ main: shipped('bullseye_webhooks_wasm'), bitnob: shipped('bullseye_webhooks_bitnob') });

export * from './index.js';
