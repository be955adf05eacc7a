import { Type, type Static } from '@sinclair/typebox';
import type { Invoice, InvoiceItem } from '../../db/entities/invoices.js';
import type { OrderLine } from '../../db/entities/orders.js';
import type { Refund, RefundItem } from '../../db/entities/refunds.js';
import type { Return, ReturnItem } from '../../db/entities/returns.js';
import type { Shipment, ShipmentItem } from '../../db/entities/shipments.js';
import { nextMoves, RETURN_MOVE_NAMES, RETURN_REASONS, RETURN_STATES } from '../../domain/returns.js';
import { Amount, Nullable, Timestamp } from './fields.js';

/** Invoices, refunds (credit memos), shipments and returns as the API returns them. */

/** The fields of a line's share on an invoice or a refund: its units and the prorated amounts they carry. */
const DocumentItemView = {
  itemId: Type.String(),
  sku: Type.String(),
  qty: Type.Integer(),
  unitPrice: Amount,
  rowTotal: Amount,
  taxAmount: Amount,
  discountAmount: Amount,
};

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
}, { title: 'Invoice' });

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
}, { title: 'Refund' });

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
}, { title: 'Shipment' });

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

/** The condition a returned line arrived in: one when all its units share it, `mixed` otherwise, null before. */
function receivedCondition(item: Pick<ReturnItem, 'qtyResellable' | 'qtyDamaged'>): 'resellable' | 'damaged' | 'mixed' | null {
  if (item.qtyResellable > 0 && item.qtyDamaged > 0) return 'mixed';
  if (item.qtyResellable > 0) return 'resellable';
  return item.qtyDamaged > 0 ? 'damaged' : null;
}

export const ReturnView = Type.Object({
  id: Type.String(),
  number: Type.String(),
  orderId: Type.String(),
  state: Type.Union(RETURN_STATES.map((state) => Type.Literal(state))),
  note: Nullable(Type.String()),
  decisionReason: Nullable(Type.String({ description: "the operator's words when deciding: the approval's note, or why it was rejected or canceled" })),
  source: Nullable(Type.String({ description: 'the inventory source it was received at' })),
  items: Type.Array(
    Type.Object({
      itemId: Type.String(),
      sku: Type.String(),
      qty: Type.Integer({ description: 'units asked to send back' }),
      reason: Type.Union(RETURN_REASONS.map((reason) => Type.Literal(reason))),
      note: Nullable(Type.String()),
      qtyReceived: Type.Integer(),
      qtyResellable: Type.Integer(),
      qtyDamaged: Type.Integer(),
      condition: Nullable(Type.Union([Type.Literal('resellable'), Type.Literal('damaged'), Type.Literal('mixed')])),
    }),
  ),
  refundId: Nullable(Type.String({ description: 'its credit memo, once refunded' })),
  moves: Type.Array(Type.Union(RETURN_MOVE_NAMES.map((move) => Type.Literal(move))), {
    description: 'what can happen to it next: POST /v1/returns/{id}/{move}',
  }),
  createdAt: Timestamp,
  receivedAt: Nullable(Timestamp),
  updatedAt: Timestamp,
}, { title: 'Return' });

export function returnView(ret: Return, items: readonly ReturnItem[], lines: ReadonlyMap<string, OrderLine>): Static<typeof ReturnView> {
  return {
    id: ret.id,
    number: ret.number,
    orderId: ret.orderId,
    state: ret.state,
    note: ret.note ?? null,
    decisionReason: ret.decisionReason ?? null,
    source: ret.sourceCode ?? null,
    items: items.map((item) => ({
      itemId: item.lineId,
      sku: skuOf(lines, item.lineId),
      qty: item.qty,
      reason: item.reason,
      note: item.note ?? null,
      qtyReceived: item.qtyResellable + item.qtyDamaged,
      qtyResellable: item.qtyResellable,
      qtyDamaged: item.qtyDamaged,
      condition: receivedCondition(item),
    })),
    refundId: ret.refundId ?? null,
    moves: nextMoves(ret.state),
    createdAt: ret.createdAt.toISOString(),
    receivedAt: ret.receivedAt?.toISOString() ?? null,
    updatedAt: ret.updatedAt.toISOString(),
  };
}
