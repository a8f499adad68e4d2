// Type-checked by tests/api.test.mjs with `tsc --noEmit --strict`: what a
// Worker or a browser page writes against the package's types.
import {
  ERROR_CODES,
  SIGNATURE_HEADER,
  Webhook,
  WebhookError,
  initSync,
  isVisitorIdentified,
  parseVisit,
  sign,
  type BullseyeEvent,
  type ErrorCode,
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
        return Response.json({ email, pages, homeowner, domain: event.company?.domain ?? null });
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
const visit = parseVisit(body);
const visitId: string | null = visit.id;
const codes: readonly ErrorCode[] = ERROR_CODES;
export { visitId, codes };
