import { Type } from '@sinclair/typebox';
import { planRefund } from '../domain/refund.js';
import { Refund, RefundItem } from '../db/entities.js';
import { uuidv7 } from '../db/ids.js';
import { nextDocumentNumber } from '../db/sequences.js';
import { readOrderMoney, readShipmentHistory } from '../db/order-documents.js';
import { REFUND_PAYMENT_JOB } from '../queues/names.js';
import { defineAction } from './definition.js';
import { lockOrder, recordApplied, syncReservations } from './order-state.js';
import { Money, Reason, Strict, Text, Uuid, MAX_QTY } from './schemas.js';

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
  schema: CreateRefundBody,
  async handle(ctx, input) {
    const { em, action, config, now, afterCommit } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    const money = await readOrderMoney(em, order.id);
    const shipments = await readShipmentHistory(em, order.id);
    const lines = order.lines
      .getItems()
      .map((entity) => ({ ...entity, entity, shipped: shipments.shippedByLine.get(entity.id) ?? [] }));
    const plan = planRefund(
      {
        number: order.number,
        held: order.held,
        placedAt: order.createdAt,
        lines,
        paid: money.paid,
        refunded: money.refunded,
        shippingInvoiced: money.shippingInvoiced,
        shippingRefunded: money.shippingRefunded,
        latestDelivery: shipments.latestDelivery,
        latestShipment: shipments.latestShipment,
      },
      { ...input, overrideWindow: input.overrideWindow !== undefined },
      { days: config.refundWindowDays, now },
    );

    for (const item of plan.items) {
      item.line.entity.qtyRefunded += item.qty;
      if (!item.returnToStock) continue;
      for (const { source, qty } of item.fromShipped) {
        // Only stock-managed SKUs have stock to return to.
        await em.execute(
          `insert into stock (sku, source_code, on_hand)
           select ?, ?, ? where exists (select 1 from inventory_items where sku = ?)
           on conflict (sku, source_code) do update set on_hand = stock.on_hand + excluded.on_hand`,
          [item.line.sku, source, qty, item.line.sku],
        );
      }
    }
    await syncReservations(em, order);
    // The number is taken last: its sequence stays locked until commit (gapless numbers, SPEC §2).
    const refund = em.create(Refund, {
      id: uuidv7(),
      orderId: order.id,
      number: await nextDocumentNumber(em, 'refund', config.numbers.refund),
      subTotal: plan.subTotal,
      shippingAmount: plan.shipping,
      shippingTax: plan.shippingTax,
      tax: plan.tax,
      discount: plan.discount,
      adjustmentRefund: plan.adjustmentRefund,
      adjustmentFee: plan.adjustmentFee,
      grandTotal: plan.grandTotal,
      reason: input.reason ?? null,
      paymentStatus: 'pending',
      paymentReference: null,
      createdAt: now,
      updatedAt: now,
    });
    for (const { line, ...fields } of plan.items) {
      em.create(RefundItem, { refundId: refund.id, lineId: line.id, ...fields });
    }
    recordApplied(ctx, locked, {
      refundId: refund.id,
      number: refund.number,
      grandTotal: refund.grandTotal,
      items: plan.items.map((item) => ({
        itemId: item.line.id,
        sku: item.line.sku,
        qty: item.qty,
        returnToStock: item.returnToStock,
        fromUnshipped: item.fromUnshipped,
        fromShipped: item.fromShipped,
      })),
      ...(plan.windowOverridden ? { windowOverride: { reason: input.overrideWindow?.reason } } : {}),
    });
    afterCommit.followUp('refunds', REFUND_PAYMENT_JOB, { refundId: refund.id });
    return { refundId: refund.id };
  },
});
