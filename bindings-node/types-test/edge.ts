// The edge exports' types (workerd, edge-light, browser, deno: the WebAssembly
// build's index.d.ts, the same as bullseye-webhooks-wasm's), type-checked with
// `tsc --noEmit --strict`: `handler` and `honoMiddleware` take the logs and
// hooks there too, as they do at run time, and refuse what is not an option.
import { BitnobWebhook, Webhook, WebhookError, honoMiddleware, type DeliveryInfo } from '../wasm/index.js';

const seen: DeliveryInfo[] = [];
const observe = {
  logger: { warn: (message: string) => console.warn(message), debug: (message: string) => console.debug(message) },
  onVerified: (_event: unknown, info: DeliveryInfo) => seen.push(info),
  onRefused: (error: WebhookError, info: DeliveryInfo) => seen.push({ ...info, code: error.code }),
};

export const events: (request: Request) => Promise<Response> = new Webhook('whsec_example').handler((event) => ({ received: event.event_type }), observe);
export const visits = new Webhook('fp-token').handler((visit) => visit.event_type, { kind: 'visit', logger: console, onRefused: (_error, info) => console.warn(info.code) });
export const bitnob = new BitnobWebhook('bn_whsk_example').handler((event) => event.event_type, { onVerified: (event, info) => console.log(event, info.status) });
export const middleware = honoMiddleware(new Webhook('whsec_example'), { logger: { warn: console.warn } });

// @ts-expect-error: the edge builds have no de-duplication stores
new Webhook('whsec_example').handler(() => undefined, { dedupe: false });
// @ts-expect-error: a logger needs warn
new Webhook('whsec_example').handler(() => undefined, { logger: { debug: console.debug } });
// @ts-expect-error: onRefused is a function
honoMiddleware(new Webhook('whsec_example'), { onRefused: 'log' });
