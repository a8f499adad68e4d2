// Observability, Koa and Lambda types, type-checked with `tsc --noEmit --strict`.
import {
  BitnobWebhook,
  MemoryStore,
  Webhook,
  WebhookError,
  koaMiddleware,
  lambdaHandler,
  type DeliveryInfo,
  type LambdaHttpEvent,
  type LambdaHttpResponse,
} from 'bullseye-webhooks';

const webhook = new Webhook('whsec_example');
const seen: DeliveryInfo[] = [];

export const middleware = koaMiddleware(webhook, {
  logger: { warn: (message: string) => console.warn(message), error: console.error, debug: console.debug },
  onVerified: (_event, info) => seen.push(info),
  onRefused: (error: WebhookError, info) => seen.push({ ...info, code: error.code }),
});

export const handler: (event: LambdaHttpEvent, context?: unknown) => Promise<LambdaHttpResponse> = lambdaHandler(
  webhook,
  (event, lambdaEvent) => ({ statusCode: 200, body: JSON.stringify({ type: event.event_type, base64: lambdaEvent.isBase64Encoded === true }) }),
  { onRefused: (_error, info) => console.warn(info.code, info.status, info.bodyLength, info.signaturePresent) },
);

// A Fetch handler takes the logs and hooks beside the de-duplication
// options, for Bitnob too; a misspelt hook is refused.
export const bitnob = new BitnobWebhook('bn_whsk_example').handler((event) => ({ received: event.event_type }), {
  dedupe: new MemoryStore(),
  logger: console,
  onVerified: (event, info) => seen.push({ ...info, eventType: event.event_type }),
  onRefused: (_error, info) => seen.push(info),
});
// @ts-expect-error: the hook is onVerified
webhook.handler(() => undefined, { onVerify: () => undefined });
