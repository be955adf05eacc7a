import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { assertCanHold, assertCanUnhold, assertNotOnHold, planCancel } from '../../src/domain/lifecycle.js';
import type { LineCounters, OrderStatus } from '../../src/domain/order.js';
import { lineCounters as line, rejection } from '../support/domain.js';

describe('assertNotOnHold', () => {
  it('lets an order that is not held through', () => {
    expect(assertNotOnHold({ held: false, number: '100000001' })).toBeUndefined();
  });

  it('refuses a held order with ORDER_ON_HOLD naming it', () => {
    const error = rejection(() => assertNotOnHold({ held: true, number: '100000001' }));
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('ORDER_ON_HOLD');
    expect(error.name).toBe('DomainError');
    expect(error.message).toBe('Order 100000001 is on hold; release it (unhold) first.');
    expect(error.details).toEqual({});
  });
});

describe('assertCanHold', () => {
  const hold = (status: OrderStatus, held = false) => () => assertCanHold({ held, number: '100000009', status });

  it.each(['pending', 'pending_payment', 'processing'] as const)('lets a %s order be held', (status) => {
    expect(hold(status)()).toBeUndefined();
  });

  it.each(['canceled', 'closed', 'completed'] as const)('refuses holding a %s order with HOLD_NOT_ALLOWED', (status) => {
    const error = rejection(hold(status));
    expect(error.code).toBe('HOLD_NOT_ALLOWED');
    expect(error.details).toEqual({ status });
    expect(error.message).toContain(status);
  });

  it('refuses holding an order already on hold with HOLD_NOT_ALLOWED', () => {
    const error = rejection(hold('on_hold', true));
    expect(error.code).toBe('HOLD_NOT_ALLOWED');
    expect(error.message).toBe('Order 100000009 is already on hold.');
  });

  it('refuses a held order whatever status it carries', () => {
    expect(rejection(hold('processing', true)).code).toBe('HOLD_NOT_ALLOWED');
  });
});

describe('assertCanUnhold', () => {
  it('lets a held order be released', () => {
    expect(assertCanUnhold({ held: true, number: '100000003' })).toBeUndefined();
  });

  it('refuses releasing an order that is not held with UNHOLD_NOT_ALLOWED', () => {
    const error = rejection(() => assertCanUnhold({ held: false, number: '100000003' }));
    expect(error.code).toBe('UNHOLD_NOT_ALLOWED');
    expect(error.message).toContain('100000003');
  });
});

describe('planCancel', () => {
  const cancel = (lines: LineCounters[], held = false) => planCancel({ held, number: '100000005', lines });

  it('cancels every unit of an untouched order', () => {
    expect(cancel([line(), line({ qtyOrdered: 2, stockable: false })])).toEqual([5, 2]);
  });

  it('refuses a held order with ORDER_ON_HOLD', () => {
    expect(rejection(() => cancel([line()], true)).code).toBe('ORDER_ON_HOLD');
  });

  it('ORDER_ON_HOLD wins over nothing to cancel', () => {
    expect(rejection(() => cancel([line({ qtyCanceled: 5 })], true)).code).toBe('ORDER_ON_HOLD');
  });

  it('refuses CANCEL_NOT_ALLOWED when everything is already canceled', () => {
    const error = rejection(() => cancel([line({ qtyCanceled: 5 })]));
    expect(error.code).toBe('CANCEL_NOT_ALLOWED');
    expect(error.message).toContain('100000005');
  });

  it('refuses CANCEL_NOT_ALLOWED when everything is invoiced (refund instead)', () => {
    expect(rejection(() => cancel([line({ qtyInvoiced: 5 }), line({ qtyInvoiced: 2, qtyCanceled: 3 })])).code).toBe(
      'CANCEL_NOT_ALLOWED',
    );
  });

  it('refuses CANCEL_NOT_ALLOWED when everything has shipped', () => {
    expect(rejection(() => cancel([line({ qtyShipped: 5 })])).code).toBe('CANCEL_NOT_ALLOWED');
  });

  it('refuses CANCEL_NOT_ALLOWED for an order without lines', () => {
    expect(rejection(() => cancel([])).code).toBe('CANCEL_NOT_ALLOWED');
  });

  it('cancels ordered − canceled − invoiced when more was invoiced than shipped', () => {
    expect(cancel([line({ qtyInvoiced: 3, qtyShipped: 1, qtyCanceled: 1 })])).toEqual([1]);
  });

  it('cancels ordered − canceled − shipped when more was shipped than invoiced', () => {
    expect(cancel([line({ qtyInvoiced: 1, qtyShipped: 4 })])).toEqual([1]);
  });

  it('does not subtract invoiced and shipped twice when the same units were both', () => {
    expect(cancel([line({ qtyInvoiced: 2, qtyShipped: 2 })])).toEqual([3]);
  });

  it('gives 0 for finished lines and qtyToCancel for the others, in line order', () => {
    expect(
      cancel([
        line({ qtyInvoiced: 5 }),
        line({ qtyOrdered: 7, qtyCanceled: 2 }),
        line({ qtyShipped: 5 }),
        line({ qtyOrdered: 4, qtyInvoiced: 1, qtyShipped: 3 }),
      ]),
    ).toEqual([0, 5, 0, 1]);
  });

  it('cancels the units of a refunded-but-unfinished line that were never invoiced', () => {
    // 5 ordered, 2 invoiced and refunded: 3 remain to cancel
    expect(cancel([line({ qtyInvoiced: 2, qtyRefunded: 2 })])).toEqual([3]);
  });
});
