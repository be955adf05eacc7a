import { raw } from '@mikro-orm/core';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { Role } from '../../../config/config.js';
import type { ActionDefinition } from '../../actions/definition.js';
import { cancelOrder, commentOrder, holdOrder, unholdOrder } from '../../actions/order-manage.js';
import { createInvoice } from '../../actions/invoice.js';
import { createRefund } from '../../actions/refund.js';
import { createShipment } from '../../actions/shipment.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { placementInputProblems } from '../../domain/placement.js';
import { PlaceOrderBody, placeOrder } from '../../actions/order-place.js';
import { Uuid } from '../../actions/schemas.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { moneyTotals, ORDER_STATUSES } from '../../domain/order.js';
import { refundWindowEndsAt } from '../../domain/refund.js';
import { Action, Invoice, Order, OrderEvent, Refund, Shipment } from '../../db/entities.js';
import { readOrderMoney } from '../../db/order-documents.js';
import { uuidv7 } from '../../db/ids.js';
import type { Intake } from '../intake.js';
import { notFound, Problem } from '../problem.js';
import { EventView, eventView, OrderSummary, orderSummary, OrderView, orderView, type OrderDocuments } from '../views.js';
import { actionRoute } from '../writes.js';
import type { Runtime } from '../../runtime.js';
import { cursorCodec } from '../cursor.js';

const OrderParams = Type.Object({ id: Uuid('order id') });

/** The documents and money of an order, for its full view. */
async function readDocuments(em: EntityManager, order: Order, refundWindowDays: number): Promise<OrderDocuments> {
  const byCreation = { orderBy: { createdAt: 'asc' } } as const;
  const [invoices, shipments, refunds, money] = await Promise.all([
    em.find(Invoice, { orderId: order.id }, byCreation),
    em.find(Shipment, { orderId: order.id }, byCreation),
    em.find(Refund, { orderId: order.id }, byCreation),
    readOrderMoney(em, order.id),
  ]);
  const latest = (dates: (Date | null | undefined)[]) =>
    dates.reduce<Date | null>((max, d) => (d && (!max || d > max) ? d : max), null);
  return {
    invoices,
    shipments,
    refunds,
    money: moneyTotals(money),
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

export const orderRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime; intake: Intake }> = async (
  app,
  { runtime, intake },
) => {
  const em = () => runtime.orm.em.fork();

  /**
   * An order exists once placed; an accepted placement not yet applied counts too (its actions queue behind it).
   * Returns the order's number, null while it is not placed yet.
   */
  async function knownOrderNumber(orderId: string): Promise<string | null> {
    const [row] = await em().execute<{ number: string | null; pending: boolean }[]>(
      `select (select number from orders where id = ?) as number,
              exists (select 1 from actions where order_id = ? and type = 'order.place' and status <> 'rejected') as pending`,
      [orderId, orderId],
    );
    if (!row?.number && !row?.pending) throw notFound('order', orderId);
    return row.number;
  }

  /** POST /v1/orders/{id}/<path>: an action on an existing order, through the same intake as placement. */
  const orderAction = (path: string, definition: ActionDefinition<TObject>, role: Role, summary: string) =>
    actionRoute(app, intake, {
      url: `/v1/orders/:id/${path}`,
      role,
      summary,
      tag: 'orders',
      type: definition.type,
      params: OrderParams,
      body: definition.schema,
      async resolve(params, body) {
        const orderNumber = await knownOrderNumber(params.id);
        return { orderId: params.id, orderNumber, target: params.id, payload: body };
      },
    });

  orderAction('cancel', cancelOrder, 'storefront', 'Cancel what is neither invoiced nor shipped');
  orderAction('hold', holdOrder, 'admin', 'Put an order on hold');
  orderAction('unhold', unholdOrder, 'admin', 'Release an order from hold');
  orderAction('comments', commentOrder, 'admin', 'Comment on an order, optionally notifying the customer');
  orderAction('invoices', createInvoice, 'admin', 'Invoice an order (all that is still to invoice, or the items given)');
  orderAction('shipments', createShipment, 'admin', 'Ship from an inventory source (all that is still to ship, or the items given)');
  orderAction('refunds', createRefund, 'admin', 'Refund items, shipping or an adjustment (credit memo)');

  actionRoute(app, intake, {
    url: '/v1/orders',
    role: 'storefront',
    summary: 'Place an order',
    tag: 'orders',
    type: placeOrder.type,
    params: Type.Object({}),
    body: PlaceOrderBody,
    keyRequired: true,
    async resolve(_params, body) {
      const errors = placementInputProblems(body);
      if (errors.length > 0) {
        throw new Problem(400, 'VALIDATION_FAILED', 'Invalid request', `${errors.length} field(s) are invalid`, { errors });
      }
      return { orderId: uuidv7(), target: '', payload: body };
    },
  });

  app.get(
    '/v1/orders',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'List orders, newest first',
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
      schema: { summary: 'Read an order', tags: ['orders'], params: OrderParams, response: { 200: OrderView } },
    },
    async (request) => {
      const fork = em();
      const order = await fork.findOne(Order, request.params.id, { populate: ['lines', 'addresses'] });
      if (order) return orderView(order, await readDocuments(fork, order, runtime.config.refundWindowDays));
      const placement = await em().findOne(Action, { orderId: request.params.id, type: 'order.place' });
      if (placement && placement.status !== 'rejected') {
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
        summary: "An order's history, oldest first",
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
