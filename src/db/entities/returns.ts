import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ReturnReason, ReturnState } from '../../domain/returns.js';
import { timestamp } from './columns.js';

/** A return (RMA): what a customer asked to send back, and how far it got. */
export const Return = defineEntity({
  name: 'Return',
  tableName: 'returns',
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    number: p.string(),
    state: p.string().$type<ReturnState>(),
    note: p.string().nullable(),
    /** Why it was rejected or canceled. */
    decisionReason: p.string().nullable(),
    /** Where it was received. */
    sourceCode: p.string().nullable(),
    refundId: p.uuid().nullable(),
    requestedBy: p.string(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    receivedAt: timestamp().nullable(),
  },
});
export type Return = InferEntity<typeof Return>;

export const ReturnItem = defineEntity({
  name: 'ReturnItem',
  tableName: 'return_items',
  properties: {
    returnId: p.uuid().primary(),
    lineId: p.uuid().primary(),
    qty: p.integer(),
    reason: p.string().$type<ReturnReason>(),
    note: p.string().nullable(),
    qtyResellable: p.integer(),
    qtyDamaged: p.integer(),
  },
});
export type ReturnItem = InferEntity<typeof ReturnItem>;
