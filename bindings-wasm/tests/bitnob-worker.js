// A Worker that runs every case of the Bitnob vectors it is POSTed inside
// workerd, on the package's workerd entry (tests/bitnob-cases.mjs), and
// answers the report as JSON. Used by workerd.test.mjs.
import * as lib from 'bullseye-webhooks-wasm';
import { runVectors } from './bitnob-cases.mjs';

export default {
  async fetch(request) {
    const vectors = await request.json();
    return Response.json(await runVectors(lib, vectors));
  },
};
