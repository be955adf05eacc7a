import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { queueOf } from '../../actions/registry.js';
import { Uuid } from '../../actions/schemas.js';
import { Action } from '../../db/entities/actions.js';
import { Order } from '../../db/entities/orders.js';
import type { Runtime } from '../../runtime.js';
import { cursorCodec } from '../cursor.js';
import type { Intake } from '../intake.js';
import { ActionUnion, answer } from '../openapi.js';
import { notFound } from '../problem.js';
import { ActionView, actionView } from '../views/actions.js';
import { knownOrder, mayRead, preferredWait } from '../writes.js';

/** What an operator watches: actions not applied yet, and those the queue gave up on (retry them in bull-board). */
const UNFINISHED = ['queued', 'processing', 'failed'] as const;

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(UNFINISHED.map((s) => Type.Literal(s)), { description: 'default: all three' })),
    orderId: Type.Optional(Uuid('only the actions of this order')),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const UnfinishedAction = Type.Object({
  ...ActionView.properties,
  queue: Type.String({ description: 'the BullMQ queue of its job, whose id is the action id (bull-board: /admin/queues/queue/{queue}/{id})' }),
  orderNumber: Type.Union([Type.String(), Type.Null()], { description: 'null while the order is not placed' }),
}, { title: 'UnfinishedAction' });

/** Where a page ended: the last action's place in the order actions were accepted. */
const actionCursor = cursorCodec(Type.Object({ seq: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }));

export const actionRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime; intake: Intake }> = async (app, { runtime, intake }) => {
  const em = () => runtime.orm.em.fork();
  app.get(
    '/v1/actions/:id',
    {
      config: { role: 'storefront', documented: { 200: answer('The action as it is now (or once it ended, with `Prefer: wait`)', ActionUnion) } },
      schema: {
        operationId: 'getAction', summary: 'Read an action; with Prefer: wait=N, once it has ended or N seconds passed',
        tags: ['actions'],
        params: Type.Object({ id: Uuid('action id') }),
        headers: Type.Object({ prefer: Type.Optional(Type.String({ description: 'wait=N (N ≤ 30)' })) }),
        response: { 200: ActionView },
      },
    },
    async (request, reply) => {
      const wait = preferredWait(request);
      if (wait !== null) reply.header('preference-applied', `wait=${wait}`);
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      // A storefront key sees the actions it recorded and those on orders it placed; others are as unknown as ids never used.
      const visible = await intake.findAction(request.params.id);
      const mine =
        visible && (mayRead(request.actor, visible.actorName) || (await knownOrder(em(), visible.orderId, request.actor)) !== null);
      if (!visible || !mine) throw notFound('action', request.params.id);
      const action = wait === null ? visible : ((await intake.wait(request.params.id, wait, abort.signal)) ?? visible);
      return actionView(action);
    },
  );

  app.get(
    '/v1/actions',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listUnfinishedActions', summary: 'Unfinished actions (queued, processing or failed), newest first',
        tags: ['actions'],
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(UnfinishedAction), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const { status, orderId, limit, cursor } = request.query;
      const fork = em();
      const actions = await fork.find(
        Action,
        {
          status: status ?? { $in: [...UNFINISHED] },
          ...(orderId ? { orderId } : {}),
          ...(cursor ? { seq: { $lt: actionCursor.decode(cursor).seq } } : {}),
        },
        { orderBy: { seq: 'desc' }, limit: limit + 1 },
      );
      const page = actions.slice(0, limit);
      const orders = await fork.find(Order, { id: { $in: page.map((action) => action.orderId) } }, { fields: ['number'] });
      const numbers = new Map(orders.map((order) => [order.id, order.number]));
      const last = page.at(-1);
      return {
        items: page.map((action) => ({
          ...actionView(action),
          queue: queueOf(action.type),
          orderNumber: numbers.get(action.orderId) ?? null,
        })),
        nextCursor: actions.length > limit && last ? actionCursor.encode({ seq: last.seq }) : null,
      };
    },
  );
};
