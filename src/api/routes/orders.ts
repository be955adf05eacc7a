import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Uuid } from '../../actions/schemas.js';
import { moneyTotals, ORDER_STATUSES, orderMoney } from '../../domain/order.js';
import { refundWindowEndsAt } from '../../domain/refund.js';
import { Action } from '../../db/entities/actions.js';
import { Invoice } from '../../db/entities/invoices.js';
import { Order, OrderEvent } from '../../db/entities/orders.js';
import { Refund, RefundItem } from '../../db/entities/refunds.js';
import { Return, ReturnItem } from '../../db/entities/returns.js';
import { Shipment } from '../../db/entities/shipments.js';
import type { Runtime } from '../../runtime.js';
import { notFound, Problem } from '../problem.js';
import { EventView, eventView, OrderSummary, orderSummary, OrderView, orderView, type OrderDocuments } from '../views/orders.js';
import { mayRead } from '../writes.js';
import { cursorCodec } from '../cursor.js';

const OrderParams = Type.Object({ id: Uuid('order id') });

/** The documents and money of an order, for its full view. */
async function readDocuments(em: EntityManager, order: Order, refundWindowDays: number): Promise<OrderDocuments> {
  const byCreation = { orderBy: { createdAt: 'asc' } } as const;
  const [invoices, shipments, refundRows, returnRows] = await Promise.all([
    em.find(Invoice, { orderId: order.id }, byCreation),
    em.find(Shipment, { orderId: order.id }, byCreation),
    em.find(Refund, { orderId: order.id }, byCreation),
    em.find(Return, { orderId: order.id }, byCreation),
  ]);
  const [refundItems, returnItems] = await Promise.all([
    refundRows.length > 0 ? em.find(RefundItem, { refundId: { $in: refundRows.map((refund) => refund.id) } }) : [],
    returnRows.length > 0 ? em.find(ReturnItem, { returnId: { $in: returnRows.map((ret) => ret.id) } }) : [],
  ]);
  const refunds = refundRows.map((refund) => ({ ...refund, items: refundItems.filter((item) => item.refundId === refund.id) }));
  const returns = returnRows.map((ret) => ({ ...ret, items: returnItems.filter((item) => item.returnId === ret.id) }));
  const latest = (dates: (Date | null | undefined)[]) =>
    dates.reduce<Date | null>((max, d) => (d && (!max || d > max) ? d : max), null);
  return {
    invoices,
    shipments,
    refunds,
    returns,
    money: moneyTotals(orderMoney(invoices, refunds)),
    refundWindowEndsAt: refundWindowEndsAt(
      {
        placedAt: order.createdAt,
        latestDelivery: latest(shipments.map((s) => s.deliveredAt)),
        latestShipment: latest(shipments.map((s) => s.createdAt)),
        lines: order.lines.getItems(),
      },
      refundWindowDays,
    ),
  };
}

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)))),
    customerEmail: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    number: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the order number, exactly' })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the storefront's id, exactly" })),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 254, description: 'search: the order number, the external id or the customer e-mail' }),
    ),
    createdFrom: Type.Optional(Type.String({ format: 'date-time' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

/** Where a page ended: the last order's creation time and id (what the API hands out as `nextCursor`). */
const orderCursor = cursorCodec(
  Type.Object({ createdAt: Type.String({ format: 'date-time' }), id: Uuid('order id') }, { additionalProperties: false }),
);

/** Reading orders: the list, one order, its history. Actions on orders are the write routes (`writes.ts`). */
export const orderRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime }> = async (app, { runtime }) => {
  const em = () => runtime.orm.em.fork();

  app.get(
    '/v1/orders',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listOrders', summary: 'List orders, newest first',
        tags: ['orders'],
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(OrderSummary), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const query: Static<typeof ListQuery> = request.query;
      const where: Record<string, unknown>[] = [];
      if (query.status) where.push({ status: query.status });
      const byEmail = (email: string) => ({ [raw('lower(customer_email)')]: email.toLowerCase() });
      if (query.customerEmail) where.push(byEmail(query.customerEmail));
      if (query.number) where.push({ number: query.number });
      if (query.externalId) where.push({ externalId: query.externalId });
      if (query.q) where.push({ $or: [{ number: query.q }, { externalId: query.q }, byEmail(query.q)] });
      if (query.createdFrom) where.push({ createdAt: { $gte: new Date(query.createdFrom) } });
      if (query.createdTo) where.push({ createdAt: { $lt: new Date(query.createdTo) } });
      if (query.cursor) {
        const cursor = orderCursor.decode(query.cursor);
        const at = new Date(cursor.createdAt);
        where.push({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: cursor.id } }] });
      }
      const orders = await em().find(Order, { $and: where }, {
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        limit: query.limit + 1,
      });
      const page = orders.slice(0, query.limit);
      const last = page.at(-1);
      const nextCursor =
        orders.length > query.limit && last ? orderCursor.encode({ createdAt: last.createdAt.toISOString(), id: last.id }) : null;
      return { items: page.map(orderSummary), nextCursor };
    },
  );

  app.get(
    '/v1/orders/:id',
    {
      config: { role: 'storefront' },
      schema: { operationId: 'getOrder', summary: 'Read an order', tags: ['orders'], params: OrderParams, response: { 200: OrderView } },
    },
    async (request) => {
      const fork = em();
      const order = await fork.findOne(Order, request.params.id, { populate: ['lines', 'addresses'] });
      if (order && mayRead(request.actor, order.placedBy)) {
        return orderView(order, await readDocuments(fork, order, runtime.config.refundWindowDays));
      }
      if (order) throw notFound('order', request.params.id);
      const placement = await em().findOne(Action, { orderId: request.params.id, type: 'order.place', status: { $ne: 'rejected' } });
      if (placement && mayRead(request.actor, placement.actorName)) {
        throw new Problem(404, 'NOT_FOUND', 'Not found', `order ${request.params.id} is not placed yet: its action ${placement.id} is ${placement.status}`, {
          actionId: placement.id,
        });
      }
      throw notFound('order', request.params.id);
    },
  );

  app.get(
    '/v1/orders/:id/history',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'getOrderHistory', summary: "An order's history, oldest first",
        tags: ['orders'],
        params: OrderParams,
        response: { 200: Type.Object({ items: Type.Array(EventView) }) },
      },
    },
    async (request) => {
      const fork = em();
      if (!(await fork.count(Order, { id: request.params.id }))) throw notFound('order', request.params.id);
      const events = await fork.find(OrderEvent, { orderId: request.params.id }, { orderBy: { id: 'asc' } });
      return { items: events.map(eventView) };
    },
  );
};
