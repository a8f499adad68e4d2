// A Worker exercising bullseye-webhooks/partner inside workerd (run by
// partner-workerd.test.mjs): every endpoint against the emulator, a wrong
// key, a retried 503, a timeout, generateSecret on workerd's Web Crypto, and
// the key's absence from what the client prints. Answers what it saw, as
// JSON, for the test to check.
import { PartnerApiError, PartnerClient, generateSecret } from 'bullseye-webhooks/partner';

async function failure(call) {
  try {
    await call();
  } catch (error) {
    return {
      isPartnerApiError: error instanceof PartnerApiError,
      name: error.name,
      kind: error.kind,
      status: error.status,
      code: error.code,
      serverMessage: error.serverMessage,
      message: error.message,
    };
  }
  return null;
}

export default {
  async fetch(request, env) {
    const seen = {};
    const client = new PartnerClient({ apiKey: env.KEY, baseUrl: env.API, initialBackoffMs: 10 });
    seen.secret = generateSecret();
    seen.before = await client.getWebhooks();
    seen.set = await client.setWebhook('identification', { url: env.RECEIVER, secret: seen.secret, enabled: true });
    seen.after = await client.getWebhooks();
    seen.test = await client.sendTest('identification');
    seen.page = await client.logs({ pageSize: 1, type: 'identification' });
    seen.all = [];
    for await (const entry of client.iterLogs({ pageSize: 1 })) seen.all.push(entry.id);
    seen.wrongKey = await failure(() => new PartnerClient({ apiKey: 'pk_wrong_in_workerd', baseUrl: env.API }).getWebhooks());
    seen.flaky = await new PartnerClient({ apiKey: env.KEY, baseUrl: env.FLAKY, initialBackoffMs: 10 }).getWebhooks();
    seen.slow = await failure(() => new PartnerClient({ apiKey: env.KEY, baseUrl: env.SLOW, timeoutMs: 200, maxRetries: 0 }).getWebhooks());
    seen.printed = `${JSON.stringify(client)} ${String(client)}`;
    return Response.json(seen);
  },
};
