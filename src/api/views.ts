import { Type, type Static } from '@sinclair/typebox';
import { qtyToCancel, qtyToInvoice, qtyToRefund, qtyToShip, rowTotal } from '../domain/order.js';
import type { MoneyTotals } from '../domain/order.js';
import type { Action } from '../db/entities/actions.js';
import type { Invoice, InvoiceItem } from '../db/entities/invoices.js';
import type { Order, OrderAddress, OrderEvent, OrderLine } from '../db/entities/orders.js';
import type { Refund, RefundItem } from '../db/entities/refunds.js';
import type { Shipment, ShipmentItem } from '../db/entities/shipments.js';

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

export interface OrderDocuments {
  invoices: readonly Invoice[];
  shipments: readonly Shipment[];
  refunds: readonly Refund[];
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

const DocumentItemView = {
  itemId: Type.String(),
  sku: Type.String(),
  qty: Type.Integer(),
  unitPrice: Amount,
  rowTotal: Amount,
  taxAmount: Amount,
  discountAmount: Amount,
};

export const InvoiceView = Type.Object({
  id: Type.String(),
  number: Type.String(),
  orderId: Type.String(),
  state: Type.String(),
  dueAt: Nullable(Timestamp),
  items: Type.Array(Type.Object(DocumentItemView)),
  subTotal: Amount,
  shipping: Amount,
  shippingTax: Amount,
  tax: Amount,
  discount: Amount,
  grandTotal: Amount,
  paidAmount: Amount,
  createdAt: Timestamp,
});

const skuOf = (lines: ReadonlyMap<string, OrderLine>, lineId: string) => lines.get(lineId)?.sku ?? '';

function documentItemView(item: InvoiceItem | RefundItem, lines: ReadonlyMap<string, OrderLine>) {
  return {
    itemId: item.lineId,
    sku: skuOf(lines, item.lineId),
    qty: item.qty,
    unitPrice: item.unitPrice,
    rowTotal: item.rowTotal,
    taxAmount: item.taxAmount,
    discountAmount: item.discountAmount,
  };
}

export function invoiceView(
  invoice: Invoice,
  items: readonly InvoiceItem[],
  lines: ReadonlyMap<string, OrderLine>,
): Static<typeof InvoiceView> {
  return {
    id: invoice.id,
    number: invoice.number,
    orderId: invoice.orderId,
    state: invoice.state,
    dueAt: invoice.dueAt?.toISOString() ?? null,
    items: items.map((item) => documentItemView(item, lines)),
    subTotal: invoice.subTotal,
    shipping: invoice.shippingAmount,
    shippingTax: invoice.shippingTax,
    tax: invoice.tax,
    discount: invoice.discount,
    grandTotal: invoice.grandTotal,
    paidAmount: invoice.paidAmount,
    createdAt: invoice.createdAt.toISOString(),
  };
}

export const RefundView = Type.Object({
  id: Type.String(),
  number: Type.String(),
  orderId: Type.String(),
  items: Type.Array(Type.Object({ ...DocumentItemView, returnToStock: Type.Boolean() })),
  subTotal: Amount,
  shipping: Amount,
  shippingTax: Amount,
  tax: Amount,
  discount: Amount,
  adjustmentRefund: Amount,
  adjustmentFee: Amount,
  grandTotal: Amount,
  reason: Nullable(Type.String()),
  paymentStatus: Type.String(),
  createdAt: Timestamp,
});

export function refundView(
  refund: Refund,
  items: readonly RefundItem[],
  lines: ReadonlyMap<string, OrderLine>,
): Static<typeof RefundView> {
  return {
    id: refund.id,
    number: refund.number,
    orderId: refund.orderId,
    items: items.map((item) => ({ ...documentItemView(item, lines), returnToStock: item.returnToStock })),
    subTotal: refund.subTotal,
    shipping: refund.shippingAmount,
    shippingTax: refund.shippingTax,
    tax: refund.tax,
    discount: refund.discount,
    adjustmentRefund: refund.adjustmentRefund,
    adjustmentFee: refund.adjustmentFee,
    grandTotal: refund.grandTotal,
    reason: refund.reason ?? null,
    paymentStatus: refund.paymentStatus,
    createdAt: refund.createdAt.toISOString(),
  };
}

export const ShipmentView = Type.Object({
  id: Type.String(),
  number: Type.String(),
  orderId: Type.String(),
  state: Type.String(),
  source: Type.String(),
  carrier: Type.Object({ code: Type.String(), title: Type.String() }),
  trackingNumber: Type.String(),
  items: Type.Array(Type.Object({ itemId: Type.String(), sku: Type.String(), qty: Type.Integer() })),
  deliveredAt: Nullable(Timestamp),
  createdAt: Timestamp,
});

export function shipmentView(
  shipment: Shipment,
  items: readonly ShipmentItem[],
  lines: ReadonlyMap<string, OrderLine>,
): Static<typeof ShipmentView> {
  return {
    id: shipment.id,
    number: shipment.number,
    orderId: shipment.orderId,
    state: shipment.state,
    source: shipment.sourceCode,
    carrier: { code: shipment.carrierCode, title: shipment.carrierTitle },
    trackingNumber: shipment.trackingNumber,
    items: items.map((item) => ({ itemId: item.lineId, sku: skuOf(lines, item.lineId), qty: item.qty })),
    deliveredAt: shipment.deliveredAt?.toISOString() ?? null,
    createdAt: shipment.createdAt.toISOString(),
  };
}
