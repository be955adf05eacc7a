import { Type, type Static } from '@sinclair/typebox';
import { qtyToCancel, qtyToInvoice, qtyToRefund, qtyToShip, rowTotal, type MoneyTotals } from '../../domain/order.js';
import type { Invoice } from '../../db/entities/invoices.js';
import type { Order, OrderAddress, OrderEvent } from '../../db/entities/orders.js';
import { qtyToReturn, returnLine } from '../../domain/returns.js';
import type { Refund, RefundItem } from '../../db/entities/refunds.js';
import type { Return, ReturnItem } from '../../db/entities/returns.js';
import type { Shipment } from '../../db/entities/shipments.js';
import { Amount, Nullable, Timestamp } from './fields.js';

/** An order as the API returns it: in full, in a list, and its history. */

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
      qtyToReturn: Type.Integer({ description: 'shipped units the customer may still send back (SPEC §3.9)' }),
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
  returns: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), state: Type.String() })),
  refundWindowEndsAt: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}, { title: 'Order' });
export type OrderView = Static<typeof OrderView>;

export interface OrderDocuments {
  invoices: readonly Invoice[];
  shipments: readonly Shipment[];
  refunds: readonly (Refund & { items: readonly RefundItem[] })[];
  returns: readonly (Return & { items: readonly ReturnItem[] })[];
  money: MoneyTotals;
  refundWindowEndsAt: Date | null;
}

/** The full order (SPEC §4.1); `lines` and `addresses` must be loaded. */
export function orderView(order: Order, documents: OrderDocuments): OrderView {
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
      qtyToReturn: qtyToReturn(returnLine(line, documents.refunds, documents.returns)),
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
    totals: {
      subTotal: order.subTotal,
      shipping: order.shippingAmount,
      tax: order.tax,
      discount: order.discount,
      grandTotal: order.grandTotal,
      ...documents.money,
    },
    invoices: documents.invoices.map((i) => ({ id: i.id, number: i.number, state: i.state, grandTotal: i.grandTotal })),
    shipments: documents.shipments.map((s) => ({ id: s.id, number: s.number, state: s.state })),
    refunds: documents.refunds.map((r) => ({ id: r.id, number: r.number, grandTotal: r.grandTotal })),
    returns: documents.returns.map((r) => ({ id: r.id, number: r.number, state: r.state })),
    refundWindowEndsAt: documents.refundWindowEndsAt?.toISOString() ?? null,
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
}, { title: 'OrderSummary' });

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
}, { title: 'HistoryEvent' });

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
