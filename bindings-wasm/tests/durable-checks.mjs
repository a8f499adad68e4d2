// The checks of de-duplication on a Durable Object (durable.js) in a real
// workerd through Miniflare, on a package's workerd entry serving
// tests/durable-worker.js: registered by durable.test.mjs (this package) and
// by the Node package's tests/js/node/durable-workerd.test.mjs (its copy).
// - the store's rules, the cases of the core's Redis scripts and memory
//   store: new, retried token, in flight, duplicate, conflict (in flight and
//   done), unknown hash, complete/release by token only, expiry;
// - the handler: new, duplicate, 409 in flight with Retry-After, 409
//   delivery_conflict (or, with onConflict: 'process', handled under its own
//   key), release after a failed handler, 503 store_unavailable,
//   a claim whose answer timed out released, a failed done mark retried
//   after the answer (kept alive by ctx.waitUntil);
// - two Worker scripts racing on one key through one namespace: one `new`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';

import { sign } from '../node.js';

/** The Worker's source, importing the package as `name`. */
export function durableWorker(name) {
  return readFileSync(new URL('durable-worker.js', import.meta.url), 'utf8').replaceAll("from 'bullseye-webhooks-wasm'", `from '${name}'`);
}
const SECRET = 'whsec_durable_object_test';
const FIXTURE = JSON.parse(readFileSync(new URL('../../fixtures/payloads/identification-event.json', import.meta.url), 'utf8'));
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

/** A signed delivery of the fixture for `session` (its key), with `email` making the body differ. */
function delivery(session, email = FIXTURE.visitor.email) {
  const body = JSON.stringify({ ...FIXTURE, session_id: session, visitor: { ...FIXTURE.visitor, email } });
  return { body, headers: { 'x-bullseye-signature': sign(SECRET, body) } };
}

/** Two Worker scripts ("a", "b") of `options` (Miniflare's `{ modules, compatibilityDate }`) sharing one namespace. */
async function withWorkers(options, fn) {
  const { modules, compatibilityDate } = options;
  const worker = (name) => ({
    name,
    modules,
    compatibilityDate,
    bindings: { SECRET },
    // Both scripts bind one namespace, the class of worker "a".
    durableObjects: { CLAIMS: { className: 'DeliveryClaims', scriptName: 'a' } },
  });
  const mf = new Miniflare({ workers: [worker('a'), worker('b')] });
  try {
    const b = await mf.getWorker('b');
    const send = (target) => async (path, body, headers = {}) => {
      const response = await target(`http://worker.test${path}`, { method: 'POST', body, headers });
      return { status: response.status, headers: response.headers, json: await response.json() };
    };
    await fn({ a: send((url, init) => mf.dispatchFetch(url, init)), b: send((url, init) => b.fetch(url, init)) });
  } finally {
    await mf.dispose();
  }
}

/** Register the tests for `label`, whose Worker is `options()` (or a promise of it). */
export function durableTests(label, options) {
  test(`${label}: the Durable Object store follows the core rules`, { timeout: 120_000 }, async () => {
    await withWorkers(await options(), async ({ a }) => {
      const store = async (call, ...args) => (await a(`/store/${call}`, JSON.stringify(args))).json;

      const first = (await store('claim', 'k1', HASH_A, 60_000)).answer;
      assert.equal(first.outcome, 'new');
      assert.match(first.token, /^[0-9a-f]{32}$/);
      const again = (await store('claim', 'k1', HASH_A, 60_000)).answer;
      assert.equal(again.outcome, 'in_flight');
      assert.ok(again.retryAfter >= 1 && again.retryAfter <= 60, `retryAfter ${again.retryAfter}`);
      // An unknown hash is never a conflict.
      assert.equal((await store('claim', 'k1', '', 60_000)).answer.outcome, 'in_flight');
      assert.deepEqual((await store('claim', 'k1', HASH_B, 60_000)).answer, { outcome: 'conflict', storedHash: HASH_A, found: 'in_flight' });

      // Complete and release act only for the claim's token.
      assert.equal((await store('complete', 'k1', 'f'.repeat(32), HASH_A, 60_000)).answer, 'not_held');
      assert.equal((await store('release', 'k1', 'f'.repeat(32))).answer, false);
      assert.equal((await store('complete', 'k1', first.token, HASH_A, 60_000)).answer, 'done');
      assert.equal((await store('release', 'k1', first.token)).answer, false);
      assert.deepEqual((await store('claim', 'k1', HASH_A, 60_000)).answer, { outcome: 'duplicate' });
      assert.deepEqual((await store('claim', 'k1', '', 60_000)).answer, { outcome: 'duplicate' });
      assert.deepEqual((await store('claim', 'k1', HASH_B, 60_000)).answer, { outcome: 'conflict', storedHash: HASH_A, found: 'done' });
      assert.equal((await store('complete', 'k1', first.token, HASH_A, 60_000)).answer, 'not_held');

      // Released: the next claim is new.
      const held = (await store('claim', 'k2', HASH_A, 60_000)).answer;
      assert.equal((await store('release', 'k2', held.token)).answer, true);
      assert.equal((await store('claim', 'k2', HASH_A, 60_000)).answer.outcome, 'new');

      // A free key completed (the lease ended and nobody took it): lease_expired, then done.
      assert.equal((await store('complete', 'k3', 'e'.repeat(32), HASH_A, 60_000)).answer, 'lease_expired');
      assert.deepEqual((await store('claim', 'k3', HASH_A, 60_000)).answer, { outcome: 'duplicate' });

      // An expired lease reads as free; so does an expired done mark.
      const short = (await store('claim', 'k4', HASH_A, 1)).answer;
      assert.equal(short.outcome, 'new');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await store('claim', 'k4', HASH_B, 60_000)).answer.outcome, 'new');
      const done = (await store('claim', 'k5', HASH_A, 60_000)).answer;
      assert.equal((await store('complete', 'k5', done.token, HASH_A, 1)).answer, 'done');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await store('claim', 'k5', HASH_B, 60_000)).answer.outcome, 'new');
    });
  });

  test(`${label}: the workerd handler de-duplicates on a Durable Object`, { timeout: 120_000 }, async () => {
    await withWorkers(await options(), async ({ a, b }) => {
      // New, then a duplicate (on the other Worker script too).
      const one = delivery('sess_do_one');
      assert.deepEqual((await a('/hook', one.body, one.headers)).json, { processed: true });
      const dup = await b('/hook', one.body, one.headers);
      assert.deepEqual([dup.status, dup.json], [200, { duplicate: true }]);
      // The same key with another body, once done: 409 delivery_conflict.
      const other = delivery('sess_do_one', 'someone.else@example.com');
      const conflict = await a('/hook', other.body, other.headers);
      assert.deepEqual([conflict.status, conflict.json], [409, { error: 'delivery_conflict' }]);
      // The done mark holds the body's SHA-256 (the core's body hash), under the delivery key.
      const key = `bullseye:${FIXTURE.organization_id}:visitor.identified:sess_do_one`;
      const stored = (await a('/store/claim', JSON.stringify([key, HASH_B, 60_000]))).json.answer;
      assert.deepEqual(stored, { outcome: 'conflict', storedHash: createHash('sha256').update(one.body).digest('hex'), found: 'done' });

      // In flight: a claim held by another worker.
      const two = delivery('sess_do_two');
      const slow = a('/hook', two.body, { ...two.headers, 'x-test-wait': '1500' });
      let inFlight;
      // Until the slow copy's claim is taken (a copy that comes first is processed instead).
      for (let tries = 0; tries < 100; tries += 1) {
        inFlight = await b('/hook', two.body, two.headers);
        if (inFlight.status === 409) break;
      }
      assert.deepEqual([inFlight.status, inFlight.json], [409, { error: 'delivery_in_flight' }]);
      const retryAfter = Number(inFlight.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      // Another body while in flight: 409 delivery_conflict, no Retry-After.
      const twoOther = delivery('sess_do_two', 'someone.else@example.com');
      const inFlightConflict = await b('/hook', twoOther.body, twoOther.headers);
      assert.deepEqual([inFlightConflict.status, inFlightConflict.json], [409, { error: 'delivery_conflict' }]);
      assert.equal(inFlightConflict.headers.get('retry-after'), null);
      assert.deepEqual((await slow).json, { processed: true });

      // A failed handler releases its claim: the retry is processed.
      const three = delivery('sess_do_three');
      const failed = await a('/hook', three.body, { ...three.headers, 'x-test-fail': '1' });
      assert.deepEqual([failed.status, failed.json.error], [500, 'handler_threw']);
      assert.deepEqual((await b('/hook', three.body, three.headers)).json, { processed: true });

      // The store failing: 503 store_unavailable with the core's Retry-After.
      const broken = await a('/broken', one.body, one.headers);
      assert.deepEqual([broken.status, broken.json], [503, { error: 'store_unavailable' }]);
      assert.equal(broken.headers.get('retry-after'), '30');

      // onConflict: 'process': another body is handled once, under the core's conflict key `{key}#{body hash}`.
      const five = delivery('sess_do_five');
      const fiveOther = delivery('sess_do_five', 'someone.else@example.com');
      assert.deepEqual((await a('/process', five.body, five.headers)).json, { processed: true });
      assert.deepEqual((await b('/process', fiveOther.body, fiveOther.headers)).json, { processed: true });
      assert.deepEqual((await a('/process', fiveOther.body, fiveOther.headers)).json, { duplicate: true });
      const otherHash = createHash('sha256').update(fiveOther.body).digest('hex');
      const conflictKey = `bullseye:${FIXTURE.organization_id}:visitor.identified:sess_do_five#${otherHash}`;
      const underIt = (await a('/store/claim', JSON.stringify([conflictKey, HASH_A, 60_000]))).json.answer;
      assert.deepEqual(underIt, { outcome: 'conflict', storedHash: otherHash, found: 'done' });

      // A claim that lands after its answer timed out (503) is released by its token: the retry is processed.
      const four = delivery('sess_do_four');
      const timedOut = await a('/late', four.body, four.headers);
      assert.deepEqual([timedOut.status, timedOut.json], [503, { error: 'store_unavailable' }]);
      assert.deepEqual((await b('/hook', four.body, four.headers)).json, { processed: true });

      // A done mark that fails is retried after the answer, kept alive by the
      // Worker's ctx.waitUntil (50 ms later): a copy sent after it is a duplicate.
      const six = delivery('sess_do_six');
      assert.deepEqual((await a('/flaky', six.body, six.headers)).json, { processed: true });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.deepEqual((await b('/hook', six.body, six.headers)).json, { duplicate: true });
    });
  });

  test(`${label}: two Worker scripts racing on one key: exactly one processes it`, { timeout: 120_000 }, async () => {
    await withWorkers(await options(), async ({ a, b }) => {
      const race = delivery('sess_do_race');
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b)('/hook', race.body, { ...race.headers, 'x-test-wait': '200' })),
      );
      const processed = answers.filter((answer) => answer.json.processed === true);
      assert.equal(processed.length, 1, JSON.stringify(answers.map((answer) => [answer.status, answer.json])));
      for (const answer of answers.filter((each) => each.json.processed !== true)) {
        assert.ok(
          (answer.status === 409 && answer.json.error === 'delivery_in_flight') || (answer.status === 200 && answer.json.duplicate === true),
          JSON.stringify([answer.status, answer.json]),
        );
      }

      // The store's claims, straight: of 20 racing claims of a fresh key, one is new.
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b)('/store/claim', JSON.stringify(['race-key', HASH_A, 60_000]))),
      );
      assert.equal(claims.filter((claim) => claim.json.answer.outcome === 'new').length, 1);
      assert.equal(claims.filter((claim) => claim.json.answer.outcome === 'in_flight').length, 19);
    });
  });
}
