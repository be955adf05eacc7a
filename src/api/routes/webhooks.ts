import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Strict, Uuid } from '../../actions/schemas.js';
import { WebhookDelivery, WebhookSubscription } from '../../db/entities/effects.js';
import { uuidv7 } from '../../db/ids.js';
import { WEBHOOK_EVENT_TYPES } from '../../domain/follow-ups.js';
import { newSecret } from '../../effects/webhooks.js';
import { answer } from '../openapi.js';
import { DELIVER_JOB } from '../../queues/names.js';
import { recordFollowUp } from '../../queues/outbox.js';
import { announceSubscriptions } from '../../db/webhooks.js';
import { checkOutboundUrl, OutboundRefusedError } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import { notFound, Problem, type ProblemCode } from '../problem.js';

const EventType = Type.Union([...WEBHOOK_EVENT_TYPES, '*'].map((type) => Type.Literal(type)));

const SubscriptionBody = Strict({
  url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'where events are POSTed: http(s), no credentials, a public address' }),
  secret: Type.Optional(
    Type.String({ minLength: 16, maxLength: 200, description: 'the HMAC secret; generated and returned once when absent' }),
  ),
  eventTypes: Type.Array(EventType, { minItems: 1, uniqueItems: true, description: "event types, or '*' for all" }),
});

const SubscriptionView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  secret: Type.Optional(Type.String({ description: 'only in the answer that created it' })),
}, { title: 'WebhookSubscription' });

const DeliveryView = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  orderId: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  attempts: Type.Integer(),
  responseStatus: Type.Union([Type.Integer(), Type.Null()]),
  responseExcerpt: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
}, { title: 'WebhookDelivery' });

const subscriptionView = (s: WebhookSubscription): Static<typeof SubscriptionView> => ({
  id: s.id,
  url: s.url,
  eventTypes: s.eventTypes,
  createdAt: s.createdAt.toISOString(),
});

const deliveryView = (d: WebhookDelivery): Static<typeof DeliveryView> => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  orderId: d.orderId ?? null,
  status: d.status,
  attempts: d.attempts,
  responseStatus: d.responseStatus ?? null,
  responseExcerpt: d.responseExcerpt ?? null,
  durationMs: d.durationMs ?? null,
  lastError: d.lastError ?? null,
  createdAt: d.createdAt.toISOString(),
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
});

/** A subscriber URL that may be stored: 400 WEBHOOK_URL_FORBIDDEN or WEBHOOK_URL_UNRESOLVABLE otherwise. */
async function checkSubscriberUrl(url: string, runtime: Runtime): Promise<void> {
  try {
    await checkOutboundUrl(url, runtime.config.outbound);
  } catch (error) {
    if (!(error instanceof OutboundRefusedError)) throw error;
    const [code, title]: [ProblemCode, string] =
      error.reason === 'unresolvable' ? ['WEBHOOK_URL_UNRESOLVABLE', 'Webhook URL does not resolve'] : ['WEBHOOK_URL_FORBIDDEN', 'Webhook URL not allowed'];
    throw new Problem(400, code, title, `The webhook URL is refused: ${error.message}.`, { errors: [{ path: '/url', message: error.message }] });
  }
}

const IdParams = (what: string) => Type.Object({ id: Uuid(`${what} id`) });

/** Webhook subscriptions and their delivery log (SPEC §3.8). Configuration, written at once, admin only. */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime }> = async (app, { runtime }) => {
  const em = () => runtime.orm.em.fork();
  const tags = ['webhooks'];

  app.post(
    '/v1/webhooks',
    {
      config: { role: 'admin' },
      schema: { operationId: 'createWebhook', summary: 'Subscribe a URL to events', tags, body: { ...SubscriptionBody, title: 'CreateWebhookBody' }, response: { 201: SubscriptionView } },
    },
    async (request, reply) => {
      await checkSubscriberUrl(request.body.url, runtime);
      const fork = em();
      const secret = request.body.secret ?? newSecret();
      const subscription = fork.create(WebhookSubscription, {
        id: uuidv7(),
        url: request.body.url,
        secret,
        eventTypes: request.body.eventTypes,
        createdAt: new Date(),
        deletedAt: null,
      });
      await fork.flush();
      await announceSubscriptions(fork);
      return reply
        .code(201)
        .header('location', `/v1/webhooks/${subscription.id}`)
        .send({ ...subscriptionView(subscription), ...(request.body.secret ? {} : { secret }) });
    },
  );

  app.get(
    '/v1/webhooks',
    { config: { role: 'admin' }, schema: { operationId: 'listWebhooks', summary: 'List subscriptions', tags, response: { 200: Type.Object({ items: Type.Array(SubscriptionView) }) } } },
    async () => ({
      items: (await em().find(WebhookSubscription, { deletedAt: null }, { orderBy: { createdAt: 'asc' } })).map(subscriptionView),
    }),
  );

  app.delete(
    '/v1/webhooks/:id',
    { config: { role: 'admin', documented: { 204: answer('Unsubscribed') } }, schema: { operationId: 'deleteWebhook', summary: 'Unsubscribe (pending deliveries stop)', tags, params: IdParams('subscription') } },
    async (request, reply) => {
      const fork = em();
      const updated = await fork.nativeUpdate(WebhookSubscription, { id: request.params.id, deletedAt: null }, { deletedAt: new Date() });
      if (updated === 0) throw notFound('webhook subscription', request.params.id);
      await announceSubscriptions(fork);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listWebhookDeliveries', summary: 'The delivery log of a subscription, newest first',
        tags,
        params: IdParams('subscription'),
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(DeliveryView) }) },
      },
    },
    async (request) => {
      const fork = em();
      if (!(await fork.count(WebhookSubscription, { id: request.params.id }))) throw notFound('webhook subscription', request.params.id);
      const deliveries = await fork.find(
        WebhookDelivery,
        { subscriptionId: request.params.id },
        { orderBy: { createdAt: 'desc' }, limit: request.query.limit },
      );
      return { items: deliveries.map(deliveryView) };
    },
  );

  app.post(
    '/v1/webhook-deliveries/:id/redeliver',
    {
      config: { role: 'admin' },
      schema: { operationId: 'redeliverWebhookDelivery', summary: 'Send a delivery again, whatever its state', tags, params: IdParams('delivery'), response: { 202: DeliveryView } },
    },
    async (request, reply) => {
      const fork = em();
      const delivery = await fork.findOne(WebhookDelivery, request.params.id);
      if (!delivery) throw notFound('webhook delivery', request.params.id);
      Object.assign(delivery, { status: 'pending', updatedAt: new Date() });
      await recordFollowUp(fork, runtime.queues, { queue: 'webhooks', name: DELIVER_JOB, payload: { deliveryId: delivery.id } }, runtime.config.relayAfterMs);
      return reply.code(202).send(deliveryView(delivery));
    },
  );
};
