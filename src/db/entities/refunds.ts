import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { documentItemColumns, money, timestamp } from './columns.js';

/** A refund, documented as a credit memo. */
export const Refund = defineEntity({
  name: 'Refund',
  tableName: 'refunds',
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    number: p.string(),
    subTotal: money(),
    shippingAmount: money(),
    shippingTax: money(),
    tax: money(),
    discount: money(),
    adjustmentRefund: money(),
    adjustmentFee: money(),
    grandTotal: money(),
    reason: p.string().nullable(),
    paymentStatus: p.string().$type<'pending' | 'succeeded' | 'failed'>(),
    paymentReference: p.string().nullable(),
    /** The return this is the credit memo of. */
    returnId: p.uuid().nullable(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});
export type Refund = InferEntity<typeof Refund>;

export const RefundItem = defineEntity({
  name: 'RefundItem',
  tableName: 'refund_items',
  properties: {
    refundId: p.uuid().primary(),
    ...documentItemColumns(),
    returnToStock: p.boolean(),
    fromUnshipped: p.integer(),
    fromShipped: p.json<{ source: string; qty: number }[]>(),
  },
});
export type RefundItem = InferEntity<typeof RefundItem>;
