import { DomainError } from './errors.js';
import { qtyToCancel, type LineCounters, type OrderStatus } from './order.js';

/** While an order is on hold, invoice, ship, refund and cancel are refused (SPEC §3.2). */
export function assertNotOnHold(order: { held: boolean; number: string }): void {
  if (order.held) {
    throw new DomainError('ORDER_ON_HOLD', `Order ${order.number} is on hold; release it (unhold) first.`);
  }
}

/** Holding a canceled, closed or completed order, or one already on hold, is refused (SPEC §3.7). */
export function assertCanHold(order: { held: boolean; number: string; status: OrderStatus }): void {
  if (order.held) throw new DomainError('HOLD_NOT_ALLOWED', `Order ${order.number} is already on hold.`);
  if (order.status === 'canceled' || order.status === 'closed' || order.status === 'completed') {
    throw new DomainError('HOLD_NOT_ALLOWED', `Order ${order.number} is ${order.status}; only open orders can be held.`, {
      status: order.status,
    });
  }
}

export function assertCanUnhold(order: { held: boolean; number: string }): void {
  if (!order.held) throw new DomainError('UNHOLD_NOT_ALLOWED', `Order ${order.number} is not on hold.`);
}

/**
 * Cancels every line's `qtyToCancel` (SPEC §3.7): what was invoiced or shipped stays, to be refunded instead.
 * Returns the units to cancel per line, in line order.
 */
export function planCancel(order: { held: boolean; number: string; lines: readonly LineCounters[] }): number[] {
  assertNotOnHold(order);
  const units = order.lines.map(qtyToCancel);
  if (units.every((qty) => qty === 0)) {
    throw new DomainError(
      'CANCEL_NOT_ALLOWED',
      `Order ${order.number} has nothing left to cancel: what was invoiced or shipped can only be refunded.`,
    );
  }
  return units;
}
