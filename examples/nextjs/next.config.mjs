// The Node runtime's route loads the package at run time, as Node requires
// it (its native addon cannot be bundled); the edge route's import is
// bundled, through the package's `edge-light` export (the WebAssembly build).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export default {
  serverExternalPackages: ['bullseye-webhooks'],
  // This folder is the app's root, whatever lock files lie above it.
  turbopack: { root: here },
  outputFileTracingRoot: here,
};
