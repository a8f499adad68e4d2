// Type-checked by tests/api.test.mjs (tsconfig.bullseye.json): a Worker on
// the Bullseye-only entry, which declares no Bitnob verifier.
import { Webhook, WebhookError, isVisitorIdentified, type BullseyeEvent } from 'bullseye-webhooks-wasm/bullseye';
// @ts-expect-error the Bitnob verifier is the full entry's only
import { BitnobWebhook } from 'bullseye-webhooks-wasm/bullseye';

const webhook = new Webhook('whsec_new');

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const event: BullseyeEvent = await webhook.constructEventFromRequest(request);
      const email: string | null | undefined = isVisitorIdentified(event) ? event.visitor?.email : null;
      return Response.json({ event_type: event.event_type, email, bitnob: typeof BitnobWebhook });
    } catch (error) {
      if (error instanceof WebhookError) return Response.json({ error: error.code }, { status: error.status });
      throw error;
    }
  },
};
