import { Type } from '@sinclair/typebox';
import { assertCanHold, assertCanUnhold, planCancel } from '../domain/lifecycle.js';
import { placementInputProblems, planPlacement } from '../domain/placement.js';
import { uuidv7 } from '../db/ids.js';
import { noChanges } from '../db/write.js';
import { applied, countLines, existingOrder } from './applied.js';
import { defineAction } from './definition.js';
import { MAX_UNIT_PRICE, Money, Quantity, Reason, Sku, Strict, Text, Uuid } from './schemas.js';

/** Order actions (SPEC §3.3, §3.7): placing an order, canceling, holding and releasing it, commenting on it. */

const Address = Strict({
  name: Text(200),
  company: Type.Optional(Text(200)),
  line1: Text(200),
  line2: Type.Optional(Text(200)),
  city: Text(100),
  region: Type.Optional(Text(100)),
  postcode: Type.Optional(Text(20)),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  phone: Type.Optional(Text(40)),
});

export const PlaceOrderBody = Strict({
  externalId: Type.Optional(Text(100, "the storefront's own reference")),
  channel: Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_.-]+$', default: 'default' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
  customer: Strict({
    email: Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
    firstName: Text(100),
    lastName: Text(100),
    id: Type.Optional(Text(100, "the storefront's customer id")),
  }),
  items: Type.Array(
    Strict({
      sku: Sku,
      name: Text(255),
      qty: Quantity('units ordered'),
      unitPrice: Money('price of one unit', { maximum: MAX_UNIT_PRICE }),
      taxAmount: Money('tax for all units of the line', { default: 0 }),
      discountAmount: Money('discount for all units of the line', { default: 0 }),
      stockable: Type.Boolean({ default: true, description: 'false for virtual or downloadable goods' }),
    }),
    { minItems: 1, maxItems: 500 },
  ),
  shipping: Strict({
    method: Text(64),
    title: Text(255),
    amount: Money('shipping amount'),
    taxAmount: Money('tax on shipping', { default: 0 }),
    discountAmount: Money('discount on shipping', { default: 0 }),
  }),
  billingAddress: Address,
  shippingAddress: Type.Optional(Address),
  payment: Strict({ method: Text(64), captured: Type.Boolean() }),
  grandTotal: Type.Optional(Money('the total the storefront showed; rejected with TOTALS_MISMATCH if it differs')),
});

const OrderResult = Type.Object({ orderId: Uuid('the order') });
const orderLocation = (_result: Record<string, string>, orderId: string) => `/v1/orders/${orderId}`;

export const placeOrder = defineAction({
  type: 'order.place',
  queue: 'orders',
  route: {
    path: '/v1/orders',
    role: 'storefront',
    summary: 'Place an order',
    tag: 'orders',
    target: { kind: 'new-order' },
    keyRequired: true,
    check: (body) => placementInputProblems(body as never),
  },
  body: PlaceOrderBody,
  payload: PlaceOrderBody,
  needs: [],
  sequence: 'order',
  plan({ payload, stock, config }) {
    const salable = new Map(
      payload.items.filter((item) => stock.isManaged(item.sku)).map((item) => [item.sku, stock.salable(item.sku)]),
    );
    return planPlacement(payload, salable, { backorders: config.backorders });
  },
  stock: {
    lock: 'payloadItems',
    skus: (payload) => payload.items.filter((item) => item.stockable).map((item) => item.sku),
    moves: (plan) => ({ reserve: plan.reservations }),
  },
  write(plan, { action, payload, now, number }) {
    const changes = noChanges();
    const at = now.toISOString();
    changes.inserts.push({
      table: 'orders',
      row: {
        id: action.orderId,
        number,
        external_id: payload.externalId ?? null,
        channel: payload.channel,
        placed_by: action.actorName,
        status: 'pending',
        currency: payload.currency,
        customer_email: payload.customer.email,
        customer_first_name: payload.customer.firstName,
        customer_last_name: payload.customer.lastName,
        customer_id: payload.customer.id ?? null,
        payment_method: payload.payment.method,
        payment_captured: payload.payment.captured,
        shipping_method: payload.shipping.method,
        shipping_title: payload.shipping.title,
        shipping_amount: payload.shipping.amount,
        shipping_tax: payload.shipping.taxAmount,
        shipping_discount: payload.shipping.discountAmount,
        sub_total: plan.totals.subTotal,
        tax: plan.totals.tax,
        discount: plan.totals.discount,
        grand_total: plan.totals.grandTotal,
        held: false,
        created_at: action.createdAt.toISOString(),
        updated_at: at,
      },
    });
    const lineIds = payload.items.map(() => uuidv7());
    payload.items.forEach((line, position) => {
      changes.inserts.push({
        table: 'order_lines',
        row: {
          id: lineIds[position],
          order_id: action.orderId,
          position,
          sku: line.sku,
          name: line.name,
          stockable: line.stockable,
          unit_price: line.unitPrice,
          tax_amount: line.taxAmount,
          discount_amount: line.discountAmount,
          qty_ordered: line.qty,
          qty_invoiced: 0,
          qty_shipped: 0,
          qty_refunded: 0,
          qty_canceled: 0,
        },
      });
    });
    for (const [kind, address] of [['billing', payload.billingAddress], ['shipping', payload.shippingAddress]] as const) {
      if (!address) continue;
      changes.inserts.push({
        table: 'order_addresses',
        row: {
          order_id: action.orderId,
          kind,
          name: address.name,
          company: address.company ?? null,
          line1: address.line1,
          line2: address.line2 ?? null,
          city: address.city,
          region: address.region ?? null,
          postcode: address.postcode ?? null,
          country: address.country,
          phone: address.phone ?? null,
        },
      });
    }
    for (const reservation of plan.reservations) {
      changes.inserts.push({
        table: 'reservations',
        row: { line_id: lineIds[reservation.lineIndex], order_id: action.orderId, sku: reservation.sku, qty: reservation.qty },
      });
    }
    return {
      changes,
      events: [
        { type: action.type, data: { number, grandTotal: plan.totals.grandTotal, reserved: plan.reservations } },
        { type: 'status.changed', data: { from: null, to: 'pending' } },
      ],
      result: { orderId: action.orderId },
    };
  },
  location: orderLocation,
  result: OrderResult,
});

export const ReasonBody = Strict({ reason: Reason });

export const cancelOrder = defineAction({
  type: 'order.cancel',
  queue: 'orders',
  route: {
    path: '/v1/orders/:id/cancel',
    role: 'storefront',
    summary: 'Cancel what is neither invoiced nor shipped',
    tag: 'orders',
    target: { kind: 'order' },
  },
  body: ReasonBody,
  payload: ReasonBody,
  needs: [],
  plan(input) {
    const order = existingOrder(input);
    return { order, units: planCancel(order) };
  },
  write({ order, units }, input) {
    const deltas = new Map(order.lines.map((line, index) => [line.id, { qtyCanceled: units[index]! }]));
    const { lines, changes } = countLines(order, deltas);
    return applied(input, order, { lines }, {
      data: {
        reason: input.payload.reason ?? null,
        canceled: order.lines
          .map((line, index) => ({ itemId: line.id, sku: line.sku, qty: units[index]! }))
          .filter((line) => line.qty > 0),
      },
      changes,
      result: { orderId: order.id },
    });
  },
  location: orderLocation,
  result: OrderResult,
});

/** Hold and unhold differ only in their guard and the flag they set. */
const holdAction = (type: 'order.hold' | 'order.unhold', held: boolean, guard: typeof assertCanHold, summary: string) =>
  defineAction({
    type,
    queue: 'orders',
    route: { path: `/v1/orders/:id/${held ? 'hold' : 'unhold'}`, role: 'admin', summary, tag: 'orders', target: { kind: 'order' } },
    body: ReasonBody,
    payload: ReasonBody,
    needs: [],
    plan(input) {
      const order = existingOrder(input);
      guard(order);
      return order;
    },
    write: (order, input) => applied(input, order, { held }, { data: { reason: input.payload.reason ?? null }, result: { orderId: order.id } }),
    location: orderLocation,
    result: OrderResult,
  });

export const holdOrder = holdAction('order.hold', true, assertCanHold, 'Put an order on hold');
export const unholdOrder = holdAction('order.unhold', false, assertCanUnhold, 'Release an order from hold');

export const CommentBody = Strict({
  comment: Text(5000, 'the comment, 1 to 5000 characters'),
  notifyCustomer: Type.Boolean({ default: false, description: 'e-mail the comment to the customer' }),
});

export const commentOrder = defineAction({
  type: 'order.comment',
  queue: 'orders',
  route: {
    path: '/v1/orders/:id/comments',
    role: 'admin',
    summary: 'Comment on an order, optionally notifying the customer',
    tag: 'orders',
    target: { kind: 'order' },
  },
  body: CommentBody,
  payload: CommentBody,
  needs: [],
  plan: existingOrder,
  write: (order, input) =>
    applied(input, order, {}, {
      data: { comment: input.payload.comment, notifyCustomer: input.payload.notifyCustomer },
      result: { orderId: order.id },
    }),
  location: orderLocation,
  result: OrderResult,
});
