import { DomainError } from './errors.js';
import type { LineCounters } from './order.js';

/** An order line as the document rules see it. */
export interface DocumentLine extends LineCounters {
  id: string;
  sku: string;
  unitPrice: number;
  taxAmount: number;
  discountAmount: number;
}

export interface RequestedItem {
  itemId: string;
  qty: number;
}

/**
 * The units a document takes from each line: the request's items (duplicates added up) or, without items, all
 * that `available` allows. An item id that is not a line of this order → UNKNOWN_ITEM.
 */
export function requestedUnits<L extends DocumentLine>(
  lines: readonly L[],
  items: readonly RequestedItem[] | undefined,
  available: (line: L) => number,
): Map<L, number> {
  if (items === undefined) return new Map(lines.map((line) => [line, available(line)]));
  const byId = new Map(lines.map((line) => [line.id, line]));
  const unknown = items.filter((item) => !byId.has(item.itemId)).map((item) => item.itemId);
  if (unknown.length > 0) {
    throw new DomainError('UNKNOWN_ITEM', `Item(s) ${[...new Set(unknown)].join(', ')} are not lines of this order.`, {
      itemIds: [...new Set(unknown)],
    });
  }
  const units = new Map<L, number>();
  for (const item of items) {
    const line = byId.get(item.itemId)!;
    units.set(line, (units.get(line) ?? 0) + item.qty);
  }
  return units;
}

/** Refuses any line asked for more than `available` allows (INVALID_QUANTITY, naming each such line). */
export function assertWithin<L extends DocumentLine>(
  units: ReadonlyMap<L, number>,
  available: (line: L) => number,
  what: string,
): void {
  const over = [...units]
    .filter(([line, qty]) => qty > available(line))
    .map(([line, qty]) => ({ itemId: line.id, sku: line.sku, requested: qty, available: available(line) }));
  if (over.length > 0) {
    throw new DomainError(
      'INVALID_QUANTITY',
      `Cannot ${what} ${over.map((o) => `${o.requested} of ${o.sku} (at most ${o.available})`).join(', ')}.`,
      { items: over },
    );
  }
}

export const totalUnits = (units: ReadonlyMap<unknown, number>) => [...units.values()].reduce((a, b) => a + b, 0);
