import { describe, expect, it } from 'vitest';
import {
  orderStatus,
  orderTotals,
  qtyToCancel,
  qtyToInvoice,
  qtyToRefund,
  qtyToShip,
  rowTotal,
  type InvoiceState,
  type LineCounters,
  type PricedLine,
  type ShippingCharge,
} from '../../src/domain/order.js';
import { lineCounters } from '../support/domain.js';

/** A stockable line of 2 units, nothing done yet, with the given counters changed. */
const line = (counters: Partial<LineCounters> = {}) => lineCounters({ qtyOrdered: 2, ...counters });

const status = (
  lines: LineCounters[],
  invoiceStates: InvoiceState[] = [],
  held = false,
): ReturnType<typeof orderStatus> => orderStatus({ held, lines, invoiceStates });

describe('qtyToInvoice', () => {
  it('is everything ordered on a fresh line', () => {
    expect(qtyToInvoice(line())).toBe(2);
  });

  it('is ordered minus invoiced minus canceled', () => {
    expect(qtyToInvoice(line({ qtyOrdered: 10, qtyInvoiced: 3, qtyCanceled: 2 }))).toBe(5);
  });

  it('is 0 once everything is invoiced', () => {
    expect(qtyToInvoice(line({ qtyInvoiced: 2 }))).toBe(0);
  });

  it('is 0 once everything is canceled', () => {
    expect(qtyToInvoice(line({ qtyCanceled: 2 }))).toBe(0);
  });

  it('is not reduced by shipping: goods may ship before they are invoiced', () => {
    expect(qtyToInvoice(line({ qtyShipped: 2 }))).toBe(2);
  });

  it('is not reduced by refunds', () => {
    expect(qtyToInvoice(line({ qtyOrdered: 5, qtyInvoiced: 2, qtyRefunded: 2 }))).toBe(3);
  });

  it('ignores stockability', () => {
    expect(qtyToInvoice(line({ stockable: false, qtyOrdered: 3, qtyInvoiced: 1 }))).toBe(2);
  });
});

describe('qtyToShip', () => {
  it('is everything ordered on a fresh stockable line', () => {
    expect(qtyToShip(line())).toBe(2);
  });

  it('is ordered minus shipped minus refunded minus canceled', () => {
    expect(qtyToShip(line({ qtyOrdered: 10, qtyShipped: 3, qtyRefunded: 1, qtyCanceled: 2, qtyInvoiced: 4 }))).toBe(4);
  });

  it('is 0 for a non-stockable line, whatever its counters', () => {
    expect(qtyToShip(line({ stockable: false }))).toBe(0);
    expect(qtyToShip(line({ stockable: false, qtyOrdered: 5, qtyInvoiced: 5 }))).toBe(0);
  });

  it('is not reduced by invoicing', () => {
    expect(qtyToShip(line({ qtyInvoiced: 2 }))).toBe(2);
  });

  it('is never negative when shipped units are later refunded', () => {
    expect(qtyToShip(line({ qtyInvoiced: 2, qtyShipped: 2, qtyRefunded: 1 }))).toBe(0);
    expect(qtyToShip(line({ qtyInvoiced: 2, qtyShipped: 2, qtyRefunded: 2 }))).toBe(0);
  });

  it('is 0 once everything is shipped', () => {
    expect(qtyToShip(line({ qtyShipped: 2 }))).toBe(0);
  });

  it('drops by the units refunded before they shipped', () => {
    expect(qtyToShip(line({ qtyInvoiced: 2, qtyRefunded: 1 }))).toBe(1);
  });
});

describe('qtyToCancel', () => {
  it('is everything ordered on a fresh line', () => {
    expect(qtyToCancel(line())).toBe(2);
  });

  it('excludes units already canceled', () => {
    expect(qtyToCancel(line({ qtyOrdered: 5, qtyCanceled: 2 }))).toBe(3);
  });

  it('excludes invoiced units: they are refunded, not canceled', () => {
    expect(qtyToCancel(line({ qtyOrdered: 5, qtyInvoiced: 2 }))).toBe(3);
  });

  it('excludes shipped units: goods that left the warehouse cannot be canceled', () => {
    expect(qtyToCancel(line({ qtyOrdered: 5, qtyShipped: 3 }))).toBe(2);
  });

  it('excludes the larger of invoiced and shipped, not their sum', () => {
    expect(qtyToCancel(line({ qtyOrdered: 5, qtyInvoiced: 3, qtyShipped: 2 }))).toBe(2);
    expect(qtyToCancel(line({ qtyOrdered: 5, qtyInvoiced: 1, qtyShipped: 4 }))).toBe(1);
  });

  it('is 0 once everything is invoiced, even after a refund', () => {
    expect(qtyToCancel(line({ qtyInvoiced: 2, qtyRefunded: 2 }))).toBe(0);
  });

  it('combines canceled and invoiced units', () => {
    expect(qtyToCancel(line({ qtyOrdered: 6, qtyInvoiced: 2, qtyShipped: 1, qtyCanceled: 3 }))).toBe(1);
  });

  it('applies to a non-stockable line by its invoiced units', () => {
    expect(qtyToCancel(line({ stockable: false, qtyOrdered: 3, qtyInvoiced: 1 }))).toBe(2);
  });
});

describe('qtyToRefund', () => {
  it('is 0 before anything is invoiced, even if shipped', () => {
    expect(qtyToRefund(line())).toBe(0);
    expect(qtyToRefund(line({ qtyShipped: 2 }))).toBe(0);
  });

  it('is invoiced minus refunded', () => {
    expect(qtyToRefund(line({ qtyOrdered: 5, qtyInvoiced: 4, qtyRefunded: 1 }))).toBe(3);
  });

  it('is 0 once every invoiced unit is refunded', () => {
    expect(qtyToRefund(line({ qtyInvoiced: 2, qtyRefunded: 2 }))).toBe(0);
  });

  it('applies to non-stockable lines too', () => {
    expect(qtyToRefund(line({ stockable: false, qtyOrdered: 1, qtyInvoiced: 1 }))).toBe(1);
  });
});

describe('rowTotal', () => {
  it('is unit price times quantity', () => {
    expect(rowTotal({ qty: 2, unitPrice: 1999 })).toBe(3998);
    expect(rowTotal({ qty: 1, unitPrice: 999 })).toBe(999);
  });

  it('is 0 for a free line', () => {
    expect(rowTotal({ qty: 7, unitPrice: 0 })).toBe(0);
  });

  it('stays exact for large safe amounts', () => {
    expect(rowTotal({ qty: 10_000, unitPrice: 99_999_999_999 })).toBe(999_999_999_990_000);
  });

  it('refuses a total beyond the safe integer range instead of rounding it', () => {
    expect(() => rowTotal({ qty: 3, unitPrice: 2 ** 52 })).toThrow(RangeError);
    expect(() => rowTotal({ qty: 3, unitPrice: 2 ** 52 })).toThrow(
      new RangeError('row total is not a safe integer: 13510798882111488'),
    );
  });
});

describe('orderTotals', () => {
  const tshirt: PricedLine = { qty: 2, unitPrice: 1999, taxAmount: 400, discountAmount: 0 };
  const ebook: PricedLine = { qty: 1, unitPrice: 999, taxAmount: 0, discountAmount: 0 };
  const flatRate: ShippingCharge = { amount: 500, taxAmount: 100, discountAmount: 0 };

  it('totals the SPEC §4.1 order: subTotal 4997, shipping 500, tax 500, discount 0, grandTotal 5997', () => {
    expect(orderTotals([tshirt, ebook], flatRate)).toEqual({
      subTotal: 4997,
      shipping: 500,
      tax: 500,
      discount: 0,
      grandTotal: 5997,
    });
  });

  it('subtracts line discounts and the shipping discount from the grand total', () => {
    expect(
      orderTotals([{ ...tshirt, discountAmount: 300 }, { ...ebook, discountAmount: 99 }], { ...flatRate, discountAmount: 500 }),
    ).toEqual({ subTotal: 4997, shipping: 500, tax: 500, discount: 899, grandTotal: 5098 });
  });

  it('adds line taxes and the shipping tax together', () => {
    expect(
      orderTotals(
        [
          { qty: 3, unitPrice: 1000, taxAmount: 600, discountAmount: 0 },
          { qty: 1, unitPrice: 250, taxAmount: 25, discountAmount: 10 },
        ],
        { amount: 0, taxAmount: 7, discountAmount: 0 },
      ),
    ).toEqual({ subTotal: 3250, shipping: 0, tax: 632, discount: 10, grandTotal: 3872 });
  });

  it('keeps the shipping amount apart from the sub-total', () => {
    expect(orderTotals([ebook], { amount: 1234, taxAmount: 0, discountAmount: 0 })).toEqual({
      subTotal: 999,
      shipping: 1234,
      tax: 0,
      discount: 0,
      grandTotal: 2233,
    });
  });

  it('gives a free order with free shipping a grand total of 0', () => {
    expect(
      orderTotals([{ qty: 1, unitPrice: 0, taxAmount: 0, discountAmount: 0 }], { amount: 0, taxAmount: 0, discountAmount: 0 }),
    ).toEqual({ subTotal: 0, shipping: 0, tax: 0, discount: 0, grandTotal: 0 });
  });

  it('discounts a whole line down to 0', () => {
    expect(orderTotals([{ ...tshirt, taxAmount: 0, discountAmount: 3998 }], { amount: 0, taxAmount: 0, discountAmount: 0 })).toEqual({
      subTotal: 3998,
      shipping: 0,
      tax: 0,
      discount: 3998,
      grandTotal: 0,
    });
  });

  it('stays exact for totals near 10^15', () => {
    expect(
      orderTotals(
        [
          { qty: 10_000, unitPrice: 99_999_999_999, taxAmount: 199_999_999_998_000, discountAmount: 1 },
          { qty: 1, unitPrice: 1, taxAmount: 0, discountAmount: 0 },
        ],
        { amount: 3, taxAmount: 1, discountAmount: 2 },
      ),
    ).toEqual({
      subTotal: 999_999_999_990_001,
      shipping: 3,
      tax: 199_999_999_998_001,
      discount: 3,
      grandTotal: 1_199_999_999_988_002,
    });
  });

  it('refuses a grand total beyond the safe integer range', () => {
    const huge: PricedLine = { qty: 1, unitPrice: 2 ** 52, taxAmount: 0, discountAmount: 0 };
    expect(() => orderTotals([huge, huge, huge], { amount: 0, taxAmount: 0, discountAmount: 0 })).toThrow(RangeError);
    expect(() => orderTotals([huge], { amount: 2 ** 52, taxAmount: 0, discountAmount: 0 })).toThrow(
      new RangeError('grandTotal is not a safe integer: 9007199254740992'),
    );
  });
});

describe('orderStatus', () => {
  describe('for a stockable line of 2 units', () => {
    it('a placed order with nothing done is pending', () => {
      expect(status([line()])).toBe('pending');
    });

    it('an order invoiced in full (paid) but not shipped is processing', () => {
      expect(status([line({ qtyInvoiced: 2 })], ['paid'])).toBe('processing');
    });

    it('an order invoiced and shipped in full is completed', () => {
      expect(status([line({ qtyInvoiced: 2, qtyShipped: 2 })], ['paid'])).toBe('completed');
    });

    it('an order shipped in full but not invoiced is processing', () => {
      expect(status([line({ qtyShipped: 2 })])).toBe('processing');
    });

    it('an order with one unit invoiced and shipped and the other canceled is completed', () => {
      expect(status([line({ qtyInvoiced: 1, qtyShipped: 1, qtyCanceled: 1 })], ['paid'])).toBe('completed');
    });

    it('an order with one unit invoiced then refunded and the other canceled is closed', () => {
      expect(status([line({ qtyInvoiced: 1, qtyRefunded: 1, qtyCanceled: 1 })], ['paid'])).toBe('closed');
    });

    it('an order canceled in full is canceled', () => {
      expect(status([line({ qtyCanceled: 2 })])).toBe('canceled');
    });

    it('an order invoiced and refunded in full is closed', () => {
      expect(status([line({ qtyInvoiced: 2, qtyRefunded: 2 })], ['paid'])).toBe('closed');
    });

    it('an order invoiced in full with one unit refunded before shipping is processing (one unit still to ship)', () => {
      expect(status([line({ qtyInvoiced: 2, qtyRefunded: 1 })], ['paid'])).toBe('processing');
    });

    it('an order invoiced in full, one unit refunded and the other shipped, is completed', () => {
      expect(status([line({ qtyInvoiced: 2, qtyRefunded: 1, qtyShipped: 1 })], ['paid'])).toBe('completed');
    });

    it('an order invoiced and shipped in full with one unit refunded afterwards is completed', () => {
      expect(status([line({ qtyInvoiced: 2, qtyShipped: 2, qtyRefunded: 1 })], ['paid'])).toBe('completed');
    });

    it('an order with a pending invoice is pending_payment', () => {
      expect(status([line({ qtyInvoiced: 2 })], ['pending'])).toBe('pending_payment');
    });

    it('an order with an overdue invoice is pending_payment', () => {
      expect(status([line({ qtyInvoiced: 2 })], ['overdue'])).toBe('pending_payment');
    });

    it('an order invoiced and shipped in full is still pending_payment while its invoice is unpaid', () => {
      expect(status([line({ qtyInvoiced: 2, qtyShipped: 2 })], ['paid', 'pending'])).toBe('pending_payment');
    });

    it('a held order is on_hold', () => {
      expect(status([line()], [], true)).toBe('on_hold');
    });

    it('a held order is on_hold even when it is canceled in full', () => {
      expect(status([line({ qtyCanceled: 2 })], [], true)).toBe('on_hold');
    });

    it('a held order is on_hold even when it is closed, completed or awaiting payment', () => {
      expect(status([line({ qtyInvoiced: 2, qtyRefunded: 2 })], ['paid'], true)).toBe('on_hold');
      expect(status([line({ qtyInvoiced: 2, qtyShipped: 2 })], ['paid'], true)).toBe('on_hold');
      expect(status([line({ qtyInvoiced: 2 })], ['overdue'], true)).toBe('on_hold');
    });
  });

  it('an order whose only line is non-stockable and invoiced is completed', () => {
    expect(status([line({ stockable: false, qtyOrdered: 1, qtyInvoiced: 1 })], ['paid'])).toBe('completed');
  });

  it('a non-stockable line not yet invoiced leaves the order pending', () => {
    expect(status([line({ stockable: false, qtyOrdered: 1 })])).toBe('pending');
  });

  describe('rule order (first match wins)', () => {
    it('canceled beats pending_payment', () => {
      expect(status([line({ qtyCanceled: 2 })], ['pending'])).toBe('canceled');
    });

    it('closed beats pending_payment', () => {
      expect(status([line({ qtyInvoiced: 2, qtyRefunded: 2 })], ['overdue'])).toBe('closed');
    });

    it('pending_payment beats processing', () => {
      expect(status([line({ qtyInvoiced: 1 })], ['pending'])).toBe('pending_payment');
    });

    it('paid invoices do not make an order pending_payment', () => {
      expect(status([line({ qtyInvoiced: 1 })], ['paid', 'paid'])).toBe('processing');
    });
  });

  describe('over several lines', () => {
    it('counts canceled units across every line: canceled only when all are canceled', () => {
      expect(status([line({ qtyCanceled: 2 }), line({ qtyOrdered: 3, qtyCanceled: 3 })])).toBe('canceled');
      expect(status([line({ qtyCanceled: 2 }), line({ qtyOrdered: 3, qtyCanceled: 2 })])).toBe('processing');
    });

    it('is closed when every unit of every line is refunded or canceled', () => {
      expect(
        status(
          [line({ qtyCanceled: 2 }), line({ stockable: false, qtyOrdered: 1, qtyInvoiced: 1, qtyRefunded: 1 })],
          ['paid'],
        ),
      ).toBe('closed');
    });

    it('is completed only when every line has nothing left to invoice or ship', () => {
      const done = line({ qtyInvoiced: 2, qtyShipped: 2 });
      const ebook = line({ stockable: false, qtyOrdered: 1, qtyInvoiced: 1 });
      expect(status([done, ebook], ['paid'])).toBe('completed');
      expect(status([done, line({ stockable: false, qtyOrdered: 1 })], ['paid'])).toBe('processing');
      expect(status([done, line({ qtyInvoiced: 2, qtyShipped: 1 })], ['paid'])).toBe('processing');
    });

    it('is completed when one line is canceled in full and the other invoiced and shipped', () => {
      expect(status([line({ qtyCanceled: 2 }), line({ qtyInvoiced: 2, qtyShipped: 2 })], ['paid'])).toBe('completed');
    });

    it('is processing as soon as any line is touched', () => {
      expect(status([line(), line({ qtyShipped: 1 })])).toBe('processing');
      expect(status([line(), line({ qtyCanceled: 1 })])).toBe('processing');
    });

    it('the SPEC §4.1 order is pending when placed and completed once invoiced in full and the T-shirts shipped', () => {
      const tshirt = line();
      const ebook = line({ stockable: false, qtyOrdered: 1 });
      expect(status([tshirt, ebook])).toBe('pending');
      expect(
        status([{ ...tshirt, qtyInvoiced: 2, qtyShipped: 2 }, { ...ebook, qtyInvoiced: 1 }], ['paid']),
      ).toBe('completed');
    });
  });
});
