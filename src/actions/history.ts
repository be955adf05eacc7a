import type { EntityManager } from '@mikro-orm/postgresql';
import { orderStatus, type InvoiceState, type OrderStatus } from '../domain/order.js';
import { OrderEvent, type Order } from '../db/entities.js';

export interface EventInput {
  orderId: string;
  type: string;
  actor: string;
  actionId?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

/** Appends one entry to an order's history (never updated, never deleted). */
export function appendEvent(em: EntityManager, event: EventInput): void {
  em.create(OrderEvent, {
    orderId: event.orderId,
    type: event.type,
    actor: event.actor,
    actionId: event.actionId ?? null,
    data: event.data ?? {},
    createdAt: event.at,
  });
}

/**
 * Recomputes the order's status from its lines and invoices (SPEC §3.2) and records a change in its history.
 * Called by every handler after it changed the order.
 */
export function refreshStatus(
  em: EntityManager,
  order: Order,
  invoiceStates: readonly InvoiceState[],
  cause: { actor: string; actionId: string; at: Date },
  previous: OrderStatus | null = order.status,
): void {
  const next = orderStatus({ held: order.held, lines: order.lines.getItems(), invoiceStates });
  if (previous === next) return;
  order.status = next;
  order.updatedAt = cause.at;
  appendEvent(em, {
    orderId: order.id,
    type: 'status.changed',
    actor: cause.actor,
    actionId: cause.actionId,
    data: { from: previous, to: next },
    at: cause.at,
  });
}
