// Run by Deno (partner-deno.test.js): imports bullseye-webhooks/partner from
// the file URL given as its first argument, with network access to
// 127.0.0.1 only, calls every endpoint of the emulator at API with KEY, a
// wrong key and a server that never answers (SLOW), and prints what it saw
// as one JSON line.
const { PartnerApiError, PartnerClient, generateSecret } = await import(Deno.args[0]);
const env = (name) => Deno.env.get(name);

async function failure(call) {
  try {
    await call();
  } catch (error) {
    return { isPartnerApiError: error instanceof PartnerApiError, kind: error.kind, status: error.status, code: error.code, serverMessage: error.serverMessage, message: error.message };
  }
  return null;
}

const seen = { runtime: `deno ${Deno.version.deno}` };
const client = new PartnerClient({ apiKey: env('KEY'), baseUrl: env('API'), initialBackoffMs: 10 });
seen.secret = generateSecret();
seen.before = await client.getWebhooks();
seen.set = await client.setWebhook('identification', { url: env('RECEIVER'), secret: seen.secret, enabled: true });
seen.test = await client.sendTest('identification');
seen.page = await client.logs({ pageSize: 1 });
seen.all = [];
for await (const entry of client.iterLogs({ pageSize: 1, type: 'identification' })) seen.all.push(entry.id);
seen.wrongKey = await failure(() => new PartnerClient({ apiKey: 'pk_wrong_in_deno', baseUrl: env('API') }).getWebhooks());
seen.slow = await failure(() => new PartnerClient({ apiKey: env('KEY'), baseUrl: env('SLOW'), timeoutMs: 200, maxRetries: 0 }).getWebhooks());
seen.printed = [Deno.inspect(client), JSON.stringify(client), String(client)].join(' ');
console.log(JSON.stringify(seen));
