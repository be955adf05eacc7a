import { describe, expect, it } from 'vitest';
import { assertWithin, requestedUnits, totalUnits, type DocumentLine } from '../../src/domain/items.js';
import { qtyToInvoice } from '../../src/domain/order.js';
import { documentLine, rejection } from '../support/domain.js';

/** A stockable line of 4 units at 1000, nothing done yet, with the given fields changed. */
const line = (id: string, fields: Partial<DocumentLine> = {}) => documentLine(id, { qtyOrdered: 4, ...fields });

/** The map as [line id, units] pairs, in the map's order. */
const entries = (units: ReadonlyMap<DocumentLine, number>) => [...units].map(([l, qty]) => [l.id, qty]);

describe('requestedUnits', () => {
  const a = line('a', { qtyInvoiced: 1 });
  const b = line('b', { qtyCanceled: 4 });
  const c = line('c', { qtyOrdered: 7 });
  const lines = [a, b, c];

  it('without items takes what `available` allows from every line, zeros included, in line order', () => {
    const units = requestedUnits(lines, undefined, qtyToInvoice);
    expect(entries(units)).toEqual([
      ['a', 3],
      ['b', 0],
      ['c', 7],
    ]);
    expect(units.get(a)).toBe(3);
  });

  it('keys the map by the line objects themselves', () => {
    const units = requestedUnits(lines, [{ itemId: 'c', qty: 2 }], qtyToInvoice);
    expect([...units.keys()][0]).toBe(c);
  });

  it('with items takes only the lines named, with the quantities asked', () => {
    const units = requestedUnits(lines, [{ itemId: 'c', qty: 2 }], qtyToInvoice);
    expect(entries(units)).toEqual([['c', 2]]);
    expect(units.has(a)).toBe(false);
  });

  it('does not cap requested quantities itself (assertWithin does)', () => {
    const units = requestedUnits(lines, [{ itemId: 'a', qty: 99 }], qtyToInvoice);
    expect(entries(units)).toEqual([['a', 99]]);
  });

  it('does not consult `available` when items are given', () => {
    let calls = 0;
    requestedUnits(lines, [{ itemId: 'a', qty: 1 }], () => {
      calls += 1;
      return 0;
    });
    expect(calls).toBe(0);
  });

  it('adds up duplicates of the same item id, keeping the order of first appearance', () => {
    const units = requestedUnits(
      lines,
      [
        { itemId: 'c', qty: 1 },
        { itemId: 'a', qty: 2 },
        { itemId: 'c', qty: 3 },
        { itemId: 'c', qty: 0 },
      ],
      qtyToInvoice,
    );
    expect(entries(units)).toEqual([
      ['c', 4],
      ['a', 2],
    ]);
  });

  it('keeps an item asked with 0 units as 0', () => {
    expect(entries(requestedUnits(lines, [{ itemId: 'b', qty: 0 }], qtyToInvoice))).toEqual([['b', 0]]);
  });

  it('gives an empty map for an empty items list', () => {
    expect(requestedUnits(lines, [], qtyToInvoice).size).toBe(0);
  });

  it('refuses an item id that is not a line of the order with UNKNOWN_ITEM naming it', () => {
    const error = rejection(() => requestedUnits(lines, [{ itemId: 'zzz', qty: 1 }], qtyToInvoice));
    expect(error.code).toBe('UNKNOWN_ITEM');
    expect(error.details).toEqual({ itemIds: ['zzz'] });
    expect(error.message).toContain('zzz');
  });

  it('lists every unknown id once, in order of appearance, and none of the known ones', () => {
    const error = rejection(() =>
      requestedUnits(
        lines,
        [
          { itemId: 'x', qty: 1 },
          { itemId: 'a', qty: 1 },
          { itemId: 'y', qty: 2 },
          { itemId: 'x', qty: 3 },
        ],
        qtyToInvoice,
      ),
    );
    expect(error.code).toBe('UNKNOWN_ITEM');
    expect(error.details).toEqual({ itemIds: ['x', 'y'] });
    expect(error.message).toBe('Item(s) x, y are not lines of this order.');
  });

  it('matches ids exactly (case-sensitive): a SKU is not an item id', () => {
    expect(rejection(() => requestedUnits(lines, [{ itemId: 'A', qty: 1 }], qtyToInvoice)).details).toEqual({
      itemIds: ['A'],
    });
    expect(rejection(() => requestedUnits(lines, [{ itemId: 'SKU-A', qty: 1 }], qtyToInvoice)).code).toBe(
      'UNKNOWN_ITEM',
    );
  });

  it('refuses any id when the order has no lines', () => {
    expect(rejection(() => requestedUnits([], [{ itemId: 'a', qty: 1 }], qtyToInvoice)).code).toBe('UNKNOWN_ITEM');
  });
});

describe('assertWithin', () => {
  const a = line('a', { qtyInvoiced: 1 }); // 3 to invoice
  const b = line('b', { qtyOrdered: 2 }); // 2 to invoice
  const c = line('c', { qtyInvoiced: 4 }); // 0 to invoice

  it('accepts quantities up to and including what is available', () => {
    expect(() =>
      assertWithin(
        new Map([
          [a, 3],
          [b, 0],
          [c, 0],
        ]),
        qtyToInvoice,
        'invoice',
      ),
    ).not.toThrow();
  });

  it('accepts an empty map', () => {
    expect(() => assertWithin(new Map<DocumentLine, number>(), qtyToInvoice, 'invoice')).not.toThrow();
  });

  it('refuses one unit over with INVALID_QUANTITY and details.items naming the line', () => {
    const error = rejection(() => assertWithin(new Map([[a, 4]]), qtyToInvoice, 'invoice'));
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 4, available: 3 }] });
    expect(error.message).toBe('Cannot invoice 4 of SKU-A (at most 3).');
  });

  it('lists every line over, in map order, and no line within', () => {
    const error = rejection(() =>
      assertWithin(
        new Map([
          [c, 1],
          [a, 2],
          [b, 5],
        ]),
        qtyToInvoice,
        'ship',
      ),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({
      items: [
        { itemId: 'c', sku: 'SKU-C', requested: 1, available: 0 },
        { itemId: 'b', sku: 'SKU-B', requested: 5, available: 2 },
      ],
    });
    expect(error.message).toBe('Cannot ship 1 of SKU-C (at most 0), 5 of SKU-B (at most 2).');
  });
});

describe('totalUnits', () => {
  it('adds up every quantity of the map', () => {
    expect(
      totalUnits(
        new Map([
          ['x', 2],
          ['y', 0],
          ['z', 5],
        ]),
      ),
    ).toBe(7);
  });

  it('is 0 for an empty map', () => {
    expect(totalUnits(new Map())).toBe(0);
  });
});
