import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { documentItem, planInvoice, planPayment, type InvoicePlan } from '../../src/domain/invoice.js';
import type { DocumentLine, RequestedItem } from '../../src/domain/items.js';
import { orderTotals, type InvoiceState, type ShippingCharge } from '../../src/domain/order.js';
import { codeOf, itemValues, pricedLine as line, rejection } from '../support/domain.js';

const SHIPPING: ShippingCharge = { amount: 500, taxAmount: 100, discountAmount: 50 };
const NO_SHIPPING: ShippingCharge = { amount: 0, taxAmount: 0, discountAmount: 0 };

interface InvoiceOrder {
  number: string;
  held: boolean;
  lines: DocumentLine[];
  shipping: ShippingCharge;
  invoiced: boolean;
}

function order(lines: DocumentLine[], fields: Partial<InvoiceOrder> = {}): InvoiceOrder {
  return { number: '100000007', held: false, lines, shipping: SHIPPING, invoiced: false, ...fields };
}

/** An invoice plan's items as plain numbers, without the line object. */
const itemsOf = (plan: InvoicePlan<DocumentLine>) => plan.items.map(itemValues);

/** What the handler writes after an invoice: the counters rise, and the order now has an invoice. */
function applyInvoice(o: InvoiceOrder, plan: InvoicePlan<DocumentLine>): InvoiceOrder {
  const lines = o.lines.map((l) => {
    const item = plan.items.find((i) => i.line === l);
    return item ? { ...l, qtyInvoiced: l.qtyInvoiced + item.qty } : l;
  });
  return { ...o, lines, invoiced: true };
}

describe('planInvoice — rejections in SPEC order', () => {
  it('refuses an order on hold with ORDER_ON_HOLD', () => {
    const error = rejection(() => planInvoice(order([line('a')], { held: true }), undefined));
    expect(error.code).toBe('ORDER_ON_HOLD');
    expect(error.message).toContain('100000007');
  });

  it('ORDER_ON_HOLD wins over nothing to invoice', () => {
    expect(codeOf(() => planInvoice(order([line('a', { qtyInvoiced: 3 })], { held: true }), undefined))).toBe(
      'ORDER_ON_HOLD',
    );
  });

  it('ORDER_ON_HOLD wins over an unknown item, an over-quantity and an empty request', () => {
    const held = order([line('a')], { held: true });
    expect(codeOf(() => planInvoice(held, [{ itemId: 'nope', qty: 1 }]))).toBe('ORDER_ON_HOLD');
    expect(codeOf(() => planInvoice(held, [{ itemId: 'a', qty: 9 }]))).toBe('ORDER_ON_HOLD');
    expect(codeOf(() => planInvoice(held, []))).toBe('ORDER_ON_HOLD');
  });

  it('refuses INVOICE_NOT_ALLOWED when every line is fully invoiced', () => {
    const error = rejection(() =>
      planInvoice(order([line('a', { qtyInvoiced: 3 }), line('b', { qtyInvoiced: 3 })]), undefined),
    );
    expect(error.code).toBe('INVOICE_NOT_ALLOWED');
    expect(error.message).toContain('100000007');
  });

  it('refuses INVOICE_NOT_ALLOWED when what is not invoiced was canceled', () => {
    expect(
      codeOf(() =>
        planInvoice(order([line('a', { qtyCanceled: 3 }), line('b', { qtyInvoiced: 1, qtyCanceled: 2 })]), undefined),
      ),
    ).toBe('INVOICE_NOT_ALLOWED');
  });

  it('does not count shipped or refunded units as invoiced', () => {
    const plan = planInvoice(order([line('a', { qtyShipped: 3 })]), undefined);
    expect(plan.items.map((i) => i.qty)).toEqual([3]);
  });

  it('INVOICE_NOT_ALLOWED wins over an unknown item and an over-quantity', () => {
    const done = order([line('a', { qtyInvoiced: 3 })]);
    expect(codeOf(() => planInvoice(done, [{ itemId: 'nope', qty: 1 }]))).toBe('INVOICE_NOT_ALLOWED');
    expect(codeOf(() => planInvoice(done, [{ itemId: 'a', qty: 1 }]))).toBe('INVOICE_NOT_ALLOWED');
    expect(codeOf(() => planInvoice(done, []))).toBe('INVOICE_NOT_ALLOWED');
  });

  it('refuses an item of another order with UNKNOWN_ITEM naming it', () => {
    const error = rejection(() => planInvoice(order([line('a')]), [{ itemId: 'other', qty: 1 }]));
    expect(error.code).toBe('UNKNOWN_ITEM');
    expect(error.details).toEqual({ itemIds: ['other'] });
  });

  it('UNKNOWN_ITEM wins over an over-quantity on a known line', () => {
    expect(
      codeOf(() =>
        planInvoice(order([line('a')]), [
          { itemId: 'a', qty: 9 },
          { itemId: 'other', qty: 1 },
        ]),
      ),
    ).toBe('UNKNOWN_ITEM');
  });

  it('UNKNOWN_ITEM wins over an otherwise empty request', () => {
    expect(codeOf(() => planInvoice(order([line('a')]), [{ itemId: 'other', qty: 0 }]))).toBe('UNKNOWN_ITEM');
  });

  it('refuses a quantity over qtyToInvoice with INVALID_QUANTITY and details.items', () => {
    const error = rejection(() =>
      planInvoice(order([line('a', { qtyInvoiced: 1 }), line('b')]), [
        { itemId: 'a', qty: 3 },
        { itemId: 'b', qty: 3 },
      ]),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 3, available: 2 }] });
  });

  it('counts canceled units out of qtyToInvoice', () => {
    const error = rejection(() => planInvoice(order([line('a', { qtyCanceled: 2 })]), [{ itemId: 'a', qty: 2 }]));
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 2, available: 1 }] });
  });

  it('adds up duplicate items before comparing them with qtyToInvoice', () => {
    const error = rejection(() =>
      planInvoice(order([line('a')]), [
        { itemId: 'a', qty: 2 },
        { itemId: 'a', qty: 2 },
      ]),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 4, available: 3 }] });
  });

  it('refuses any unit of a line that has nothing left to invoice, even when another line has some', () => {
    const error = rejection(() =>
      planInvoice(order([line('a', { qtyInvoiced: 3 }), line('b')]), [{ itemId: 'a', qty: 1 }]),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 1, available: 0 }] });
  });

  it('INVALID_QUANTITY wins over quantities that are otherwise zero', () => {
    expect(
      codeOf(() =>
        planInvoice(order([line('a', { qtyInvoiced: 3 }), line('b')]), [
          { itemId: 'b', qty: 0 },
          { itemId: 'a', qty: 1 },
        ]),
      ),
    ).toBe('INVALID_QUANTITY');
  });

  it('refuses an empty items list with INVOICE_EMPTY', () => {
    expect(codeOf(() => planInvoice(order([line('a')]), []))).toBe('INVOICE_EMPTY');
  });

  it('refuses items whose quantities are all zero with INVOICE_EMPTY', () => {
    expect(
      codeOf(() =>
        planInvoice(order([line('a'), line('b')]), [
          { itemId: 'a', qty: 0 },
          { itemId: 'b', qty: 0 },
          { itemId: 'a', qty: 0 },
        ]),
      ),
    ).toBe('INVOICE_EMPTY');
  });
});

describe('planInvoice — quantities', () => {
  it('without items invoices every qtyToInvoice, leaving out lines with none', () => {
    const o = order([
      line('a', { qtyInvoiced: 1 }),
      line('b', { qtyInvoiced: 3 }),
      line('c', { qtyCanceled: 1 }),
      line('d', { qtyCanceled: 3 }),
    ]);
    expect(planInvoice(o, undefined).items.map((i) => [i.line.id, i.qty])).toEqual([
      ['a', 2],
      ['c', 2],
    ]);
  });

  it('with items invoices exactly those, in request order, leaving out zero quantities', () => {
    const a = line('a');
    const o = order([a, line('b'), line('c')]);
    const plan = planInvoice(o, [
      { itemId: 'c', qty: 1 },
      { itemId: 'b', qty: 0 },
      { itemId: 'a', qty: 2 },
      { itemId: 'c', qty: 1 },
    ]);
    expect(plan.items.map((i) => [i.line.id, i.qty])).toEqual([
      ['c', 2],
      ['a', 2],
    ]);
    expect(plan.items[1]!.line).toBe(a);
  });

  it('invoices non-stockable lines like any other', () => {
    const plan = planInvoice(order([line('e', { stockable: false, qtyOrdered: 1, unitPrice: 999, taxAmount: 0, discountAmount: 0 })], { shipping: NO_SHIPPING }), undefined);
    expect(plan.items.map((i) => [i.line.id, i.qty])).toEqual([['e', 1]]);
    expect(plan.grandTotal).toBe(999);
  });
});

describe('planInvoice — amounts', () => {
  it('prorates tax 400 and discount 100 over 3 units invoiced 1+1+1: 133,133,134 and 33,33,34', () => {
    let o = order([line('a')]);
    const taxes: number[] = [];
    const discounts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const plan = planInvoice(o, [{ itemId: 'a', qty: 1 }]);
      taxes.push(plan.items[0]!.taxAmount);
      discounts.push(plan.items[0]!.discountAmount);
      o = applyInvoice(o, plan);
    }
    expect(taxes).toEqual([133, 133, 134]);
    expect(discounts).toEqual([33, 33, 34]);
    expect(o.lines[0]!.qtyInvoiced).toBe(3);
  });

  it('prorates over a 2+1 split: 266 then 134 tax, 66 then 34 discount', () => {
    const first = planInvoice(order([line('a')]), [{ itemId: 'a', qty: 2 }]);
    expect(itemsOf(first)).toEqual([
      { id: 'a', qty: 2, unitPrice: 1999, rowTotal: 3998, taxAmount: 266, discountAmount: 66 },
    ]);
    const second = planInvoice(order([line('a', { qtyInvoiced: 2 })], { invoiced: true }), undefined);
    expect(itemsOf(second)).toEqual([
      { id: 'a', qty: 1, unitPrice: 1999, rowTotal: 1999, taxAmount: 134, discountAmount: 34 },
    ]);
  });

  it('prorates over a 1+2 split: 133 then 267 tax, 33 then 67 discount', () => {
    const first = planInvoice(order([line('a')]), [{ itemId: 'a', qty: 1 }]);
    expect([first.items[0]!.taxAmount, first.items[0]!.discountAmount]).toEqual([133, 33]);
    const second = planInvoice(order([line('a', { qtyInvoiced: 1 })], { invoiced: true }), undefined);
    expect([second.items[0]!.taxAmount, second.items[0]!.discountAmount]).toEqual([267, 67]);
  });

  it('prorates over ordered units, not over what is left after cancelation', () => {
    // 3 ordered, 1 canceled: invoicing the 2 others covers units 1..2 of 3 → floor(400*2/3) = 266
    const plan = planInvoice(order([line('a', { qtyCanceled: 1 })]), undefined);
    expect([plan.items[0]!.taxAmount, plan.items[0]!.discountAmount]).toEqual([266, 66]);
  });

  it('uses qtyInvoiced as the units already covered', () => {
    // tax 1000 over 7 units; 3 already invoiced, invoice 2 more: floor(1000*5/7) - floor(1000*3/7) = 714 - 428
    const plan = planInvoice(
      order([line('a', { qtyOrdered: 7, qtyInvoiced: 3, taxAmount: 1000, discountAmount: 10 })], { invoiced: true }),
      [{ itemId: 'a', qty: 2 }],
    );
    expect([plan.items[0]!.taxAmount, plan.items[0]!.discountAmount]).toEqual([286, 3]); // 10: floor(50/7)-floor(30/7) = 7-4
  });

  it('puts the whole line amounts on a single full invoice', () => {
    const plan = planInvoice(order([line('a')], { shipping: NO_SHIPPING }), undefined);
    expect(itemsOf(plan)).toEqual([
      { id: 'a', qty: 3, unitPrice: 1999, rowTotal: 5997, taxAmount: 400, discountAmount: 100 },
    ]);
    expect(plan).toMatchObject({ subTotal: 5997, shipping: 0, tax: 400, discount: 100, grandTotal: 6297 });
  });

  it('is exact beyond 2^53 intermediate products', () => {
    const max = Number.MAX_SAFE_INTEGER; // 9007199254740991 = 3 * 3002399751580330 + 1
    const o = order([line('a', { unitPrice: 0, taxAmount: max, discountAmount: 0 })], { shipping: NO_SHIPPING });
    const first = planInvoice(o, [{ itemId: 'a', qty: 1 }]);
    expect(first.items[0]!.taxAmount).toBe(3002399751580330);
    const rest = planInvoice(applyInvoice(o, first), undefined);
    expect(rest.items[0]!.taxAmount).toBe(6004799503160661);
  });

  it('gives a line without tax or discount zero of each', () => {
    const plan = planInvoice(order([line('a', { taxAmount: 0, discountAmount: 0 })]), [{ itemId: 'a', qty: 1 }]);
    expect([plan.items[0]!.taxAmount, plan.items[0]!.discountAmount]).toEqual([0, 0]);
  });

  it('puts shipping, shipping tax and shipping discount whole on the first invoice, even for 1 unit', () => {
    const plan = planInvoice(order([line('a')]), [{ itemId: 'a', qty: 1 }]);
    expect(plan).toMatchObject({
      subTotal: 1999,
      shipping: 500,
      shippingTax: 100,
      shippingDiscount: 50,
      tax: 233, // 133 + 100
      discount: 83, // 33 + 50
      grandTotal: 2649, // 1999 + 500 + 233 - 83
    });
  });

  it('puts no shipping at all on later invoices (the order already has an invoice)', () => {
    const plan = planInvoice(order([line('a', { qtyInvoiced: 1 })], { invoiced: true }), [{ itemId: 'a', qty: 1 }]);
    expect(plan).toMatchObject({
      subTotal: 1999,
      shipping: 0,
      shippingTax: 0,
      shippingDiscount: 0,
      tax: 133,
      discount: 33,
      grandTotal: 2099,
    });
  });

  it('follows the `invoiced` flag, not the line counters, for shipping', () => {
    // e.g. the only earlier invoice covered another line
    const plan = planInvoice(order([line('a')], { invoiced: true }), [{ itemId: 'a', qty: 1 }]);
    expect([plan.shipping, plan.shippingTax, plan.shippingDiscount]).toEqual([0, 0, 0]);
  });

  it('computes the exact invoice totals over two lines, first invoice', () => {
    const o = order([line('a'), line('b', { stockable: false, unitPrice: 500, qtyOrdered: 2, taxAmount: 99, discountAmount: 0 })]);
    const plan = planInvoice(o, [
      { itemId: 'a', qty: 1 },
      { itemId: 'b', qty: 1 },
    ]);
    expect(itemsOf(plan)).toEqual([
      { id: 'a', qty: 1, unitPrice: 1999, rowTotal: 1999, taxAmount: 133, discountAmount: 33 },
      { id: 'b', qty: 1, unitPrice: 500, rowTotal: 500, taxAmount: 49, discountAmount: 0 },
    ]);
    expect(plan).toMatchObject({
      subTotal: 2499,
      shipping: 500,
      shippingTax: 100,
      shippingDiscount: 50,
      tax: 282,
      discount: 83,
      grandTotal: 3198,
    });
  });

  it('makes successive partial invoices sum exactly to the order totals', () => {
    const lines = [
      line('a'),
      line('b', { stockable: false, unitPrice: 500, qtyOrdered: 2, taxAmount: 99, discountAmount: 0 }),
    ];
    let o = order(lines);
    const requests: RequestedItem[][] = [
      [
        { itemId: 'a', qty: 1 },
        { itemId: 'b', qty: 1 },
      ],
      [
        { itemId: 'a', qty: 1 },
        { itemId: 'b', qty: 1 },
      ],
      [{ itemId: 'a', qty: 1 }],
    ];
    const plans = requests.map((request) => {
      const plan = planInvoice(o, request);
      o = applyInvoice(o, plan);
      return plan;
    });
    expect(plans.map((p) => p.grandTotal)).toEqual([3198, 2649, 2099]);
    expect(plans.map((p) => p.tax)).toEqual([282, 183, 134]);
    expect(plans.map((p) => p.discount)).toEqual([83, 33, 34]);
    const totals = orderTotals(
      lines.map((l) => ({ qty: l.qtyOrdered, unitPrice: l.unitPrice, taxAmount: l.taxAmount, discountAmount: l.discountAmount })),
      SHIPPING,
    );
    expect(totals.grandTotal).toBe(7946);
    const sum = (pick: (p: InvoicePlan<DocumentLine>) => number) => plans.reduce((s, p) => s + pick(p), 0);
    expect(sum((p) => p.subTotal)).toBe(totals.subTotal);
    expect(sum((p) => p.shipping)).toBe(totals.shipping);
    expect(sum((p) => p.tax)).toBe(totals.tax);
    expect(sum((p) => p.discount)).toBe(totals.discount);
    expect(sum((p) => p.grandTotal)).toBe(totals.grandTotal);
    expect(() => planInvoice(o, undefined)).toThrow(DomainError);
  });

  it('lets a discount exceed the rest and still computes grandTotal = subTotal + shipping + tax − discount', () => {
    const plan = planInvoice(
      order([line('a', { unitPrice: 100, qtyOrdered: 1, taxAmount: 0, discountAmount: 100 })], {
        shipping: { amount: 0, taxAmount: 0, discountAmount: 0 },
      }),
      undefined,
    );
    expect(plan.grandTotal).toBe(0);
  });
});

describe('documentItem', () => {
  it('prorates tax and discount over qtyOrdered after `coveredBefore` units', () => {
    const l = line('a', { qtyOrdered: 6, taxAmount: 100, discountAmount: 50 });
    // floor(100*5/6) - floor(100*2/6) = 83 - 33; floor(50*5/6) - floor(50*2/6) = 41 - 16
    expect(documentItem(l, 3, 2)).toEqual({ line: l, qty: 3, unitPrice: 1999, rowTotal: 5997, taxAmount: 50, discountAmount: 25 });
  });
});

describe('planPayment', () => {
  const invoice = (state: InvoiceState, paidAmount = 0, grandTotal = 2799) => ({
    number: 'INV-000004',
    state,
    grandTotal,
    paidAmount,
  });

  it('refuses a paid invoice with INVOICE_ALREADY_PAID', () => {
    const error = rejection(() => planPayment(invoice('paid', 2799), 1));
    expect(error.code).toBe('INVOICE_ALREADY_PAID');
    expect(error.message).toContain('INV-000004');
  });

  it('INVOICE_ALREADY_PAID wins over a payment that would exceed the due amount', () => {
    expect(codeOf(() => planPayment(invoice('paid', 2799), 5000))).toBe('INVOICE_ALREADY_PAID');
  });

  it('refuses paying more than the grand total with PAYMENT_EXCEEDS_DUE and details.due', () => {
    const error = rejection(() => planPayment(invoice('pending'), 2800));
    expect(error.code).toBe('PAYMENT_EXCEEDS_DUE');
    expect(error.details).toEqual({ due: 2799 });
  });

  it('counts earlier payments in the due amount', () => {
    const error = rejection(() => planPayment(invoice('overdue', 2000), 800));
    expect(error.code).toBe('PAYMENT_EXCEEDS_DUE');
    expect(error.details).toEqual({ due: 799 });
    expect(error.message).toContain('799');
  });

  it('keeps a partly paid pending invoice pending', () => {
    expect(planPayment(invoice('pending'), 2500)).toEqual({ paidAmount: 2500, state: 'pending' });
  });

  it('keeps a partly paid overdue invoice overdue', () => {
    expect(planPayment(invoice('overdue', 100), 200)).toEqual({ paidAmount: 300, state: 'overdue' });
  });

  it('makes a pending invoice paid when one payment covers the grand total', () => {
    expect(planPayment(invoice('pending'), 2799)).toEqual({ paidAmount: 2799, state: 'paid' });
  });

  it('makes an invoice paid when the payments together reach the grand total', () => {
    const first = planPayment(invoice('pending'), 1000);
    expect(first).toEqual({ paidAmount: 1000, state: 'pending' });
    const second = planPayment(invoice(first.state, first.paidAmount), 1799);
    expect(second).toEqual({ paidAmount: 2799, state: 'paid' });
  });

  it('makes an overdue invoice paid when the rest is paid', () => {
    expect(planPayment(invoice('overdue', 2000), 799)).toEqual({ paidAmount: 2799, state: 'paid' });
  });
});
