import { raw } from '@mikro-orm/core';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { ApiKey, Role } from '../../../config/config.js';
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
import { actionRoute, mayRead } from '../writes.js';
import type { Runtime } from '../../runtime.js';
import { bodyValidator } from '../../validation.js';

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
    createdFrom: Type.Optional(Type.String({ format: 'date-time' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

/** Where a page ended: the last order's creation time and id (what the API hands out as `nextCursor`). */
const CursorSchema = Type.Object(
  { createdAt: Type.String({ format: 'date-time' }), id: Uuid('order id') },
  { additionalProperties: false },
);
type Cursor = Static<typeof CursorSchema>;
const isCursor = bodyValidator(CursorSchema);

const encodeCursor = (order: Order) =>
  Buffer.from(JSON.stringify({ createdAt: order.createdAt.toISOString(), id: order.id } satisfies Cursor)).toString(
    'base64url',
  );

function decodeCursor(raw: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (isCursor(parsed)) return parsed as Cursor;
  } catch {
    // fall through to the problem below
  }
  throw new Problem(400, 'VALIDATION_FAILED', 'Invalid request', 'cursor is not a cursor this API returned', {
    errors: [{ path: '/query/cursor', message: 'is not a cursor this API returned' }],
  });
}

export const orderRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime; intake: Intake }> = async (
  app,
  { runtime, intake },
) => {
  const em = () => runtime.orm.em.fork();

  /**
   * An order exists once placed; an accepted placement not yet applied counts too (its actions queue behind it).
   * A storefront key knows only the orders it placed. Returns the order's number, null while it is not placed yet.
   */
  async function knownOrderNumber(orderId: string, actor: ApiKey): Promise<string | null> {
    const [row] = await em().execute<{ number: string | null; owner: string | null }[]>(
      `select number, placed_by as owner from orders where id = ?
       union all
       select null, actor_name from actions where order_id = ? and type = 'order.place' and status <> 'rejected'
       limit 1`,
      [orderId, orderId],
    );
    if (!row?.owner || !mayRead(actor, row.owner)) throw notFound('order', orderId);
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
      async resolve(params, body, actor) {
        const orderNumber = await knownOrderNumber(params.id, actor);
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
      if (query.customerEmail) where.push({ [raw('lower(customer_email)')]: query.customerEmail.toLowerCase() });
      if (query.createdFrom) where.push({ createdAt: { $gte: new Date(query.createdFrom) } });
      if (query.createdTo) where.push({ createdAt: { $lt: new Date(query.createdTo) } });
      if (query.cursor) {
        const cursor = decodeCursor(query.cursor);
        const at = new Date(cursor.createdAt);
        where.push({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: cursor.id } }] });
      }
      const orders = await em().find(Order, { $and: where }, {
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        limit: query.limit + 1,
      });
      const page = orders.slice(0, query.limit);
      const last = page.at(-1);
      return { items: page.map(orderSummary), nextCursor: orders.length > query.limit && last ? encodeCursor(last) : null };
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
