// A real Fastify app using the plugin, type-checked with `tsc --noEmit --strict`
// (tests/js/node/types.test.js): `request.bullseyeEvent` and
// `request.bullseyeVisit` are typed on FastifyRequest by the package's
// augmentation of the 'fastify' module. Each `@ts-expect-error` line is a
// mistake the types must refuse.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  Webhook,
  fastifyPlugin,
  isVisitorIdentified,
  mismatchesOf,
  type BullseyeEvent,
  type Visit,
} from 'bullseye-webhooks';

const webhook = new Webhook(process.env.BULLSEYE_SECRET ?? 'whsec_example');
const app = Fastify({ logger: true });

app.register(async (scope) => {
  scope.register(fastifyPlugin, { webhook });

  scope.post('/webhooks/bullseye', async (request, reply) => {
    const event: BullseyeEvent | null | undefined = request.bullseyeEvent;
    if (!event) return reply.code(500).send({ error: 'the plugin is not registered in this scope' });
    const type: string = event.event_type;
    if (isVisitorIdentified(event)) {
      const email: string | null | undefined = event.visitor?.email;
      request.log.info({ type, email, drifted: mismatchesOf(event).length }, 'received');
    }
    // @ts-expect-error the event may be null or undefined until narrowed
    request.bullseyeEvent.event_type;
    // @ts-expect-error event_type is a string
    const wrong: number = event.event_type;
    void wrong;
    return { ok: true };
  });

  // A typed route generic keeps the augmentation.
  scope.post<{ Querystring: { source?: string } }>('/webhooks/bullseye/:source', async (request) => {
    const source: string | undefined = request.query.source;
    return { type: request.bullseyeEvent!.event_type, source };
  });
});

app.register(async (scope) => {
  scope.register(fastifyPlugin, { webhook: new Webhook('fp-token'), kind: 'visit' });
  scope.post('/webhooks/visits', async (request: FastifyRequest, reply: FastifyReply) => {
    const visit: Visit | null | undefined = request.bullseyeVisit;
    if (!visit) return reply.code(500).send({ error: 'no visit' });
    const id: string | null | undefined = visit.id;
    // @ts-expect-error a visit's event_type may be null
    const type: string = visit.event_type;
    void type;
    return { id };
  });
});

// @ts-expect-error the plugin needs a webhook
app.register(fastifyPlugin, {});
// @ts-expect-error kind is 'event' or 'visit'
app.register(fastifyPlugin, { webhook, kind: 'visits' });

export async function start(): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}
