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
  mismatchesOf,
  parseVisit,
  sign,
  type BullseyeEvent,
  type JsonType,
  type Mismatch,
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
  const size: number | null | undefined = event.company?.size;
  const personaMatch: boolean | null | undefined = event.visitor?.persona_match;
  const icp: string | null | undefined = event.visitor?.icp;
  const statuses = event.visitor?.icp_statuses;
  const firstUrl: string | null | undefined = event.page_views?.[0]?.url;
  console.log(email, employees, firstVisit, pages, size, personaMatch, icp, statuses?.['enterprise'], firstUrl, event.timestamp);
  // @ts-expect-error employee_count is a number, not a string
  const wrong: string = event.company!.employee_count!;
  // @ts-expect-error company.size is a number (an integer), not a string
  const sizeText: string = event.company!.size!;
  // @ts-expect-error a page view may be null
  const url = event.page_views![0].url;
  void wrong;
  void sizeText;
  void url;
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

// Drift: accepted, the typed value in the event, the field and the value as sent in mismatchesOf.
const mismatches: Mismatch[] = mismatchesOf(event);
for (const { path, expected, found, value } of mismatches) {
  const types: [JsonType, JsonType] = [expected, found];
  console.log(path, types, value);
}
const strictWebhook = new Webhook('whsec_x', { strict: true, tolerance: null });
const isStrict: boolean = strictWebhook.strict;
// @ts-expect-error strict is a boolean
new Webhook('whsec_x', { strict: 'yes' });

const visit: Visit = parseVisit('{"event":"NEW_VISIT","id":"v1"}', { strict: isStrict });
const visitId: string | null | undefined = visit.id;
const width = visit.screen?.['width'];
console.log(visitId, visit.raw, visit.trafficSource, width, mismatchesOf(visit).length, visit.visitor?.company?.domain);
// @ts-expect-error raw is read-only
visit.raw = {};
// @ts-expect-error parseVisit's only option is strict
parseVisit('{}', { tolerance: 5 });

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
