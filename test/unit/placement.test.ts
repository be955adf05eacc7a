import { describe, expect, it } from 'vitest';
import {
  placementInputProblems,
  planPlacement,
  type PlacementInput,
  type PlacementLine,
} from '../../src/domain/placement.js';
import { rejection as domainErrorOf } from '../support/domain.js';

const address = { name: 'Ada Lovelace', line1: '1 Main St', city: 'London', postcode: 'N1 1AA', country: 'GB' };

const tshirt: PlacementLine = {
  sku: 'TSHIRT-M',
  stockable: true,
  qty: 2,
  unitPrice: 1999,
  taxAmount: 400,
  discountAmount: 0,
};
const ebook: PlacementLine = { sku: 'EBOOK-1', stockable: false, qty: 1, unitPrice: 999, taxAmount: 0, discountAmount: 0 };

/** The order of SPEC §4.1, grand total 5997. */
function specOrder(overrides: Partial<PlacementInput> = {}): PlacementInput {
  return {
    currency: 'USD',
    items: [tshirt, ebook],
    shipping: { amount: 500, taxAmount: 100, discountAmount: 0 },
    shippingAddress: address,
    grandTotal: 5997,
    ...overrides,
  };
}

/** A line of `qty` units of `sku` at 1000, no tax or discount. */
const unitLine = (sku: string, qty: number, stockable = true): PlacementLine => ({
  sku,
  stockable,
  qty,
  unitPrice: 1000,
  taxAmount: 0,
  discountAmount: 0,
});

/** An order of the given lines with free shipping and no stated grand total. */
const linesOrder = (items: PlacementLine[]): PlacementInput => ({
  currency: 'USD',
  items,
  shipping: { amount: 0, taxAmount: 0, discountAmount: 0 },
  shippingAddress: address,
});

const noBackorders = { backorders: false };
const backorders = { backorders: true };

describe('planPlacement', () => {
  describe('totals', () => {
    it('computes the totals of the SPEC §4.1 order', () => {
      const plan = planPlacement(specOrder(), new Map(), noBackorders);
      expect(plan.totals).toEqual({ subTotal: 4997, shipping: 500, tax: 500, discount: 0, grandTotal: 5997 });
    });

    it('accepts a stated grandTotal that matches the computed one', () => {
      const plan = planPlacement(specOrder({ grandTotal: 5997 }), new Map([['TSHIRT-M', 10]]), noBackorders);
      expect(plan).toEqual({
        totals: { subTotal: 4997, shipping: 500, tax: 500, discount: 0, grandTotal: 5997 },
        reservations: [{ lineIndex: 0, sku: 'TSHIRT-M', qty: 2 }],
      });
    });

    it('accepts a matching grandTotal that includes discounts', () => {
      const input = specOrder({
        items: [{ ...tshirt, discountAmount: 500 }, ebook],
        shipping: { amount: 500, taxAmount: 100, discountAmount: 100 },
        grandTotal: 5397,
      });
      expect(planPlacement(input, new Map(), noBackorders).totals).toEqual({
        subTotal: 4997,
        shipping: 500,
        tax: 500,
        discount: 600,
        grandTotal: 5397,
      });
    });

    it('rejects a stated grandTotal that differs with TOTALS_MISMATCH, stating both totals in details', () => {
      const error = domainErrorOf(() => planPlacement(specOrder({ grandTotal: 5996 }), new Map(), noBackorders));
      expect(error.code).toBe('TOTALS_MISMATCH');
      expect(error.details).toEqual({
        stated: 5996,
        computed: { subTotal: 4997, shipping: 500, tax: 500, discount: 0, grandTotal: 5997 },
      });
      expect(error.message).toBe(
        'The stated grandTotal 5996 differs from the computed 5997 (subTotal + shipping + tax − discount); ' +
          'check the cart totals and place the order again.',
      );
    });

    it('rejects a stated grandTotal one minor unit too high', () => {
      const error = domainErrorOf(() => planPlacement(specOrder({ grandTotal: 5998 }), new Map(), noBackorders));
      expect(error.code).toBe('TOTALS_MISMATCH');
      expect(error.details).toMatchObject({ stated: 5998, computed: { grandTotal: 5997 } });
    });

    it('rejects a stated grandTotal of 0 on an order that costs something', () => {
      const error = domainErrorOf(() => planPlacement(specOrder({ grandTotal: 0 }), new Map(), noBackorders));
      expect(error.code).toBe('TOTALS_MISMATCH');
      expect(error.details).toMatchObject({ stated: 0, computed: { grandTotal: 5997 } });
    });

    it('rejects a stated grandTotal that forgot the discounts', () => {
      const input = specOrder({ items: [{ ...tshirt, discountAmount: 500 }, ebook], grandTotal: 5997 });
      const error = domainErrorOf(() => planPlacement(input, new Map(), noBackorders));
      expect(error.code).toBe('TOTALS_MISMATCH');
      expect(error.details).toEqual({
        stated: 5997,
        computed: { subTotal: 4997, shipping: 500, tax: 500, discount: 500, grandTotal: 5497 },
      });
    });

    it('does not check totals when no grandTotal is stated', () => {
      const { grandTotal: _omitted, ...input } = specOrder();
      expect(planPlacement(input, new Map(), noBackorders).totals.grandTotal).toBe(5997);
    });

    it('rejects a mismatched total even when backorders are enabled', () => {
      const error = domainErrorOf(() => planPlacement(specOrder({ grandTotal: 1 }), new Map(), backorders));
      expect(error.code).toBe('TOTALS_MISMATCH');
    });

    it('reports a mismatched total before a stock shortage', () => {
      const error = domainErrorOf(() =>
        planPlacement(specOrder({ grandTotal: 1 }), new Map([['TSHIRT-M', 0]]), noBackorders),
      );
      expect(error.code).toBe('TOTALS_MISMATCH');
    });
  });

  describe('stock', () => {
    it('reserves the quantity of every stockable line whose SKU inventory manages', () => {
      const input = linesOrder([unitLine('MUG', 3), unitLine('CAP', 1), unitLine('HAT', 5)]);
      const plan = planPlacement(input, new Map([['MUG', 3], ['CAP', 10], ['HAT', 5]]), noBackorders);
      expect(plan.reservations).toEqual([
        { lineIndex: 0, sku: 'MUG', qty: 3 },
        { lineIndex: 1, sku: 'CAP', qty: 1 },
        { lineIndex: 2, sku: 'HAT', qty: 5 },
      ]);
    });

    it('accepts an order that takes exactly the salable quantity', () => {
      const plan = planPlacement(linesOrder([unitLine('MUG', 4)]), new Map([['MUG', 4]]), noBackorders);
      expect(plan.reservations).toEqual([{ lineIndex: 0, sku: 'MUG', qty: 4 }]);
    });

    it('rejects a line over the salable quantity with OUT_OF_STOCK', () => {
      const error = domainErrorOf(() =>
        planPlacement(linesOrder([unitLine('MUG', 5)]), new Map([['MUG', 4]]), noBackorders),
      );
      expect(error.code).toBe('OUT_OF_STOCK');
      expect(error.details).toEqual({ skus: [{ sku: 'MUG', requested: 5, salable: 4 }] });
      expect(error.message).toBe('Not enough stock for MUG (requested 5, salable 4).');
    });

    it('names every short SKU, sorted, with requested and salable quantities, and not the ones in stock', () => {
      const input = linesOrder([
        unitLine('ZEBRA-TOY', 2),
        unitLine('MUG', 1),
        unitLine('APRON', 3),
        unitLine('KETTLE', 1),
      ]);
      const salable = new Map([['ZEBRA-TOY', 1], ['MUG', 10], ['APRON', 0], ['KETTLE', 0]]);
      const error = domainErrorOf(() => planPlacement(input, salable, noBackorders));
      expect(error.code).toBe('OUT_OF_STOCK');
      expect(error.details).toEqual({
        skus: [
          { sku: 'APRON', requested: 3, salable: 0 },
          { sku: 'KETTLE', requested: 1, salable: 0 },
          { sku: 'ZEBRA-TOY', requested: 2, salable: 1 },
        ],
      });
      expect(error.message).toBe(
        'Not enough stock for APRON (requested 3, salable 0), KETTLE (requested 1, salable 0), ' +
          'ZEBRA-TOY (requested 2, salable 1).',
      );
    });

    it('adds up the quantities of several lines of the same SKU', () => {
      const input = linesOrder([unitLine('MUG', 2), unitLine('CAP', 1), unitLine('MUG', 3)]);
      const error = domainErrorOf(() => planPlacement(input, new Map([['MUG', 4], ['CAP', 1]]), noBackorders));
      expect(error.code).toBe('OUT_OF_STOCK');
      expect(error.details).toEqual({ skus: [{ sku: 'MUG', requested: 5, salable: 4 }] });
    });

    it('accepts several lines of the same SKU that fit together, with one reservation per line', () => {
      const input = linesOrder([unitLine('MUG', 2), unitLine('CAP', 1), unitLine('MUG', 3)]);
      const plan = planPlacement(input, new Map([['MUG', 5], ['CAP', 1]]), noBackorders);
      expect(plan.reservations).toEqual([
        { lineIndex: 0, sku: 'MUG', qty: 2 },
        { lineIndex: 1, sku: 'CAP', qty: 1 },
        { lineIndex: 2, sku: 'MUG', qty: 3 },
      ]);
    });

    it('reserves nothing for a non-stockable line, even of a SKU inventory manages', () => {
      const input = linesOrder([unitLine('EBOOK-1', 5, false), unitLine('MUG', 1)]);
      const plan = planPlacement(input, new Map([['EBOOK-1', 0], ['MUG', 1]]), noBackorders);
      expect(plan.reservations).toEqual([{ lineIndex: 1, sku: 'MUG', qty: 1 }]);
    });

    it('does not count non-stockable lines towards the requested quantity of a SKU', () => {
      const input = linesOrder([unitLine('MUG', 1, false), unitLine('MUG', 2)]);
      const plan = planPlacement(input, new Map([['MUG', 2]]), noBackorders);
      expect(plan.reservations).toEqual([{ lineIndex: 1, sku: 'MUG', qty: 2 }]);
    });

    it('reserves nothing for a SKU inventory does not manage, and never rejects it', () => {
      const input = linesOrder([unitLine('UNKNOWN-SKU', 1000), unitLine('MUG', 1)]);
      const plan = planPlacement(input, new Map([['MUG', 1]]), noBackorders);
      expect(plan.reservations).toEqual([{ lineIndex: 1, sku: 'MUG', qty: 1 }]);
    });

    it('places the SPEC §4.1 order with an empty stock map and reserves nothing', () => {
      expect(planPlacement(specOrder(), new Map(), noBackorders).reservations).toEqual([]);
    });

    it('treats a negative salable quantity as 0 in the shortage', () => {
      const error = domainErrorOf(() =>
        planPlacement(linesOrder([unitLine('MUG', 1)]), new Map([['MUG', -3]]), noBackorders),
      );
      expect(error.code).toBe('OUT_OF_STOCK');
      expect(error.details).toEqual({ skus: [{ sku: 'MUG', requested: 1, salable: 0 }] });
      expect(error.message).toBe('Not enough stock for MUG (requested 1, salable 0).');
    });

    it('with backorders enabled, never rejects a shortage and still reserves every stockable managed line', () => {
      const input = linesOrder([unitLine('MUG', 5), unitLine('CAP', 2), unitLine('MUG', 1), unitLine('EBOOK', 1, false)]);
      const plan = planPlacement(input, new Map([['MUG', 0], ['CAP', -4], ['EBOOK', 0]]), backorders);
      expect(plan).toEqual({
        totals: { subTotal: 9000, shipping: 0, tax: 0, discount: 0, grandTotal: 9000 },
        reservations: [
          { lineIndex: 0, sku: 'MUG', qty: 5 },
          { lineIndex: 1, sku: 'CAP', qty: 2 },
          { lineIndex: 2, sku: 'MUG', qty: 1 },
        ],
      });
    });
  });
});

describe('placementInputProblems', () => {
  it('finds nothing wrong with the SPEC §4.1 order', () => {
    expect(placementInputProblems(specOrder())).toEqual([]);
  });

  it('reports an unknown currency', () => {
    expect(placementInputProblems(specOrder({ currency: 'ABC' }))).toEqual([
      { path: '/currency', message: 'ABC is not an ISO 4217 currency code' },
    ]);
  });

  it('reports a lower-case currency code as unknown', () => {
    expect(placementInputProblems(specOrder({ currency: 'usd' }))).toEqual([
      { path: '/currency', message: 'usd is not an ISO 4217 currency code' },
    ]);
  });

  it('accepts other ISO 4217 currencies', () => {
    expect(placementInputProblems(specOrder({ currency: 'JPY' }))).toEqual([]);
    expect(placementInputProblems(specOrder({ currency: 'KWD' }))).toEqual([]);
  });

  it('reports a line discount over the line total at /items/N/discountAmount', () => {
    const input = specOrder({ items: [tshirt, { ...ebook, discountAmount: 1000 }] });
    expect(placementInputProblems(input)).toEqual([
      { path: '/items/1/discountAmount', message: 'must not exceed the line total unitPrice*qty (999)' },
    ]);
  });

  it('measures the line total over all units of the line', () => {
    expect(placementInputProblems(specOrder({ items: [{ ...tshirt, discountAmount: 3998 }, ebook] }))).toEqual([]);
    expect(placementInputProblems(specOrder({ items: [{ ...tshirt, discountAmount: 3999 }, ebook] }))).toEqual([
      { path: '/items/0/discountAmount', message: 'must not exceed the line total unitPrice*qty (3998)' },
    ]);
  });

  it('reports any discount on a free line', () => {
    const free: PlacementLine = { sku: 'GIFT', stockable: false, qty: 1, unitPrice: 0, taxAmount: 0, discountAmount: 1 };
    expect(placementInputProblems(specOrder({ items: [tshirt, free] }))).toEqual([
      { path: '/items/1/discountAmount', message: 'must not exceed the line total unitPrice*qty (0)' },
    ]);
  });

  it('reports a shipping discount over the shipping amount', () => {
    expect(placementInputProblems(specOrder({ shipping: { amount: 500, taxAmount: 100, discountAmount: 501 } }))).toEqual([
      { path: '/shipping/discountAmount', message: 'must not exceed the shipping amount' },
    ]);
  });

  it('accepts a shipping discount equal to the shipping amount', () => {
    expect(placementInputProblems(specOrder({ shipping: { amount: 500, taxAmount: 0, discountAmount: 500 } }))).toEqual([]);
  });

  it('reports a missing shipping address when a line is stockable', () => {
    const { shippingAddress: _omitted, ...input } = specOrder();
    expect(placementInputProblems(input)).toEqual([
      { path: '/shippingAddress', message: 'is required when a line is stockable' },
    ]);
  });

  it('allows a missing shipping address when no line is stockable', () => {
    const { shippingAddress: _omitted, ...input } = specOrder({ items: [ebook, { ...ebook, sku: 'EBOOK-2' }] });
    expect(placementInputProblems(input)).toEqual([]);
  });

  it('reports every problem at once, in field order', () => {
    const input: PlacementInput = {
      currency: 'XYZ',
      items: [
        { ...tshirt, discountAmount: 4000 },
        ebook,
        { ...ebook, sku: 'EBOOK-2', discountAmount: 1000 },
      ],
      shipping: { amount: 0, taxAmount: 0, discountAmount: 1 },
    };
    expect(placementInputProblems(input)).toEqual([
      { path: '/currency', message: 'XYZ is not an ISO 4217 currency code' },
      { path: '/items/0/discountAmount', message: 'must not exceed the line total unitPrice*qty (3998)' },
      { path: '/items/2/discountAmount', message: 'must not exceed the line total unitPrice*qty (999)' },
      { path: '/shipping/discountAmount', message: 'must not exceed the shipping amount' },
      { path: '/shippingAddress', message: 'is required when a line is stockable' },
    ]);
  });
});
