import { DomainError } from './errors.js';
import { documentItem, type DocumentItem } from './invoice.js';
import { assertWithin, requestedUnits, type DocumentLine } from './items.js';
import { assertNotOnHold } from './lifecycle.js';
import { prorate } from './money.js';
import { qtyToRefund, qtyToShip } from './order.js';
import { compareText } from './text.js';

const DAY_MS = 86_400_000;

/** Units of a line that left from one source and were not taken back by an earlier refund. */
export interface ShippedUnits {
  source: string;
  qty: number;
}

export interface RefundLine extends DocumentLine {
  /** Where the line's shipped, not yet refunded units left from, in the order to take them back (newest first). */
  shipped: readonly ShippedUnits[];
}

export interface RefundOrder<L extends RefundLine> {
  number: string;
  held: boolean;
  placedAt: Date;
  lines: readonly L[];
  /** Money received on invoices, and money already refunded. */
  paid: number;
  refunded: number;
  /** Shipping as invoiced, and shipping amount already refunded. */
  shippingInvoiced: { amount: number; taxAmount: number; discountAmount: number };
  shippingRefunded: number;
  /** The order's latest recorded delivery and latest shipment, if any. */
  latestDelivery: Date | null;
  latestShipment: Date | null;
}

export interface RefundRequest {
  items: readonly { itemId: string; qty: number; returnToStock: boolean }[];
  shipping: number;
  adjustmentRefund: number;
  adjustmentFee: number;
  overrideWindow: boolean;
  /**
   * The credit memo of a return (SPEC §3.9): its units are shipped ones that came back, whatever the line still has
   * to ship, and the refund window does not limit it (the return's request was checked against it).
   */
  ofReturn?: boolean;
}

export interface RefundPlanItem<L> extends DocumentItem<L> {
  returnToStock: boolean;
  /** Units taken from those never shipped: their reservation is released. */
  fromUnshipped: number;
  /** Units taken back from shipped ones, per source they left from; restocked there when `returnToStock`. */
  fromShipped: ShippedUnits[];
}

export interface RefundPlan<L> {
  items: RefundPlanItem<L>[];
  subTotal: number;
  shipping: number;
  shippingTax: number;
  /** Line tax plus shipping tax. */
  tax: number;
  /** Line discounts plus the shipping discount prorated over the refunded shipping. */
  discount: number;
  adjustmentRefund: number;
  adjustmentFee: number;
  grandTotal: number;
  /** True when the refund window had ended and an admin overrode it. */
  windowOverridden: boolean;
}

/** What left the warehouse for an order, and from where, less what refunds took back. */
export interface ShipmentHistory {
  latestDelivery: Date | null;
  latestShipment: Date | null;
  /** Per line: units shipped and not taken back by a refund, per source, newest shipment first. */
  shippedByLine: Map<string, ShippedUnits[]>;
}

export function shipmentHistory(
  shipments: readonly { source: string; createdAt: Date; deliveredAt: Date | null; items: readonly { lineId: string; qty: number }[] }[],
  refunds: readonly { items: readonly { lineId: string; fromShipped: readonly ShippedUnits[] }[] }[],
): ShipmentHistory {
  const latest = (dates: (Date | null)[]) => dates.reduce<Date | null>((max, d) => (d && (!max || d > max) ? d : max), null);
  // Per line and source: units shipped, units taken back, and when the source last shipped the line.
  const byLine = new Map<string, Map<string, { qty: number; lastAt: number }>>();
  const entry = (lineId: string, source: string) => {
    const sources = byLine.get(lineId) ?? new Map<string, { qty: number; lastAt: number }>();
    byLine.set(lineId, sources);
    const found = sources.get(source) ?? { qty: 0, lastAt: 0 };
    sources.set(source, found);
    return found;
  };
  for (const shipment of shipments) {
    for (const item of shipment.items) {
      const found = entry(item.lineId, shipment.source);
      found.qty += item.qty;
      found.lastAt = Math.max(found.lastAt, shipment.createdAt.getTime());
    }
  }
  for (const refund of refunds) {
    for (const item of refund.items) {
      for (const taken of item.fromShipped) {
        const found = byLine.get(item.lineId)?.get(taken.source);
        if (found) found.qty -= taken.qty;
      }
    }
  }
  const shippedByLine = new Map<string, ShippedUnits[]>();
  for (const [lineId, sources] of byLine) {
    const left = [...sources]
      .filter(([, units]) => units.qty > 0)
      .sort(([a, x], [b, y]) => y.lastAt - x.lastAt || compareText(a, b))
      .map(([source, units]) => ({ source, qty: units.qty }));
    if (left.length > 0) shippedByLine.set(lineId, left);
  }
  return {
    latestDelivery: latest(shipments.map((s) => s.deliveredAt)),
    latestShipment: latest(shipments.map((s) => s.createdAt)),
    shippedByLine,
  };
}

/**
 * When the window for shipped goods ends (SPEC §3.6): `days` after the latest delivery, else the latest shipment;
 * null before anything shipped, or with windows off. Refunds of shipped units and return requests both keep it.
 */
export function goodsWindowEndsAt(shipped: { latestDelivery: Date | null; latestShipment: Date | null }, days: number): Date | null {
  const arrived = shipped.latestDelivery ?? shipped.latestShipment;
  return days > 0 && arrived ? new Date(arrived.getTime() + days * DAY_MS) : null;
}

/**
 * When the refund window of an order ends (SPEC §3.6), or null while none has started or windows are off:
 * shipped goods from the latest delivery (else the latest shipment), non-stockable lines from placement.
 */
export function refundWindowEndsAt(
  order: { placedAt: Date; latestDelivery: Date | null; latestShipment: Date | null; lines: readonly { stockable: boolean }[] },
  windowDays: number,
): Date | null {
  if (windowDays === 0) return null;
  const starts = [order.latestDelivery ?? order.latestShipment];
  if (order.lines.some((line) => !line.stockable)) starts.push(order.placedAt);
  const latest = Math.max(...starts.filter((s): s is Date => s !== null).map((s) => s.getTime()));
  return Number.isFinite(latest) ? new Date(latest + windowDays * DAY_MS) : null;
}

/**
 * Splits refunded units: first those never shipped, then shipped ones source by source (a return's units are all
 * shipped ones).
 */
function allocate<L extends RefundLine>(line: L, qty: number, ofReturn = false): { fromUnshipped: number; fromShipped: ShippedUnits[] } {
  const fromUnshipped = ofReturn ? 0 : line.stockable ? Math.min(qty, qtyToShip(line)) : qty;
  let rest = qty - fromUnshipped;
  const fromShipped: ShippedUnits[] = [];
  for (const shipped of line.shipped) {
    if (rest === 0) break;
    const take = Math.min(rest, shipped.qty);
    if (take > 0) fromShipped.push({ source: shipped.source, qty: take });
    rest -= take;
  }
  return { fromUnshipped, fromShipped };
}

/**
 * Decides a refund (credit memo, SPEC §3.6), checking in the order ORDER_ON_HOLD, REFUND_NOT_ALLOWED,
 * REFUND_WINDOW_EXPIRED, UNKNOWN_ITEM, INVALID_QUANTITY, INVALID_SHIPPING_AMOUNT, REFUND_ZERO, REFUND_NEGATIVE,
 * REFUND_LIMIT_EXCEEDED. The cap is money actually received: a pending invoice brought none.
 */
export function planRefund<L extends RefundLine>(
  order: RefundOrder<L>,
  request: RefundRequest,
  window: { days: number; now: Date },
): RefundPlan<L> {
  assertNotOnHold(order);
  const refundable = order.paid - order.refunded;
  if (order.lines.every((line) => qtyToRefund(line) === 0) && refundable <= 0) {
    throw new DomainError('REFUND_NOT_ALLOWED', `Order ${order.number} has nothing invoiced left to refund and no money left.`);
  }

  const known = request.items.filter((item) => order.lines.some((line) => line.id === item.itemId));
  const windowEnd = request.ofReturn ? null : windowEndFor(order, known, window.days);
  const windowExpired = windowEnd !== null && window.now.getTime() > windowEnd.getTime();
  if (windowExpired && !request.overrideWindow) {
    throw new DomainError(
      'REFUND_WINDOW_EXPIRED',
      `The refund window of order ${order.number} ended at ${windowEnd.toISOString()}; an admin can override it with a reason.`,
      { windowEndedAt: windowEnd.toISOString() },
    );
  }

  const units = requestedUnits(order.lines, request.items, qtyToRefund);
  assertWithin(units, qtyToRefund, 'refund');
  const shippingLeft = order.shippingInvoiced.amount - order.shippingRefunded;
  if (request.shipping > shippingLeft) {
    throw new DomainError(
      'INVALID_SHIPPING_AMOUNT',
      `At most ${shippingLeft} of shipping can be refunded (invoiced shipping less shipping already refunded).`,
      { refundableShipping: shippingLeft },
    );
  }

  const returnToStock = new Map(request.items.map((item) => [item.itemId, item.returnToStock]));
  const items = [...units]
    .filter(([, qty]) => qty > 0)
    .map(([line, qty]) => ({
      ...documentItem(line, qty, line.qtyRefunded),
      ...allocate(line, qty, request.ofReturn),
      returnToStock: returnToStock.get(line.id) ?? false,
    }));
  const invoicedShipping = order.shippingInvoiced;
  const shippingTax = prorate(invoicedShipping.taxAmount, invoicedShipping.amount, order.shippingRefunded, request.shipping);
  const shippingDiscount = prorate(
    invoicedShipping.discountAmount,
    invoicedShipping.amount,
    order.shippingRefunded,
    request.shipping,
  );
  const subTotal = items.reduce((sum, item) => sum + item.rowTotal, 0);
  const tax = items.reduce((sum, item) => sum + item.taxAmount, shippingTax);
  const discount = items.reduce((sum, item) => sum + item.discountAmount, shippingDiscount);
  const grandTotal = subTotal + tax + request.shipping + request.adjustmentRefund - request.adjustmentFee - discount;

  if (grandTotal === 0) {
    throw new DomainError('REFUND_ZERO', 'The refund comes to zero; refund items, shipping or an adjustment.');
  }
  if (grandTotal < 0) {
    const maxAdjustmentFee = request.adjustmentFee + grandTotal;
    throw new DomainError(
      'REFUND_NEGATIVE',
      `The refund comes to ${grandTotal}: the fee exceeds what is refunded; lower adjustmentFee to at most ${maxAdjustmentFee}.`,
      { grandTotal, maxAdjustmentFee },
    );
  }
  if (grandTotal > refundable) {
    throw new DomainError(
      'REFUND_LIMIT_EXCEEDED',
      `The refund of ${grandTotal} exceeds the refundable amount of ${refundable} (money received less money refunded).`,
      { refundable, grandTotal },
    );
  }
  return {
    items,
    subTotal,
    shipping: request.shipping,
    shippingTax,
    tax,
    discount,
    adjustmentRefund: request.adjustmentRefund,
    adjustmentFee: request.adjustmentFee,
    grandTotal,
    windowOverridden: windowExpired,
  };
}

/**
 * The end of the window that limits this refund, or null when it takes back nothing the customer received:
 * units never shipped, shipping alone and adjustments alone are not limited.
 */
function windowEndFor<L extends RefundLine>(
  order: RefundOrder<L>,
  items: readonly { itemId: string; qty: number }[],
  days: number,
): Date | null {
  if (days === 0) return null;
  let takesShipped = false;
  let takesVirtual = false;
  const asked = new Map<L, number>();
  for (const item of items) {
    const line = order.lines.find((l) => l.id === item.itemId)!;
    asked.set(line, (asked.get(line) ?? 0) + item.qty);
  }
  for (const [line, total] of asked) {
    const qty = Math.min(total, qtyToRefund(line));
    if (qty === 0) continue;
    if (!line.stockable) takesVirtual = true;
    else if (allocate(line, qty).fromShipped.length > 0) takesShipped = true;
  }
  const ends: number[] = [];
  const goodsEnd = goodsWindowEndsAt(order, days);
  if (takesShipped && goodsEnd) ends.push(goodsEnd.getTime());
  if (takesVirtual) ends.push(order.placedAt.getTime() + days * DAY_MS);
  return ends.length > 0 ? new Date(Math.min(...ends)) : null;
}
