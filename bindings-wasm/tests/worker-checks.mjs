// Runs the demo Worker (demo/worker.js) in a real workerd through Miniflare
// and checks its answers: used by workerd.test.mjs (the source tree) and
// package.test.mjs (the installed tarball).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { workerModules } from '../demo/miniflare.mjs';
import { sign } from '../node.js';

const WORKER = fileURLToPath(new URL('../demo/worker.js', import.meta.url));
const payloads = new URL('../../fixtures/payloads/', import.meta.url);
const SECRET = 'whsec_workerd_current';
const PREVIOUS = 'whsec_workerd_previous';

/** Run `fn(dispatch)` against a fresh workerd serving the demo worker from `packageDir`. */
export async function withWorker(packageDir, fn) {
  const mf = new Miniflare({
    ...workerModules(WORKER, packageDir),
    bindings: { DEMO_SECRET: SECRET, DEMO_PREVIOUS_SECRET: PREVIOUS, DEMO_BITNOB_SECRET: SECRET, DEMO_BITNOB_PREVIOUS_SECRET: PREVIOUS },
    durableObjects: { CLAIMS: 'DeliveryClaims' },
  });
  try {
    // A POST, or a GET when `body` is undefined.
    await fn(async (path, body, headers) => {
      const method = body === undefined ? 'GET' : 'POST';
      const response = await mf.dispatchFetch(`http://worker.test${path}`, { method, body, headers });
      return { status: response.status, json: await response.json() };
    });
  } finally {
    await mf.dispose();
  }
}

/** The protocol checks, shared with the packed-tarball test. */
export async function checkWorker(dispatch) {
  const body = readFileSync(new URL('identification-event.json', payloads));
  const payload = JSON.parse(body);
  const signature = sign(SECRET, body);

  // This fixture sends four fields with another JSON type: accepted, reported.
  const ok = await dispatch('/bullseye', body, { 'X-Bullseye-Signature': signature });
  assert.deepEqual(ok, {
    status: 200,
    json: {
      event_type: 'visitor.identified',
      email: payload.visitor.email,
      company_domain: payload.company.domain,
      company_size: null,
      mismatches: ['visitor.icp', 'visitor.icp_statuses', 'visitor.persona_match', 'company.size'],
    },
  });
  // Bullseye's documented example, byte for byte: typed, nothing reported.
  const documented = readFileSync(new URL('bullseye-partner-api-identification.json', payloads));
  const typed = await dispatch('/bullseye', documented, { 'x-bullseye-signature': sign(SECRET, documented) });
  assert.deepEqual(typed, {
    status: 200,
    json: { event_type: 'visitor.identified', email: 'john@acme.com', company_domain: 'acme.com', company_size: 150, mismatches: [] },
  });
  const rotated = await dispatch('/bullseye', body, { 'x-bullseye-signature': sign(PREVIOUS, body) });
  assert.equal(rotated.status, 200);

  const tampered = Buffer.from(body);
  tampered[tampered.indexOf('@') - 1] ^= 1;
  assert.deepEqual(await dispatch('/bullseye', tampered, { 'x-bullseye-signature': signature }), {
    status: 401,
    json: { error: 'signature_mismatch' },
  });
  assert.deepEqual(await dispatch('/bullseye', body, { 'x-bullseye-signature': 'sha256=not-hex' }), {
    status: 400,
    json: { error: 'malformed_signature' },
  });
  assert.deepEqual(await dispatch('/bullseye', body, {}), { status: 400, json: { error: 'missing_signature' } });
  assert.deepEqual(await dispatch('/bullseye', new Uint8Array(1024 * 1024 + 1), { 'x-bullseye-signature': signature }), {
    status: 413,
    json: { error: 'body_too_large' },
  });

  const generic = readFileSync(new URL('generic-test-event.json', payloads));
  const genericAnswer = await dispatch('/bullseye', generic, { 'x-bullseye-signature': sign(SECRET, generic) });
  assert.deepEqual(genericAnswer, { status: 200, json: { event_type: JSON.parse(generic).event_type ?? JSON.parse(generic).event } });

  const visit = readFileSync(new URL('visit-new-visit.json', payloads));
  const visitPayload = JSON.parse(visit);
  const visitAnswer = await dispatch('/visit', visit, { 'X-Webhook-Signature': SECRET });
  assert.deepEqual(visitAnswer, {
    status: 200,
    json: { event_type: 'NEW_VISIT', visit_id: visitPayload.id, visitor_id: visitPayload.visitor.id, mismatches: ['timezone'] },
  });
  assert.equal((await dispatch('/visit', visit, { 'X-Webhook-Signature': 'wrong-token' })).status, 401);

  await checkBitnob(dispatch);
  await checkOnce(dispatch, body, signature);
}

/** POST /bullseye-once on the Durable Object store: the handler runs once, the copy is answered as a duplicate. */
async function checkOnce(dispatch, body, signature) {
  const payload = JSON.parse(body);
  const key = `bullseye:${payload.organization_id}:${payload.event}:${payload.session_id}`;
  const handled = `/handled?key=${encodeURIComponent(key)}`;
  assert.deepEqual(await dispatch(handled), { status: 200, json: { key, handled: 0 } });
  assert.deepEqual(await dispatch('/bullseye-once', body, { 'x-bullseye-signature': signature }), {
    status: 200,
    json: { event_type: 'visitor.identified', delivery_key: key, handled: 1 },
  });
  assert.deepEqual(await dispatch('/bullseye-once', body, { 'x-bullseye-signature': signature }), { status: 200, json: { duplicate: true } });
  assert.deepEqual(await dispatch(handled), { status: 200, json: { key, handled: 1 } });
}

/**
 * POST /bitnob, on the Worker's real clock: signed now, by the rotated-out
 * secret, the legacy SHA-512 scheme, a stale timestamp, a tampered body, no
 * signature. Signatures from node:crypto.
 */
async function checkBitnob(dispatch) {
  const body = readFileSync(new URL('bitnob-virtualcard-debit.json', payloads));
  const sha256 = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const sign = (secret, timestamp) => createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  const now = String(Math.floor(Date.now() / 1000));
  const event = JSON.parse(body).event;
  const headers = (signature, timestamp = now) => ({ 'X-Bitnob-Signature': signature, 'X-Bitnob-Timestamp': timestamp, 'X-Bitnob-Event': event });

  const signed = await dispatch('/bitnob', body, headers(sign(SECRET, now)));
  assert.deepEqual(signed, { status: 200, json: { event_type: event, delivery_key: sha256 } });
  assert.equal((await dispatch('/bitnob', body, headers(sign(PREVIOUS, now)))).status, 200);
  const legacy = await dispatch('/bitnob', body, { 'x-bitnob-signature': createHmac('sha512', SECRET).update(body).digest('hex') });
  assert.deepEqual(legacy, { status: 200, json: { event_type: event, delivery_key: sha256 } });
  const stale = String(Number(now) - 600);
  assert.deepEqual(await dispatch('/bitnob', body, headers(sign(SECRET, stale), stale)), {
    status: 401,
    json: { error: 'timestamp_out_of_tolerance' },
  });
  const tampered = Buffer.from(body);
  tampered[tampered.length - 3] ^= 1;
  assert.deepEqual(await dispatch('/bitnob', tampered, headers(sign(SECRET, now))), { status: 401, json: { error: 'signature_mismatch' } });
  assert.deepEqual(await dispatch('/bitnob', body, {}), { status: 400, json: { error: 'missing_signature' } });
}
