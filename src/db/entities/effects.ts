import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamp } from './columns.js';

/** Follow-up work written in the action's transaction and enqueued after commit (or by the relay). */
export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox',
  properties: {
    id: p.uuid().primary(),
    queue: p.string(),
    name: p.string(),
    payload: p.json<Record<string, unknown>>(),
    createdAt: timestamp(),
    /** When the relay next makes sure a job exists for this row, while it is open. */
    dueAt: timestamp(),
    /** Set once the effect happened (`done`) or failed for good (`failed`). */
    doneAt: timestamp().nullable(),
    outcome: p.string().$type<'done' | 'failed'>().nullable(),
  },
});
export type OutboxMessage = InferEntity<typeof OutboxMessage>;

/** The record of one e-mail to a customer (SPEC §3.8). */
export const Email = defineEntity({
  name: 'Email',
  tableName: 'emails',
  properties: {
    id: p.uuid().primary(),
    eventId: p.uuid(),
    orderId: p.uuid(),
    kind: p.string(),
    recipient: p.string(),
    subject: p.string(),
    status: p.string().$type<'pending' | 'sending' | 'sent' | 'logged' | 'failed'>(),
    attempts: p.integer(),
    providerId: p.string().nullable(),
    lastError: p.string().nullable(),
    createdAt: timestamp(),
    sentAt: timestamp().nullable(),
  },
});
export type Email = InferEntity<typeof Email>;

export const WebhookSubscription = defineEntity({
  name: 'WebhookSubscription',
  tableName: 'webhook_subscriptions',
  properties: {
    id: p.uuid().primary(),
    url: p.string(),
    secret: p.string(),
    eventTypes: p.json<string[]>(),
    createdAt: timestamp(),
    deletedAt: timestamp().nullable(),
  },
});
export type WebhookSubscription = InferEntity<typeof WebhookSubscription>;

export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    id: p.uuid().primary(),
    subscriptionId: p.uuid(),
    eventId: p.uuid(),
    eventType: p.string(),
    orderId: p.uuid().nullable(),
    payload: p.json<Record<string, unknown>>(),
    status: p.string().$type<'pending' | 'delivered' | 'failed'>(),
    attempts: p.integer(),
    responseStatus: p.integer().nullable(),
    responseExcerpt: p.string().nullable(),
    durationMs: p.integer().nullable(),
    lastError: p.string().nullable(),
    /** While a job is sending it (see src/effects/claims.ts). */
    claimedAt: timestamp().nullable(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    deliveredAt: timestamp().nullable(),
  },
});
export type WebhookDelivery = InferEntity<typeof WebhookDelivery>;
