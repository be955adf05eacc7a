import { DomainError } from './errors.js';
import { assertWithin, requestedUnits, totalUnits, type DocumentLine } from './items.js';
import { assertNotOnHold } from './lifecycle.js';
import { goodsWindowEndsAt } from './refund.js';
import { compareText } from './text.js';

/** Returns (RMA, SPEC §3.9): a customer's request to send goods back, through approval and receipt to the refund. */

export const RETURN_REASONS = ['did_not_fit', 'damaged', 'wrong_item', 'not_as_described', 'changed_mind', 'other'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

/** The reasons in words, for the return slip and the console. */
export const RETURN_REASON_WORDS: Readonly<Record<ReturnReason, string>> = {
  did_not_fit: 'did not fit',
  damaged: 'arrived damaged',
  wrong_item: 'wrong item',
  not_as_described: 'not as described',
  changed_mind: 'changed their mind',
  other: 'other',
};

export const RETURN_STATES = ['requested', 'approved', 'rejected', 'canceled', 'received', 'refunded'] as const;
export type ReturnState = (typeof RETURN_STATES)[number];

export const RETURN_MOVE_NAMES = ['approve', 'reject', 'cancel', 'receive', 'refund'] as const;
export type ReturnMove = (typeof RETURN_MOVE_NAMES)[number];

/** The moves of a return: from which states each is allowed, and where it leads. Anything else is refused. */
export const RETURN_MOVES: Readonly<Record<ReturnMove, { from: readonly ReturnState[]; to: ReturnState }>> = {
  approve: { from: ['requested'], to: 'approved' },
  reject: { from: ['requested'], to: 'rejected' },
  cancel: { from: ['requested', 'approved'], to: 'canceled' },
  receive: { from: ['approved'], to: 'received' },
  refund: { from: ['received'], to: 'refunded' },
};

/** The moves a return in `state` can make next (none once it is rejected, canceled or refunded). */
export const nextMoves = (state: ReturnState): ReturnMove[] =>
  RETURN_MOVE_NAMES.filter((move) => RETURN_MOVES[move].from.includes(state));

/** The state a move leads to, or RETURN_STATE_INVALID naming the return's current state. */
export function moveReturn(ret: { number: string; state: ReturnState }, move: ReturnMove): ReturnState {
  const allowed = RETURN_MOVES[move];
  if (!allowed.from.includes(ret.state)) {
    throw new DomainError(
      'RETURN_STATE_INVALID',
      `Return ${ret.number} is ${ret.state}; it can be ${pastTense[move]} only when ${allowed.from.join(' or ')}.`,
      { state: ret.state, move },
    );
  }
  return allowed.to;
}

const pastTense: Record<ReturnMove, string> = {
  approve: 'approved',
  reject: 'rejected',
  cancel: 'canceled',
  receive: 'received',
  refund: 'refunded',
};

export type Condition = 'resellable' | 'damaged';

/** A line of a return: units asked for, why, and what came back in which condition. */
export interface ReturnItem {
  lineId: string;
  qty: number;
  reason: ReturnReason;
  note: string | null;
  qtyResellable: number;
  qtyDamaged: number;
}

export interface ReturnFacts {
  id: string;
  number: string;
  state: ReturnState;
  items: readonly ReturnItem[];
}

/** A return not ended yet keeps its units: those asked for until they arrive, then those that arrived. */
const OPEN: readonly ReturnState[] = ['requested', 'approved', 'received'];

/** Units of `lineId` held by open returns. */
export function unitsInOpenReturns(
  lineId: string,
  returns: readonly { state: ReturnState; items: readonly Pick<ReturnItem, 'lineId' | 'qty' | 'qtyResellable' | 'qtyDamaged'>[] }[],
): number {
  let units = 0;
  for (const ret of returns) {
    if (!OPEN.includes(ret.state)) continue;
    for (const item of ret.items) {
      if (item.lineId !== lineId) continue;
      units += ret.state === 'received' ? item.qtyResellable + item.qtyDamaged : item.qty;
    }
  }
  return units;
}

/** Units of `lineId` that refunds took back from shipped ones (they are not the customer's to return any more). */
export function refundedFromShipped(
  lineId: string,
  refunds: readonly { items: readonly { lineId: string; fromShipped: readonly { qty: number }[] }[] }[],
): number {
  let units = 0;
  for (const refund of refunds) {
    for (const item of refund.items) if (item.lineId === lineId) units += item.fromShipped.reduce((sum, taken) => sum + taken.qty, 0);
  }
  return units;
}

/** A line as the return rules see it: its counters, and what left the warehouse for it and came back. */
export interface ReturnLine extends DocumentLine {
  /** Units shipped and taken back by refunds since (per line, over every source). */
  refundedFromShipped: number;
  /** Units in open returns. */
  inOpenReturns: number;
}

/** A line with what the return rules read of the order's refunds and returns. */
export function returnLine<L extends { id: string }>(
  line: L,
  refunds: Parameters<typeof refundedFromShipped>[1],
  returns: Parameters<typeof unitsInOpenReturns>[1],
): L & Pick<ReturnLine, 'refundedFromShipped' | 'inOpenReturns'> {
  return { ...line, refundedFromShipped: refundedFromShipped(line.id, refunds), inOpenReturns: unitsInOpenReturns(line.id, returns) };
}

/** Units of a line the customer may still send back: shipped, less refunded from those, less in open returns. */
export function qtyToReturn(line: ReturnLine): number {
  if (!line.stockable) return 0;
  return Math.max(0, line.qtyShipped - line.refundedFromShipped - line.inOpenReturns);
}

export interface RequestedReturnItem {
  itemId: string;
  qty: number;
  reason: ReturnReason;
  note?: string;
}

export interface ReturnRequestPlan<L> {
  items: { line: L; qty: number; reason: ReturnReason; note: string | null }[];
}

/**
 * Decides a return request (SPEC §3.9), checking in the order ORDER_ON_HOLD, RETURN_NOT_ALLOWED,
 * RETURN_WINDOW_EXPIRED (the refund window of §3.6: from the latest delivery, else the latest shipment),
 * UNKNOWN_ITEM, INVALID_QUANTITY, RETURN_EMPTY. Duplicates of a line are added up; the first one's reason stands.
 */
export function planReturnRequest<L extends ReturnLine>(
  order: { number: string; held: boolean; lines: readonly L[]; latestDelivery: Date | null; latestShipment: Date | null },
  items: readonly RequestedReturnItem[],
  window: { days: number; now: Date },
): ReturnRequestPlan<L> {
  assertNotOnHold(order);
  if (order.lines.every((line) => qtyToReturn(line) === 0)) {
    throw new DomainError(
      'RETURN_NOT_ALLOWED',
      `Order ${order.number} has nothing to return: only shipped units not refunded and not in another return can be returned.`,
    );
  }
  const ended = goodsWindowEndsAt(order, window.days);
  if (ended && window.now.getTime() > ended.getTime()) {
    throw new DomainError('RETURN_WINDOW_EXPIRED', `The return window of order ${order.number} ended at ${ended.toISOString()}.`, {
      windowEndedAt: ended.toISOString(),
    });
  }
  const units = requestedUnits(order.lines, items, qtyToReturn);
  assertWithin(units, qtyToReturn, 'return');
  if (totalUnits(units) === 0) {
    throw new DomainError('RETURN_EMPTY', 'Every quantity of the return is zero; give at least one item a quantity.');
  }
  const first = new Map<string, RequestedReturnItem>();
  for (const item of items) if (!first.has(item.itemId)) first.set(item.itemId, item);
  return {
    items: [...units]
      .filter(([, qty]) => qty > 0)
      .map(([line, qty]) => ({ line, qty, reason: first.get(line.id)!.reason, note: first.get(line.id)!.note ?? null })),
  };
}

export interface ReceivedItem {
  itemId: string;
  qty: number;
  condition: Condition;
}

export interface ReceiptPlan {
  state: ReturnState;
  /** Per line of the return: units received resellable (back on hand) and damaged. */
  items: { lineId: string; qtyResellable: number; qtyDamaged: number }[];
}

/**
 * Decides a receipt (SPEC §3.9): the return must be approved (RETURN_STATE_INVALID); the items must be lines of the
 * return (UNKNOWN_ITEM), at most what was asked for per line (INVALID_QUANTITY), not all zero (RETURN_EMPTY), and
 * the source must exist (UNKNOWN_SOURCE). Without items, everything asked for arrived resellable.
 */
export function planReceipt<L extends DocumentLine>(
  ret: ReturnFacts,
  lines: readonly L[],
  items: readonly ReceivedItem[] | undefined,
  source: { code: string; exists: boolean },
): ReceiptPlan {
  const state = moveReturn(ret, 'receive');
  const asked = new Map(ret.items.map((item) => [item.lineId, item]));
  const received = items ?? ret.items.map((item) => ({ itemId: item.lineId, qty: item.qty, condition: 'resellable' as const }));
  const unknown = [...new Set(received.filter((item) => !asked.has(item.itemId)).map((item) => item.itemId))];
  if (unknown.length > 0) {
    throw new DomainError('UNKNOWN_ITEM', `Item(s) ${unknown.join(', ')} are not lines of return ${ret.number}.`, { itemIds: unknown });
  }
  const byLine = new Map<string, { qtyResellable: number; qtyDamaged: number }>();
  for (const item of received) {
    const counted = byLine.get(item.itemId) ?? { qtyResellable: 0, qtyDamaged: 0 };
    if (item.condition === 'resellable') counted.qtyResellable += item.qty;
    else counted.qtyDamaged += item.qty;
    byLine.set(item.itemId, counted);
  }
  const sku = (lineId: string) => lines.find((line) => line.id === lineId)?.sku ?? lineId;
  const over = [...byLine]
    .filter(([lineId, counted]) => counted.qtyResellable + counted.qtyDamaged > asked.get(lineId)!.qty)
    .map(([lineId, counted]) => ({ itemId: lineId, sku: sku(lineId), requested: counted.qtyResellable + counted.qtyDamaged, available: asked.get(lineId)!.qty }))
    .sort((a, b) => compareText(a.sku, b.sku));
  if (over.length > 0) {
    throw new DomainError(
      'INVALID_QUANTITY',
      `Cannot receive ${over.map((o) => `${o.requested} of ${o.sku} (at most ${o.available} were asked for)`).join(', ')}.`,
      { items: over },
    );
  }
  if ([...byLine.values()].every((counted) => counted.qtyResellable + counted.qtyDamaged === 0)) {
    throw new DomainError('RETURN_EMPTY', 'Every quantity received is zero; give at least one item a quantity.');
  }
  if (!source.exists) {
    throw new DomainError('UNKNOWN_SOURCE', `There is no inventory source ${source.code}; create it with PUT /v1/inventory/sources/${source.code}.`, {
      source: source.code,
    });
  }
  return {
    state,
    items: [...byLine].map(([lineId, counted]) => ({ lineId, ...counted })).filter((item) => item.qtyResellable + item.qtyDamaged > 0),
  };
}
