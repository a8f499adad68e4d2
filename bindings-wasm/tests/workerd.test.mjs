// The demo Worker (demo/worker.js), built on the package's workerd entry, in
// a real workerd through Miniflare: answers dispatchFetch per the receiver
// protocol (200 signed, 401 tampered, 400 malformed or missing, 413 too
// large), reading fields of the verified event.
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { checkWorker, withWorker } from './worker-checks.mjs';

test('a Worker on the package answers in workerd: 200 signed, 401 tampered, 400 malformed', { timeout: 120_000 }, async () => {
  await withWorker(fileURLToPath(new URL('..', import.meta.url)), checkWorker);
});
