// Usage examples, type-checked with `tsc --noEmit --strict` (tests/js/node/types.test.js).
// Each `@ts-expect-error` line is a mistake the types must refuse.
import express from 'express';
import {
  ERROR_CODES,
  SIGNATURE_HEADER,
  Webhook,
  WebhookError,
  expressMiddleware,
  isVisitorIdentified,
  parseVisit,
  sign,
  type BullseyeEvent,
  type Visit,
  type WebhookErrorCode,
} from 'bullseye-webhooks';

const webhook = new Webhook([process.env.BULLSEYE_SECRET ?? 'whsec_new', 'whsec_old'], { tolerance: 300 });
const body = Buffer.from('{"event":"visitor.identified"}');
const signature: string = sign('whsec_new', body);

webhook.verify(body, signature);
webhook.verify(new Uint8Array(body), { [SIGNATURE_HEADER.toLowerCase()]: signature });
webhook.verify(body.toString(), new Headers({ [SIGNATURE_HEADER]: signature }));

const event: BullseyeEvent = webhook.constructEvent(body, signature, { now: new Date() });
if (isVisitorIdentified(event)) {
  const email: string | null | undefined = event.visitor?.email;
  const employees: number | null | undefined = event.company?.employee_count;
  const firstVisit: boolean | null | undefined = event.session?.first_visit;
  const pages: number = event.page_views?.length ?? 0;
  console.log(email, employees, firstVisit, pages, event.timestamp);
  // @ts-expect-error employee_count is a number, not a string
  const wrong: string = event.company!.employee_count!;
  void wrong;
} else {
  const type: string = event.event_type;
  console.log(type, event['credits_remaining']);
}

try {
  webhook.constructEvent(body, undefined);
} catch (error) {
  if (error instanceof WebhookError) {
    const code: WebhookErrorCode = error.code;
    const status: number = error.status;
    console.log(code, status, ERROR_CODES.includes(code));
  }
}

const visit: Visit = parseVisit('{"event":"NEW_VISIT","id":"v1"}');
const visitId: string | null = visit.id;
console.log(visitId, visit.raw, visit.trafficSource);

// @ts-expect-error the body must be raw bytes or text, not a parsed object
webhook.verify({ event: 'visitor.identified' }, signature);
// @ts-expect-error tolerance is a number of seconds
new Webhook('whsec_x', { tolerance: '5m' });

const app = express();
app.post('/webhooks/bullseye', expressMiddleware(webhook), (req, res) => {
  const received: BullseyeEvent | undefined = req.bullseyeEvent;
  res.json({ type: received?.event_type });
});

export async function POST(request: Request): Promise<Response> {
  try {
    const received = await webhook.constructEventFromRequest(request);
    return Response.json({ type: received.event_type });
  } catch (error) {
    if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
    throw error;
  }
}
