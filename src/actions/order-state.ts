import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../domain/errors.js';
import { qtyReserved } from '../domain/order.js';
import { Invoice, Order, Reservation } from '../db/entities.js';
import type { ActionContext } from './definition.js';
import { appendEvent, refreshStatus } from './history.js';

/** The action's order, locked, with its lines and invoices (their states decide the status). */
export interface LockedOrder {
  order: Order;
  /** Every invoice of the order; a handler that creates one adds it here. */
  invoices: Invoice[];
}

/** Loads the action's order with its lines and invoices and locks the order row until the transaction ends. */
export async function lockOrder(em: EntityManager, orderId: string): Promise<LockedOrder> {
  const order = await em.findOne(Order, orderId, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!order) {
    throw new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist (its placement was rejected or never made).`);
  }
  await em.populate(order, ['lines']);
  return { order, invoices: await em.find(Invoice, { orderId }) };
}

/** Brings each reservation of the order to what its line still has to ship. */
export async function syncReservations(em: EntityManager, order: Order): Promise<void> {
  const reservations = await em.find(Reservation, { orderId: order.id });
  const lines = new Map(order.lines.getItems().map((line) => [line.id, line]));
  for (const reservation of reservations) {
    const line = lines.get(reservation.lineId);
    if (line) reservation.qty = qtyReserved(line);
  }
}

/**
 * Records an applied action in the order's history (with what it sets off after commit) and recomputes the
 * status from lines and invoices. Touches no database: it runs last, while a document number may hold its
 * sequence's lock, and everything is written by the flush at commit.
 */
export function recordApplied(
  { em, action, now, afterCommit }: ActionContext,
  { order, invoices }: LockedOrder,
  data: Record<string, unknown> = {},
): void {
  const cause = { actor: action.actorName, actionId: action.id, at: now, afterCommit };
  appendEvent(em, { orderId: order.id, type: action.type, actor: action.actorName, actionId: action.id, data, at: now }, afterCommit);
  order.updatedAt = now;
  refreshStatus(em, order, invoices.map((invoice) => invoice.state), cause);
}
