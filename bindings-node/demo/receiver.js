'use strict';
// The Express example receiver behind `make demo` (protocol: demo/README.md).
// POST /bullseye verifies a Bullseye delivery, POST /visit a
// fingerprinting-api visit; refusals are answered by the middleware with the
// contract's status and {"error": code}. A field sent with another JSON type
// is accepted; its path and types (never its value) are logged to stderr.
// POST /bitnob verifies a Bitnob delivery; POST /bullseye-once handles each
// Bullseye delivery once (a MemoryStore), and GET /handled?key= says how
// many times its handler ran for a delivery key.
const express = require('express');
const {
  BitnobWebhook,
  MemoryStore,
  Webhook,
  deliveryKeyOf,
  expressMiddleware,
  isVisitorIdentified,
  mismatchesOf,
} = require('..');

// Rotation: the new secret first, the one being retired after it.
const webhook = new Webhook([process.env.DEMO_SECRET, process.env.DEMO_PREVIOUS_SECRET]);
const bitnob = new BitnobWebhook([process.env.DEMO_BITNOB_SECRET, process.env.DEMO_BITNOB_PREVIOUS_SECRET]);
const dedupe = new MemoryStore();

// How many times the /bullseye-once handler ran, per delivery key: the demo's
// evidence that a duplicate did not run it again.
const handled = new Map();
// The slow handler (demo only, `?slow_ms=`, not signed) sleeps at most this.
const MAX_SLOW_MS = 10_000;

const app = express();

/** Log each mismatch of an event or a visit (never the value: it may be personal data); its paths. */
function logged(eventOrVisit) {
  return mismatchesOf(eventOrVisit).map(({ path, expected, found }) => {
    console.error(`mismatch: ${path} expected ${expected}, found ${found}`);
    return path;
  });
}

app.post('/bullseye', expressMiddleware(webhook), (req, res) => {
  const event = req.bullseyeEvent;
  if (isVisitorIdentified(event)) {
    res.json({
      event_type: event.event_type,
      email: event.visitor?.email ?? null,
      company_domain: event.company?.domain ?? null,
      company_size: event.company?.size ?? null,
      mismatches: logged(event),
    });
  } else {
    res.json({ event_type: event.event_type });
  }
});

app.post('/bitnob', expressMiddleware(bitnob), (req, res) => {
  const event = req.bullseyeEvent;
  res.json({ event_type: event.event_type, delivery_key: deliveryKeyOf(event) });
});

// Called only for a new delivery: a duplicate is answered 200
// {"duplicate": true}, a copy while this runs 409 with Retry-After.
app.post('/bullseye-once', expressMiddleware(webhook, { dedupe }), (req, res) => {
  const event = req.bullseyeEvent;
  const key = deliveryKeyOf(event);
  const calls = (handled.get(key) ?? 0) + 1;
  handled.set(key, calls);
  const slow = Math.min(Math.max(Number.parseInt(req.query.slow_ms, 10) || 0, 0), MAX_SLOW_MS);
  setTimeout(() => res.json({ event_type: event.event_type, delivery_key: key, handled: calls }), slow);
});

app.get('/handled', (req, res) => {
  const key = String(req.query.key ?? '');
  res.json({ key, handled: handled.get(key) ?? 0 });
});

app.post('/visit', expressMiddleware(webhook, { kind: 'visit' }), (req, res) => {
  const visit = req.bullseyeVisit;
  res.json({
    event_type: visit.event_type,
    visit_id: visit.id ?? null,
    visitor_id: visit.visitor?.id ?? null,
    mismatches: logged(visit),
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
