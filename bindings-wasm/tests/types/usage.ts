// Type-checked by tests/api.test.mjs with `tsc --noEmit --strict`: what a
// Worker or a browser page writes against the package's types.
import {
  ERROR_CODES,
  SIGNATURE_HEADER,
  Webhook,
  honoMiddleware,
  WebhookError,
  initSync,
  isVisitorIdentified,
  mismatchesOf,
  parseVisit,
  sign,
  type BullseyeEvent,
  type ErrorCode,
  type JsonType,
  type Mismatch,
} from 'bullseye-webhooks-wasm';

declare const wasmModule: WebAssembly.Module;
initSync({ module: wasmModule });

const webhook = new Webhook(['whsec_new', 'whsec_old'], { tolerance: 300, maxBodyBytes: 65536 });

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const event: BullseyeEvent = await webhook.constructEventFromRequest(request);
      if (isVisitorIdentified(event)) {
        const email: string | null | undefined = event.visitor?.email;
        const pages: number | undefined = event.page_views?.length;
        const homeowner: boolean | null | undefined = event.visitor?.homeowner;
        const size: number | null | undefined = event.company?.size;
        const personaMatch: boolean | null | undefined = event.visitor?.persona_match;
        const firstUrl: string | null | undefined = event.page_views?.[0]?.url;
        // Accepted with fields of another type: where, and both types (never the value: it may be personal data).
        const drift: Mismatch[] = mismatchesOf(event);
        for (const { path, expected, found } of drift) {
          const types: [JsonType, JsonType] = [expected, found];
          console.warn(`bullseye: ${path} should be ${types[0]} but is ${types[1]}`);
        }
        // @ts-expect-error company.size is a number (an integer), not a string
        const sizeText: string = event.company!.size!;
        void sizeText;
        return Response.json({ email, pages, homeowner, size, personaMatch, firstUrl, domain: event.company?.domain ?? null });
      }
      return Response.json({ ignored: event.event_type });
    } catch (error) {
      if (error instanceof WebhookError) {
        const code: ErrorCode = error.code;
        return Response.json({ error: code }, { status: error.status });
      }
      throw error;
    }
  },
};

const body = new TextEncoder().encode('{"event":"NEW_VISIT","id":"v1"}');
webhook.verify(body, { [SIGNATURE_HEADER.toLowerCase()]: sign('whsec_new', body) });
webhook.verify('{}', sign('whsec_new', '{}'));
const strictWebhook = new Webhook('whsec_x', { strict: true });
const isStrict: boolean = strictWebhook.strict;
// @ts-expect-error strict is a boolean
new Webhook('whsec_x', { strict: 1 });
const visit = parseVisit(body, { strict: isStrict });
const visitId: string | null | undefined = visit.id;
const width = visit.screen?.['width'];
const visitDrift: number = mismatchesOf(visit).length;
// @ts-expect-error raw is read-only
visit.raw = {};
export { width, visitDrift };
const codes: readonly ErrorCode[] = ERROR_CODES;
export { visitId, codes };

// Bitnob: a Worker with its own de-duplication store keyed by deliveryKeyOf.
import {
  BITNOB_EVENT_HEADER,
  BITNOB_SIGNATURE_HEADER,
  BITNOB_TIMESTAMP_HEADER,
  BitnobWebhook,
  DEFAULT_BITNOB_TOLERANCE,
  deliveryKeyOf,
  secretLast4,
  signBitnob,
  type BitnobEvent,
} from 'bullseye-webhooks-wasm';

declare const kv: { get(key: string): Promise<string | null>; put(key: string, value: string): Promise<void> };
const bitnob = new BitnobWebhook(['bn_whsk_new', 'bn_whsk_old'], { tolerance: DEFAULT_BITNOB_TOLERANCE, legacySha512: false, maxBodyBytes: 65536 });
const noWindow = new BitnobWebhook('bn_whsk_x', { tolerance: null });
const windowSeconds: number | null = noWindow.tolerance;
const legacy: boolean = bitnob.legacySha512;
const indexes: number[] = bitnob.secretsEndingIn(secretLast4('bn_whsk_new'));
// @ts-expect-error legacySha512 is a boolean
new BitnobWebhook('bn_whsk_x', { legacySha512: 'yes' });

export async function bitnobFetch(request: Request): Promise<Response> {
  const event: BitnobEvent = await bitnob.constructEventFromRequest(request);
  const key: string = deliveryKeyOf(event);
  if ((await kv.get(key)) !== null) return Response.json({ duplicate: true });
  await kv.put(key, 'done');
  const eventType: string = event.event_type;
  return Response.json({ eventType, windowSeconds, legacy, indexes });
}

const bitnobBody = '{"event":"virtualcard.transaction.debit"}';
const timestamp = Math.floor(Date.now() / 1000);
bitnob.verify(bitnobBody, {
  [BITNOB_SIGNATURE_HEADER]: signBitnob('bn_whsk_new', bitnobBody, timestamp),
  [BITNOB_TIMESTAMP_HEADER]: String(timestamp),
  [BITNOB_EVENT_HEADER]: 'virtualcard.transaction.debit',
});
bitnob.verify(bitnobBody, [['x-bitnob-signature', signBitnob('bn_whsk_new', bitnobBody, String(timestamp))]], { now: new Date() });
// @ts-expect-error Bitnob needs the headers, not a signature alone
bitnob.verify(bitnobBody, 'signature');
const visitKey: string = deliveryKeyOf(parseVisit(body));
// The Fetch handler, in every export; de-duplication is the Node package's.
const onEvent: (request: Request) => Promise<Response> = webhook.handler((event: BullseyeEvent) => ({ type: event.event_type }));
const onVisit = webhook.handler((visit) => new Response(visit.event_type), { kind: 'visit' });
const onBitnob = bitnob.handler(async (event) => Response.json({ id: event.event }));
// @ts-expect-error no de-duplication store in this package
webhook.handler(() => undefined, { dedupe: null });
const hono = honoMiddleware(webhook, { kind: 'event' });
export { visitKey, onEvent, onVisit, onBitnob, hono };
