import { DomainError } from './errors.js';
import { compareText } from './text.js';
import { assertWithin, requestedUnits, totalUnits, type DocumentLine, type RequestedItem } from './items.js';
import { assertNotOnHold } from './lifecycle.js';
import { qtyToShip } from './order.js';

export interface ShipmentPlanItem<L> {
  line: L;
  qty: number;
}

/**
 * Decides a shipment (SPEC §3.5): checks in the order ORDER_ON_HOLD, SHIPMENT_NOT_ALLOWED, UNKNOWN_ITEM,
 * ITEM_NOT_SHIPPABLE, INVALID_QUANTITY, SHIPMENT_EMPTY, UNKNOWN_SOURCE, INSUFFICIENT_STOCK. `onHand` holds the
 * source's on-hand quantity of every SKU that inventory manages; other SKUs are not checked.
 */
export function planShipment<L extends DocumentLine>(
  order: { number: string; held: boolean; lines: readonly L[] },
  items: readonly RequestedItem[] | undefined,
  source: { code: string; exists: boolean; onHand: ReadonlyMap<string, number> },
): ShipmentPlanItem<L>[] {
  assertNotOnHold(order);
  if (order.lines.every((line) => qtyToShip(line) === 0)) {
    throw new DomainError('SHIPMENT_NOT_ALLOWED', `Order ${order.number} has nothing left to ship.`);
  }
  const units = requestedUnits(order.lines, items, qtyToShip);
  const virtual = [...units].filter(([line, qty]) => !line.stockable && qty > 0).map(([line]) => line);
  if (virtual.length > 0) {
    throw new DomainError(
      'ITEM_NOT_SHIPPABLE',
      `${virtual.map((line) => line.sku).join(', ')} cannot be shipped: not stockable (virtual or downloadable).`,
      { itemIds: virtual.map((line) => line.id) },
    );
  }
  assertWithin(units, qtyToShip, 'ship');
  if (totalUnits(units) === 0) {
    throw new DomainError(
      'SHIPMENT_EMPTY',
      'Every quantity of the shipment is zero; give at least one item a quantity, or leave items out to ship all that is still to ship.',
    );
  }
  if (!source.exists) {
    throw new DomainError(
      'UNKNOWN_SOURCE',
      `There is no inventory source ${source.code}; create it with PUT /v1/inventory/sources/${source.code} or ship from another.`,
      { source: source.code },
    );
  }

  const planned = [...units].filter(([, qty]) => qty > 0).map(([line, qty]) => ({ line, qty }));
  const needed = new Map<string, number>();
  for (const { line, qty } of planned) {
    if (source.onHand.has(line.sku)) needed.set(line.sku, (needed.get(line.sku) ?? 0) + qty);
  }
  const short = [...needed]
    .map(([sku, qty]) => ({ sku, requested: qty, available: source.onHand.get(sku) ?? 0 }))
    .filter((s) => s.requested > s.available)
    .sort((a, b) => compareText(a.sku, b.sku));
  if (short.length > 0) {
    throw new DomainError(
      'INSUFFICIENT_STOCK',
      `Source ${source.code} holds too little: ${short.map((s) => `${s.sku} ${s.available} on hand, ${s.requested} to ship`).join('; ')}.`,
      { source: source.code, items: short },
    );
  }
  return planned;
}

/** Clock skew tolerated on a reported delivery time. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** When a shipment was delivered: the reported time (not before dispatch, not in the future) or now. */
export function deliveryTime(shipment: { number: string; createdAt: Date }, reported: Date | undefined, now: Date): Date {
  const at = reported ?? now;
  if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS || at.getTime() < shipment.createdAt.getTime()) {
    throw new DomainError(
      'INVALID_DELIVERY_TIME',
      `Shipment ${shipment.number} cannot have been delivered at ${at.toISOString()}: it left at ${shipment.createdAt.toISOString()}.`,
      { deliveredAt: at.toISOString(), dispatchedAt: shipment.createdAt.toISOString() },
    );
  }
  return at;
}
