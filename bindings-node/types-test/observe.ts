// Observability, Koa and Lambda types, type-checked with `tsc --noEmit --strict`.
import {
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
