import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamp } from './columns.js';

interface ActionError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** A recorded request to change an order; the runner applies it and writes its outcome here. */
export const Action = defineEntity({
  name: 'Action',
  tableName: 'actions',
  properties: {
    id: p.uuid().primary(),
    /** Set by the database on insert: the order in which an order's actions are applied. */
    seq: p.bigint('number').persist(false),
    type: p.string(),
    orderId: p.uuid(),
    payload: p.json<Record<string, unknown>>(),
    actorName: p.string(),
    actorRole: p.string(),
    idempotencyKey: p.string().nullable(),
    requestHash: p.string(),
    requestId: p.string().nullable(),
    status: p.string().$type<'queued' | 'processing' | 'succeeded' | 'rejected' | 'failed'>(),
    result: p.json<Record<string, unknown>>().nullable(),
    error: p.json<ActionError>().nullable(),
    attempts: p.integer(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    finishedAt: timestamp().nullable(),
  },
});
export type Action = InferEntity<typeof Action>;
