/** Builders and helpers the domain unit tests (test/unit) share. */
import { DomainError, type RejectionCode } from '../../src/domain/errors.js';
import type { DocumentItem } from '../../src/domain/invoice.js';
import type { DocumentLine } from '../../src/domain/items.js';
import type { LineCounters } from '../../src/domain/order.js';
import type { RefundLine } from '../../src/domain/refund.js';

/** A stockable line's counters: 5 units ordered, nothing invoiced, shipped, refunded or canceled, with the given counters changed. */
export function lineCounters(counters: Partial<LineCounters> = {}): LineCounters {
  return {
    stockable: true,
    qtyOrdered: 5,
    qtyInvoiced: 0,
    qtyShipped: 0,
    qtyRefunded: 0,
    qtyCanceled: 0,
    ...counters,
  };
}

/** A stockable line `id` (sku SKU-ID) of 3 units at 1000, no tax or discount, nothing done yet, with the given fields changed. */
export function documentLine(id: string, fields: Partial<DocumentLine> = {}): DocumentLine {
  return {
    id,
    sku: `SKU-${id.toUpperCase()}`,
    ...lineCounters({ qtyOrdered: 3 }),
    unitPrice: 1000,
    taxAmount: 0,
    discountAmount: 0,
    ...fields,
  };
}

/** A documentLine of 3 units at 1999 with 400 tax and 100 discount, nothing done yet, with the given fields changed. */
export function pricedLine(id: string, fields: Partial<DocumentLine> = {}): DocumentLine {
  return documentLine(id, { unitPrice: 1999, taxAmount: 400, discountAmount: 100, ...fields });
}

/** A pricedLine with all 3 units invoiced and none shipped (no shipped units per source), with the given fields changed. */
export function refundLine(id: string, fields: Partial<RefundLine> = {}): RefundLine {
  return { ...pricedLine(id, { qtyInvoiced: 3 }), shipped: [], ...fields };
}

/** A plan item's id and amounts as plain values, without the line object, for comparing invoice and refund items. */
export const itemValues = (item: DocumentItem<DocumentLine>) => ({
  id: item.line.id,
  qty: item.qty,
  unitPrice: item.unitPrice,
  rowTotal: item.rowTotal,
  taxAmount: item.taxAmount,
  discountAmount: item.discountAmount,
});

/** The DomainError `fn` throws; fails the test when it throws nothing or something else. */
export function rejection(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

/** The code of the DomainError `fn` throws; fails the test as `rejection` does. */
export const codeOf = (fn: () => unknown): RejectionCode => rejection(fn).code;

/** mulberry32: a tiny seeded PRNG, so property tests draw the same values on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number from min to max inclusive, drawn from `random`. */
export const intBetween = (random: () => number, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));
