'use strict';
// The Express example receiver behind `make demo` (protocol: demo/README.md).
// POST /bullseye verifies a Bullseye delivery, POST /visit a
// fingerprinting-api visit; refusals are answered by the middleware with the
// contract's status and {"error": code}. A field sent with another JSON type
// is accepted; its path and types (never its value) are logged to stderr.
const express = require('express');
const { Webhook, expressMiddleware, isVisitorIdentified, mismatchesOf } = require('..');

// Rotation: the new secret first, the one being retired after it.
const webhook = new Webhook([process.env.DEMO_SECRET, process.env.DEMO_PREVIOUS_SECRET]);

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
