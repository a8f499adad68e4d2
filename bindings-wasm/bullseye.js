// bullseye-webhooks-wasm/bullseye: the package's API without the Bitnob
// verifier (BitnobWebhook, signBitnob, signBitnobLegacy, secretLast4,
// initBitnob, initBitnobSync), so that a receiver of Bullseye's webhooks
// alone neither loads nor parses the Bitnob module and its glue (in a
// Worker: about 3.6 M instructions of every start, bench/PROFILE.md). The
// same exports otherwise, the same behaviour: index.js is this and Bitnob's.
// This entry needs the module instantiated once, by `await init()` or
// `initSync({ module })`; bullseye-node.js and bullseye-workerd.js do it on
// first use.
import { fetchHandler } from './fetch.js';
import { useFetchHandler } from './verifier.js';

// `handler` (and so honoMiddleware) makes its Fetch handler with fetch.js.
useFetchHandler(() => fetchHandler);

export * from './webhooks.js';
export { honoMiddleware } from './hono.js';
export { init, initSync } from './backend.js';
