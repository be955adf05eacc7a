import { Type, type Static } from '@sinclair/typebox';
import { qtyToCancel, qtyToInvoice, qtyToRefund, qtyToShip, rowTotal } from '../domain/order.js';
import type { Action, Order, OrderAddress, OrderEvent } from '../db/entities.js';

/** Response shapes (SPEC §4.1), with the functions that build them from entities. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });
const Amount = Type.Integer({ description: 'minor units' });

export const ActionView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  orderId: Type.String(),
  status: Type.Union(['queued', 'processing', 'succeeded', 'rejected', 'failed'].map((s) => Type.Literal(s))),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
  error: Nullable(
    Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) }),
  ),
  attempts: Type.Integer(),
  createdAt: Timestamp,
  finishedAt: Nullable(Timestamp),
});
export type ActionView = Static<typeof ActionView>;

export function actionView(action: Action): ActionView {
  return {
    id: action.id,
    type: action.type,
    orderId: action.orderId,
    status: action.status,
    result: action.result ?? null,
    error: action.error ?? null,
    attempts: action.attempts,
    createdAt: action.createdAt.toISOString(),
    finishedAt: action.finishedAt?.toISOString() ?? null,
  };
}

const AddressView = Type.Object({
  name: Type.String(),
  company: Type.Optional(Type.String()),
  line1: Type.String(),
  line2: Type.Optional(Type.String()),
  city: Type.String(),
  region: Type.Optional(Type.String()),
  postcode: Type.Optional(Type.String()),
  country: Type.String(),
  phone: Type.Optional(Type.String()),
});

function addressView(address: OrderAddress | undefined): Static<typeof AddressView> | null {
  if (!address) return null;
  const optional = { company: address.company, line2: address.line2, region: address.region, postcode: address.postcode, phone: address.phone };
  return {
    name: address.name,
    line1: address.line1,
    city: address.city,
    country: address.country,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value != null)),
  };
}

export const OrderView = Type.Object({
  id: Type.String(),
  number: Type.String(),
  externalId: Nullable(Type.String()),
  channel: Type.String(),
  status: Type.String(),
  currency: Type.String(),
  customer: Type.Object({
    email: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    id: Nullable(Type.String()),
  }),
  billingAddress: Nullable(AddressView),
  shippingAddress: Nullable(AddressView),
  payment: Type.Object({ method: Type.String(), captured: Type.Boolean() }),
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      sku: Type.String(),
      name: Type.String(),
      stockable: Type.Boolean(),
      qtyOrdered: Type.Integer(),
      qtyInvoiced: Type.Integer(),
      qtyShipped: Type.Integer(),
      qtyRefunded: Type.Integer(),
      qtyCanceled: Type.Integer(),
      qtyToInvoice: Type.Integer(),
      qtyToShip: Type.Integer(),
      qtyToRefund: Type.Integer(),
      qtyToCancel: Type.Integer(),
      unitPrice: Amount,
      taxAmount: Amount,
      discountAmount: Amount,
      rowTotal: Amount,
    }),
  ),
  shipping: Type.Object({
    method: Type.String(),
    title: Type.String(),
    amount: Amount,
    taxAmount: Amount,
    discountAmount: Amount,
  }),
  totals: Type.Object({
    subTotal: Amount,
    shipping: Amount,
    tax: Amount,
    discount: Amount,
    grandTotal: Amount,
    invoiced: Amount,
    paid: Amount,
    refunded: Amount,
    refundable: Amount,
    due: Amount,
  }),
  invoices: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), state: Type.String(), grandTotal: Amount })),
  shipments: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), state: Type.String() })),
  refunds: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), grandTotal: Amount })),
  refundWindowEndsAt: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type OrderView = Static<typeof OrderView>;

/** The full order (SPEC §4.1); `lines` and `addresses` must be loaded. */
export function orderView(order: Order): OrderView {
  const addresses = order.addresses.getItems();
  return {
    id: order.id,
    number: order.number,
    externalId: order.externalId ?? null,
    channel: order.channel,
    status: order.status,
    currency: order.currency,
    customer: {
      email: order.customerEmail,
      firstName: order.customerFirstName,
      lastName: order.customerLastName,
      id: order.customerId ?? null,
    },
    billingAddress: addressView(addresses.find((a) => a.kind === 'billing')),
    shippingAddress: addressView(addresses.find((a) => a.kind === 'shipping')),
    payment: { method: order.paymentMethod, captured: order.paymentCaptured },
    items: order.lines.getItems().map((line) => ({
      id: line.id,
      sku: line.sku,
      name: line.name,
      stockable: line.stockable,
      qtyOrdered: line.qtyOrdered,
      qtyInvoiced: line.qtyInvoiced,
      qtyShipped: line.qtyShipped,
      qtyRefunded: line.qtyRefunded,
      qtyCanceled: line.qtyCanceled,
      qtyToInvoice: qtyToInvoice(line),
      qtyToShip: qtyToShip(line),
      qtyToRefund: qtyToRefund(line),
      qtyToCancel: qtyToCancel(line),
      unitPrice: line.unitPrice,
      taxAmount: line.taxAmount,
      discountAmount: line.discountAmount,
      rowTotal: rowTotal({ qty: line.qtyOrdered, unitPrice: line.unitPrice }),
    })),
    shipping: {
      method: order.shippingMethod,
      title: order.shippingTitle,
      amount: order.shippingAmount,
      taxAmount: order.shippingTax,
      discountAmount: order.shippingDiscount,
    },
    // Invoices, payments and refunds arrive with the order domain (issue 3); until then nothing is invoiced.
    totals: {
      subTotal: order.subTotal,
      shipping: order.shippingAmount,
      tax: order.tax,
      discount: order.discount,
      grandTotal: order.grandTotal,
      invoiced: 0,
      paid: 0,
      refunded: 0,
      refundable: 0,
      due: 0,
    },
    invoices: [],
    shipments: [],
    refunds: [],
    refundWindowEndsAt: null,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export const OrderSummary = Type.Object({
  id: Type.String(),
  number: Type.String(),
  externalId: Nullable(Type.String()),
  status: Type.String(),
  currency: Type.String(),
  customerEmail: Type.String(),
  grandTotal: Amount,
  createdAt: Timestamp,
});

export function orderSummary(order: Order): Static<typeof OrderSummary> {
  return {
    id: order.id,
    number: order.number,
    externalId: order.externalId ?? null,
    status: order.status,
    currency: order.currency,
    customerEmail: order.customerEmail,
    grandTotal: order.grandTotal,
    createdAt: order.createdAt.toISOString(),
  };
}

export const EventView = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  actor: Type.String(),
  actionId: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
});

export function eventView(event: OrderEvent): Static<typeof EventView> {
  return {
    id: event.id,
    type: event.type,
    actor: event.actor,
    actionId: event.actionId ?? null,
    data: event.data,
    createdAt: event.createdAt.toISOString(),
  };
}

export const StockView = Type.Object({
  sku: Type.String(),
  sources: Type.Array(Type.Object({ code: Type.String(), onHand: Type.Integer(), active: Type.Boolean() })),
  reserved: Type.Integer(),
  salable: Type.Integer(),
});
