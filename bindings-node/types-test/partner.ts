// The partner client's types (bullseye-webhooks/partner): type-checked by
// tests/js/node/types.test.js with the other usage examples, never run.
import {
  DEFAULT_BASE_URL,
  PartnerApiError,
  PartnerClient,
  generateSecret,
  type LogEntry,
  type LogsPage,
  type TestResult,
  type WebhookConfig,
  type WebhookEndpoint,
} from 'bullseye-webhooks/partner';

export async function usage(apiKey: string): Promise<void> {
  const client = new PartnerClient({ apiKey, baseUrl: DEFAULT_BASE_URL, timeoutMs: 10_000, maxRetries: 2, fetch });
  const config: WebhookConfig = await client.getWebhooks();
  const url: string | null = config.identification.url;
  const extra: unknown = config.identification['createdAt'];
  const secret: string = generateSecret();
  const endpoint: WebhookEndpoint = await client.setWebhook('billing', { url: 'https://example.com/b', secret, enabled: true });
  const enabled: boolean = endpoint.enabled && endpoint.hasSecret;
  await client.setWebhook('identification', { url: null, secret: null });
  const test: TestResult = await client.sendTest('identification', { signal: AbortSignal.timeout(5000) });
  const page: LogsPage = await client.logs({ page: 2, pageSize: 50, type: 'billing', status: 'failed', organizationId: 'org' });
  const code: number | null = page.logs[0]?.statusCode ?? null;
  for await (const entry of client.iterLogs({ type: 'identification' })) {
    const e: LogEntry = entry;
    const attempt: unknown = e['attempt'];
    console.log(e.attemptedAt, e.status, e.responseTimeMs, attempt);
  }
  try {
    await client.sendTest('billing');
  } catch (error) {
    if (error instanceof PartnerApiError) {
      const status: number | null = error.status;
      const message: string | null = error.serverMessage;
      console.log(status, message, error.kind === 'api_status', error.isUnauthorized, error.retryAfter);
    }
  }
  console.log(url, extra, enabled, test.success, test.message, code);

  // @ts-expect-error: there are two webhooks
  await client.sendTest('refund');
  // @ts-expect-error: the update fields are url, secret and enabled
  await client.setWebhook('billing', { enable: true });
  // @ts-expect-error: enabled is a boolean
  await client.setWebhook('billing', { enabled: 'yes' });
  // @ts-expect-error: the logs filters are the documented ones
  await client.logs({ organization: 'org' });
  // @ts-expect-error: apiKey is required
  new PartnerClient({ baseUrl: DEFAULT_BASE_URL });
}
