import type { EntityManager } from '@mikro-orm/postgresql';
import { followUpsOf, type WebhookEvent } from '../domain/follow-ups.js';
import { orderStatus, type InvoiceState, type OrderStatus } from '../domain/order.js';
import type { Order } from '../db/entities.js';
import { appendHistory, type HistoryEntry } from '../db/history.js';
import { uuidv7 } from '../db/ids.js';
import { EMAIL_JOB, type QueueName } from '../queues/names.js';

/** What an action asks for after commit, written in its transaction. */
export interface AfterCommit {
  /** Work for a queue, written to the outbox. */
  followUp(queue: QueueName, name: string, payload: Record<string, unknown>): void;
  /** A webhook event: a delivery for every subscription that wants it. */
  publish(event: WebhookEvent): void;
}

/**
 * Appends one entry to an order's history. With `afterCommit`, also asks for what the entry sets off after commit:
 * webhook events, an e-mail (see `followUpsOf`).
 */
export function appendEvent(em: EntityManager, event: HistoryEntry, afterCommit?: AfterCommit): void {
  const data = event.data ?? {};
  appendHistory(em, { ...event, data });
  if (!afterCommit) return;
  const followUps = followUpsOf(event.type, data);
  const occurredAt = event.at.toISOString();
  for (const type of followUps.webhooks) {
    afterCommit.publish({ id: uuidv7(), type, orderId: event.orderId, occurredAt, data });
  }
  if (followUps.email) {
    afterCommit.followUp('notifications', EMAIL_JOB, { eventId: uuidv7(), kind: followUps.email, orderId: event.orderId, data });
  }
}

/**
 * Recomputes the order's status from its lines and invoices (SPEC §3.2) and records a change in its history.
 * Called by every handler after it changed the order.
 */
export function refreshStatus(
  em: EntityManager,
  order: Order,
  invoiceStates: readonly InvoiceState[],
  cause: { actor: string; actionId: string; at: Date; afterCommit: AfterCommit },
  previous: OrderStatus | null = order.status,
): void {
  const next = orderStatus({ held: order.held, lines: order.lines.getItems(), invoiceStates });
  if (previous === next) return;
  order.status = next;
  order.updatedAt = cause.at;
  appendEvent(
    em,
    {
      orderId: order.id,
      type: 'status.changed',
      actor: cause.actor,
      actionId: cause.actionId,
      data: { from: previous, to: next },
      at: cause.at,
    },
    cause.afterCommit,
  );
}
