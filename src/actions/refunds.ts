import { Type } from '@sinclair/typebox';
import { orderMoney } from '../domain/order.js';
import { planRefund, shipmentHistory, type RefundOrder, type RefundPlan, type ShippedUnits } from '../domain/refund.js';
import { uuidv7 } from '../db/ids.js';
import type { OrderSnapshot, SnapshotLine } from '../db/snapshot.js';
import type { Changes } from '../db/write.js';
import { applied, countLines, existingOrder } from './applied.js';
import { defineAction } from './definition.js';
import { MAX_QTY, Money, Reason, Strict, Text, Uuid } from './schemas.js';

/** Refunds (credit memos, SPEC §3.6). */

export const CreateRefundBody = Strict({
  items: Type.Array(
    Strict({
      itemId: Uuid('an item (line) id of this order'),
      qty: Type.Integer({ minimum: 0, maximum: MAX_QTY }),
      returnToStock: Type.Boolean({ default: false, description: 'put shipped units back on hand where they left from' }),
    }),
    { maxItems: 500, default: [], description: 'units to refund per line; none for a refund of shipping or adjustments alone' },
  ),
  shipping: Money('shipping to refund', { default: 0 }),
  adjustmentRefund: Money('extra amount given back', { default: 0 }),
  adjustmentFee: Money('fee kept back', { default: 0 }),
  reason: Reason,
  overrideWindow: Type.Optional(
    Strict({ reason: Text(1000, 'why the refund window is overridden') }, 'refund after the refund window (admin only)'),
  ),
});

export const createRefund = defineAction({
  type: 'refund.create',
  queue: 'refunds',
  route: {
    path: '/v1/orders/:id/refunds',
    role: 'admin',
    summary: 'Refund items, shipping or an adjustment (credit memo)',
    tag: 'orders',
    target: { kind: 'order' },
  },
  body: CreateRefundBody,
  payload: CreateRefundBody,
  needs: ['shipments', 'refunds'],
  sequence: 'refund',
  plan(input) {
    const { payload, config, now } = input;
    const order = existingOrder(input);
    const plan = planRefund(refundOrder(order), { ...payload, overrideWindow: payload.overrideWindow !== undefined }, {
      days: config.refundWindowDays,
      now,
    });
    return { order, plan };
  },
  write({ order, plan }, input) {
    const { refundId, lines, changes } = refundChanges(order, plan, { number: input.number, reason: input.payload.reason ?? null, now: input.now });
    return applied(input, order, { lines }, {
      data: {
        refundId,
        number: input.number,
        grandTotal: plan.grandTotal,
        items: refundedItems(plan),
        ...(plan.windowOverridden ? { windowOverride: { reason: input.payload.overrideWindow?.reason } } : {}),
      },
      changes,
      result: { refundId },
    });
  },
  location: (result) => `/v1/refunds/${result.refundId}`,
  result: Type.Object({ refundId: Uuid('the refund (credit memo)') }),
});

/** The units of a refund as its history entry shows them. */
export const refundedItems = (plan: RefundPlan<SnapshotLine>) =>
  plan.items.map((item) => ({
    itemId: item.line.id,
    sku: item.line.sku,
    qty: item.qty,
    returnToStock: item.returnToStock,
    fromUnshipped: item.fromUnshipped,
    fromShipped: item.fromShipped,
  }));

/**
 * What a credit memo writes, for a refund asked for by itself or for a return's: the refund and its items, the lines'
 * refunded counters and reservations, and shipped units put back on hand where the plan says so.
 */
export function refundChanges(
  order: OrderSnapshot,
  plan: RefundPlan<SnapshotLine>,
  refund: { number: string | null; reason: string | null; now: Date; returnId?: string },
): { refundId: string; lines: SnapshotLine[]; changes: Changes } {
  const id = uuidv7();
  const at = refund.now.toISOString();
  const { lines, changes } = countLines(order, new Map(plan.items.map((item) => [item.line.id, { qtyRefunded: item.qty }])));
  changes.inserts.push({
    table: 'refunds',
    row: {
      id,
      order_id: order.id,
      number: refund.number,
      sub_total: plan.subTotal,
      shipping_amount: plan.shipping,
      shipping_tax: plan.shippingTax,
      tax: plan.tax,
      discount: plan.discount,
      adjustment_refund: plan.adjustmentRefund,
      adjustment_fee: plan.adjustmentFee,
      grand_total: plan.grandTotal,
      reason: refund.reason,
      payment_status: 'pending',
      payment_reference: null,
      return_id: refund.returnId ?? null,
      created_at: at,
      updated_at: at,
    },
  });
  for (const item of plan.items) {
    changes.inserts.push({
      table: 'refund_items',
      row: {
        refund_id: id,
        line_id: item.line.id,
        qty: item.qty,
        return_to_stock: item.returnToStock,
        from_unshipped: item.fromUnshipped,
        from_shipped: item.fromShipped,
        unit_price: item.unitPrice,
        row_total: item.rowTotal,
        tax_amount: item.taxAmount,
        discount_amount: item.discountAmount,
      },
    });
    // Only stock-managed SKUs have stock to return to.
    if (!item.returnToStock || !item.line.managed) continue;
    for (const { source, qty } of item.fromShipped) {
      changes.increments.push({ table: 'stock', key: { sku: item.line.sku, source_code: source }, add: { on_hand: qty } });
    }
  }
  return { refundId: id, lines, changes };
}

/** The input of the refund rule for an order as loaded. */
export function refundOrder(order: OrderSnapshot): RefundOrder<SnapshotLine & { shipped: ShippedUnits[] }> {
  const money = orderMoney(order.invoices, order.refunds);
  const shipped = shipmentHistory(order.shipments, order.refunds);
  return {
    number: order.number,
    held: order.held,
    placedAt: order.createdAt,
    lines: order.lines.map((line) => ({ ...line, shipped: shipped.shippedByLine.get(line.id) ?? [] })),
    paid: money.paid,
    refunded: money.refunded,
    shippingInvoiced: money.shippingInvoiced,
    shippingRefunded: money.shippingRefunded,
    latestDelivery: shipped.latestDelivery,
    latestShipment: shipped.latestShipment,
  };
}
