// De-duplication on a Durable Object in a real workerd through Miniflare, on
// this package's workerd entry (the checks: durable-checks.mjs).
import { fileURLToPath } from 'node:url';

import { workerModules } from '../demo/miniflare.mjs';
import { durableTests } from './durable-checks.mjs';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('durable-worker.js', import.meta.url));

durableTests('wasm package', () => workerModules(WORKER, PKG));
