import type { EntityManager } from '@mikro-orm/postgresql';
import { orderStatus, type InvoiceState, type OrderStatus } from '../domain/order.js';
import { OrderEvent, type Order } from '../db/entities.js';
import { uuidv7 } from '../db/ids.js';
import { EMAIL_JOB, effectsOf, PDF_JOB, PUBLISH_JOB } from '../effects/routing.js';
import type { QueueName } from '../queues/names.js';

/** Asks for work after commit (written to the outbox in the caller's transaction). */
export type FollowUp = (queue: QueueName, name: string, payload: Record<string, unknown>) => void;

export interface EventInput {
  orderId: string;
  type: string;
  actor: string;
  actionId?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

/**
 * Appends one entry to an order's history (never updated, never deleted). With `followUp`, also asks for what the
 * entry sets off after commit: webhook events, an e-mail, a PDF (see `effectsOf`).
 */
export function appendEvent(em: EntityManager, event: EventInput, followUp?: FollowUp): void {
  const data = event.data ?? {};
  em.create(OrderEvent, {
    orderId: event.orderId,
    type: event.type,
    actor: event.actor,
    actionId: event.actionId ?? null,
    data,
    createdAt: event.at,
  });
  if (!followUp) return;
  const effects = effectsOf(event.type, data);
  const occurredAt = event.at.toISOString();
  for (const type of effects.webhooks) {
    followUp('webhooks', PUBLISH_JOB, { id: uuidv7(), type, orderId: event.orderId, occurredAt, data });
  }
  if (effects.email) {
    followUp('notifications', EMAIL_JOB, { eventId: uuidv7(), kind: effects.email, orderId: event.orderId, data });
  }
  if (effects.pdf) followUp('documents', PDF_JOB, effects.pdf);
}

/**
 * Recomputes the order's status from its lines and invoices (SPEC §3.2) and records a change in its history.
 * Called by every handler after it changed the order.
 */
export function refreshStatus(
  em: EntityManager,
  order: Order,
  invoiceStates: readonly InvoiceState[],
  cause: { actor: string; actionId: string; at: Date; followUp: FollowUp },
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
    cause.followUp,
  );
}
