'use strict';
// The Express example receiver behind `make demo` (protocol: demo/README.md).
// POST /bullseye verifies a Bullseye delivery, POST /visit a
// fingerprinting-api visit; refusals are answered by the middleware with the
// contract's status and {"error": code}.
const express = require('express');
const { Webhook, expressMiddleware, isVisitorIdentified } = require('..');

// Rotation: the new secret first, the one being retired after it.
const webhook = new Webhook([process.env.DEMO_SECRET, process.env.DEMO_PREVIOUS_SECRET]);

const app = express();

app.post('/bullseye', expressMiddleware(webhook), (req, res) => {
  const event = req.bullseyeEvent;
  if (isVisitorIdentified(event)) {
    res.json({
      event_type: event.event_type,
      email: event.visitor?.email ?? null,
      company_domain: event.company?.domain ?? null,
    });
  } else {
    res.json({ event_type: event.event_type });
  }
});

app.post('/visit', expressMiddleware(webhook, { kind: 'visit' }), (req, res) => {
  const visit = req.bullseyeVisit;
  res.json({ event_type: visit.event_type, visit_id: visit.id, visitor_id: visit.visitor?.id ?? null });
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
