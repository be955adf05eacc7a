import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../domain/errors.js';
import { qtyReserved } from '../domain/order.js';
import { Invoice, Order, Reservation } from '../db/entities.js';
import type { ActionContext } from './definition.js';
import { appendEvent, refreshStatus } from './history.js';

/** Loads the action's order with its lines and locks the order row until the transaction ends. */
export async function lockOrder(em: EntityManager, orderId: string): Promise<Order> {
  const order = await em.findOne(Order, orderId, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!order) {
    throw new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist (its placement was rejected or never made).`);
  }
  await em.populate(order, ['lines']);
  return order;
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
 * status from lines and invoices.
 */
export async function recordApplied(
  { em, action, now, followUp }: ActionContext,
  order: Order,
  data: Record<string, unknown> = {},
): Promise<void> {
  const cause = { actor: action.actorName, actionId: action.id, at: now, followUp };
  appendEvent(em, { orderId: order.id, type: action.type, actor: action.actorName, actionId: action.id, data, at: now }, followUp);
  order.updatedAt = now;
  await em.flush(); // invoices this action created or changed count for the status
  const invoices = await em.find(Invoice, { orderId: order.id });
  refreshStatus(em, order, invoices.map((invoice) => invoice.state), cause);
}
