import { describe, expect, it } from 'vitest';
import { planRefund, type RefundOrder } from '../../src/domain/refund.js';
import {
  moveReturn,
  nextMoves,
  planReceipt,
  planReturnRequest,
  qtyToReturn,
  refundedFromShipped,
  RETURN_MOVES,
  RETURN_STATES,
  unitsInOpenReturns,
  type ReturnFacts,
  type ReturnLine,
  type ReturnState,
} from '../../src/domain/returns.js';
import { codeOf, documentLine, refundLine, rejection } from '../support/domain.js';

/** SPEC §3.9: returns, their states, what can be returned, receipts and a return's credit memo. */

const DAY = 86_400_000;
const shipped = new Date('2026-11-01T10:00:00Z');
const now = new Date('2026-11-10T10:00:00Z');

/** A line of 3 units, 2 of them shipped, nothing refunded or in a return, with the given fields changed. */
const line = (id: string, fields: Partial<ReturnLine> = {}): ReturnLine => ({
  ...documentLine(id, { qtyInvoiced: 3, qtyShipped: 2 }),
  refundedFromShipped: 0,
  inOpenReturns: 0,
  ...fields,
});

const order = (lines: ReturnLine[], fields: Partial<{ held: boolean; latestDelivery: Date | null; latestShipment: Date | null }> = {}) => ({
  number: '100000007',
  held: false,
  lines,
  latestDelivery: null,
  latestShipment: shipped,
  ...fields,
});
const window = { days: 30, now };

const aReturn = (state: ReturnState, items: ReturnFacts['items'] = [{ lineId: 'a', qty: 2, reason: 'did_not_fit', note: null, qtyResellable: 0, qtyDamaged: 0 }]): ReturnFacts => ({
  id: 'ret-1',
  number: 'RMA-000001',
  state,
  items,
});

describe('return states', () => {
  it('moves only along SPEC §3.9: requested → approved/rejected/canceled, approved → received/canceled, received → refunded', () => {
    const allowed = Object.fromEntries(RETURN_STATES.map((state) => [state, [] as string[]]));
    for (const [move, { from, to }] of Object.entries(RETURN_MOVES)) for (const state of from) allowed[state]!.push(`${move}→${to}`);
    expect(allowed).toEqual({
      requested: ['approve→approved', 'reject→rejected', 'cancel→canceled'],
      approved: ['cancel→canceled', 'receive→received'],
      rejected: [],
      canceled: [],
      received: ['refund→refunded'],
      refunded: [],
    });
  });

  it('names the moves each state allows next, the ones moveReturn accepts', () => {
    expect(Object.fromEntries(RETURN_STATES.map((state) => [state, nextMoves(state)]))).toEqual({
      requested: ['approve', 'reject', 'cancel'],
      approved: ['cancel', 'receive'],
      rejected: [],
      canceled: [],
      received: ['refund'],
      refunded: [],
    });
  });

  it('refuses every other move with RETURN_STATE_INVALID naming the current state', () => {
    for (const state of RETURN_STATES) {
      for (const move of Object.keys(RETURN_MOVES) as (keyof typeof RETURN_MOVES)[]) {
        if (RETURN_MOVES[move].from.includes(state)) {
          expect(moveReturn({ number: 'RMA-000001', state }, move)).toBe(RETURN_MOVES[move].to);
          continue;
        }
        const error = rejection(() => moveReturn({ number: 'RMA-000001', state }, move));
        expect(error.code).toBe('RETURN_STATE_INVALID');
        expect(error.details).toEqual({ state, move });
        expect(error.message).toContain(`is ${state}`);
      }
    }
  });
});

describe('what can be returned', () => {
  it('is shipped, less refunded from shipped units, less units in open returns; nothing of a virtual line', () => {
    expect(qtyToReturn(line('a'))).toBe(2);
    expect(qtyToReturn(line('a', { refundedFromShipped: 1 }))).toBe(1);
    expect(qtyToReturn(line('a', { refundedFromShipped: 1, inOpenReturns: 1 }))).toBe(0);
    expect(qtyToReturn(line('a', { qtyShipped: 0 }))).toBe(0);
    expect(qtyToReturn(line('a', { stockable: false, qtyShipped: 0 }))).toBe(0);
  });

  it('counts requested and approved returns by what was asked, received ones by what arrived, ended ones not at all', () => {
    const item = (qty: number, resellable: number, damaged: number) => [{ lineId: 'a', qty, reason: 'other' as const, note: null, qtyResellable: resellable, qtyDamaged: damaged }];
    expect(unitsInOpenReturns('a', [aReturn('requested', item(2, 0, 0))])).toBe(2);
    expect(unitsInOpenReturns('a', [aReturn('approved', item(2, 0, 0))])).toBe(2);
    expect(unitsInOpenReturns('a', [aReturn('received', item(2, 1, 0))])).toBe(1);
    for (const state of ['rejected', 'canceled', 'refunded'] as const) expect(unitsInOpenReturns('a', [aReturn(state, item(2, 1, 1))])).toBe(0);
    expect(unitsInOpenReturns('b', [aReturn('requested', item(2, 0, 0))])).toBe(0);
  });

  it('takes refunded-from-shipped units from every refund of the line, over every source', () => {
    const refunds = [
      { items: [{ lineId: 'a', fromShipped: [{ source: 'main', qty: 1 }, { source: 'east', qty: 2 }] }, { lineId: 'b', fromShipped: [{ source: 'main', qty: 5 }] }] },
      { items: [{ lineId: 'a', fromShipped: [] }] },
    ];
    expect(refundedFromShipped('a', refunds)).toBe(3);
    expect(refundedFromShipped('b', refunds)).toBe(5);
    expect(refundedFromShipped('c', refunds)).toBe(0);
  });
});

describe('planReturnRequest — rejections in SPEC order', () => {
  const asked = [{ itemId: 'a', qty: 1, reason: 'did_not_fit' as const }];

  it('ORDER_ON_HOLD first, even with nothing returnable', () => {
    expect(codeOf(() => planReturnRequest(order([line('a', { qtyShipped: 0 })], { held: true }), asked, window))).toBe('ORDER_ON_HOLD');
  });

  it('RETURN_NOT_ALLOWED when nothing is returnable, before the window and the items', () => {
    const late = { days: 30, now: new Date(shipped.getTime() + 40 * DAY) };
    expect(codeOf(() => planReturnRequest(order([line('a', { qtyShipped: 0 })]), [{ itemId: 'x', qty: 9, reason: 'other' }], late))).toBe(
      'RETURN_NOT_ALLOWED',
    );
    expect(codeOf(() => planReturnRequest(order([line('a', { inOpenReturns: 2 })]), asked, window))).toBe('RETURN_NOT_ALLOWED');
  });

  it('RETURN_WINDOW_EXPIRED after the refund window from the latest delivery, else the latest shipment', () => {
    const day = (n: number) => ({ days: 30, now: new Date(shipped.getTime() + n * DAY) });
    expect(planReturnRequest(order([line('a')]), asked, day(30)).items).toHaveLength(1);
    const error = rejection(() => planReturnRequest(order([line('a')]), asked, day(31)));
    expect(error.code).toBe('RETURN_WINDOW_EXPIRED');
    expect(error.details).toEqual({ windowEndedAt: new Date(shipped.getTime() + 30 * DAY).toISOString() });
    const delivered = new Date(shipped.getTime() + 10 * DAY);
    expect(planReturnRequest(order([line('a')], { latestDelivery: delivered }), asked, day(35)).items).toHaveLength(1);
    expect(codeOf(() => planReturnRequest(order([line('a')], { latestDelivery: delivered }), asked, day(41)))).toBe('RETURN_WINDOW_EXPIRED');
    expect(planReturnRequest(order([line('a')]), asked, { days: 0, now: new Date(shipped.getTime() + 400 * DAY) }).items).toHaveLength(1);
  });

  it('RETURN_WINDOW_EXPIRED wins over an unknown item and an over-quantity', () => {
    const late = { days: 30, now: new Date(shipped.getTime() + 31 * DAY) };
    expect(codeOf(() => planReturnRequest(order([line('a')]), [{ itemId: 'x', qty: 9, reason: 'other' }], late))).toBe('RETURN_WINDOW_EXPIRED');
  });

  it('UNKNOWN_ITEM for a line of another order, before quantities', () => {
    const error = rejection(() => planReturnRequest(order([line('a')]), [{ itemId: 'x', qty: 1, reason: 'other' }, { itemId: 'a', qty: 9, reason: 'other' }], window));
    expect(error.code).toBe('UNKNOWN_ITEM');
    expect(error.details).toEqual({ itemIds: ['x'] });
  });

  it('INVALID_QUANTITY over what is returnable, duplicates added up', () => {
    const error = rejection(() =>
      planReturnRequest(order([line('a', { refundedFromShipped: 1 })]), [{ itemId: 'a', qty: 1, reason: 'other' }, { itemId: 'a', qty: 1, reason: 'damaged' }], window),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 2, available: 1 }] });
  });

  it('RETURN_EMPTY when every quantity is zero', () => {
    expect(codeOf(() => planReturnRequest(order([line('a')]), [{ itemId: 'a', qty: 0, reason: 'other' }], window))).toBe('RETURN_EMPTY');
  });

  it("asks for the lines given, duplicates added up with the first one's reason and note", () => {
    const plan = planReturnRequest(
      order([line('a'), line('b')]),
      [{ itemId: 'b', qty: 1, reason: 'damaged', note: 'scratched' }, { itemId: 'a', qty: 0, reason: 'other' }, { itemId: 'b', qty: 1, reason: 'other' }],
      window,
    );
    expect(plan.items.map((item) => ({ id: item.line.id, qty: item.qty, reason: item.reason, note: item.note }))).toEqual([
      { id: 'b', qty: 2, reason: 'damaged', note: 'scratched' },
    ]);
  });
});

describe('planReceipt', () => {
  const lines = [documentLine('a'), documentLine('b')];
  const approved = aReturn('approved', [
    { lineId: 'a', qty: 2, reason: 'did_not_fit', note: null, qtyResellable: 0, qtyDamaged: 0 },
    { lineId: 'b', qty: 1, reason: 'damaged', note: null, qtyResellable: 0, qtyDamaged: 0 },
  ]);
  const main = { code: 'main', exists: true };

  it('receives everything asked for, resellable, when no items are given', () => {
    expect(planReceipt(approved, lines, undefined, main)).toEqual({
      state: 'received',
      items: [
        { lineId: 'a', qtyResellable: 2, qtyDamaged: 0 },
        { lineId: 'b', qtyResellable: 1, qtyDamaged: 0 },
      ],
    });
  });

  it('records a partial receipt: of 2 asked for, 1 resellable and 1 damaged; a line that did not come is left out', () => {
    const plan = planReceipt(approved, lines, [
      { itemId: 'a', qty: 1, condition: 'resellable' },
      { itemId: 'a', qty: 1, condition: 'damaged' },
      { itemId: 'b', qty: 0, condition: 'resellable' },
    ], main);
    expect(plan.items).toEqual([{ lineId: 'a', qtyResellable: 1, qtyDamaged: 1 }]);
  });

  it('refuses in order: RETURN_STATE_INVALID, UNKNOWN_ITEM, INVALID_QUANTITY, RETURN_EMPTY, UNKNOWN_SOURCE', () => {
    const nowhere = { code: 'attic', exists: false };
    const bad = [{ itemId: 'x', qty: 9, condition: 'resellable' as const }];
    expect(codeOf(() => planReceipt({ ...approved, state: 'requested' }, lines, bad, nowhere))).toBe('RETURN_STATE_INVALID');
    expect(codeOf(() => planReceipt(approved, lines, [...bad, { itemId: 'a', qty: 9, condition: 'damaged' }], nowhere))).toBe('UNKNOWN_ITEM');
    const over = rejection(() => planReceipt(approved, lines, [{ itemId: 'a', qty: 2, condition: 'resellable' }, { itemId: 'a', qty: 1, condition: 'damaged' }], nowhere));
    expect(over.code).toBe('INVALID_QUANTITY');
    expect(over.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 3, available: 2 }] });
    expect(codeOf(() => planReceipt(approved, lines, [{ itemId: 'a', qty: 0, condition: 'resellable' }], nowhere))).toBe('RETURN_EMPTY');
    const source = rejection(() => planReceipt(approved, lines, undefined, nowhere));
    expect(source.code).toBe('UNKNOWN_SOURCE');
    expect(source.details).toEqual({ source: 'attic' });
  });
});

describe("a return's credit memo (planRefund with ofReturn)", () => {
  const refundOrder = (fields: Partial<RefundOrder<ReturnType<typeof refundLine>>> = {}): RefundOrder<ReturnType<typeof refundLine>> => ({
    number: '100000007',
    held: false,
    placedAt: new Date('2026-01-01T00:00:00Z'),
    // 3 invoiced, 2 shipped from main, 1 still to ship.
    lines: [refundLine('a', { qtyShipped: 2, shipped: [{ source: 'main', qty: 2 }] })],
    paid: 100_000,
    refunded: 0,
    shippingInvoiced: { amount: 500, taxAmount: 100, discountAmount: 0 },
    shippingRefunded: 0,
    latestDelivery: null,
    latestShipment: new Date('2026-01-02T00:00:00Z'),
    ...fields,
  });
  const request = { items: [{ itemId: 'a', qty: 1, returnToStock: false }], shipping: 0, adjustmentRefund: 0, adjustmentFee: 0, overrideWindow: false };

  it('takes its units from shipped ones, although the line has units still to ship', () => {
    const ordinary = planRefund(refundOrder(), request, { days: 0, now });
    expect(ordinary.items.map((item) => [item.fromUnshipped, item.fromShipped])).toEqual([[1, []]]);
    const ofReturn = planRefund(refundOrder(), { ...request, ofReturn: true }, { days: 0, now });
    expect(ofReturn.items.map((item) => [item.fromUnshipped, item.fromShipped])).toEqual([[0, [{ source: 'main', qty: 1 }]]]);
  });

  it('is not limited by the refund window, which a plain refund of the same units is', () => {
    const late = { days: 30, now: new Date('2026-06-01T00:00:00Z') };
    const shippedUnits = refundOrder({ lines: [refundLine('a', { qtyShipped: 3, shipped: [{ source: 'main', qty: 3 }] })] });
    expect(codeOf(() => planRefund(shippedUnits, request, late))).toBe('REFUND_WINDOW_EXPIRED');
    expect(planRefund(shippedUnits, { ...request, ofReturn: true }, late).grandTotal).toBe(1999 + 133 - 33);
  });

  it('keeps the cap of money received: REFUND_LIMIT_EXCEEDED', () => {
    expect(codeOf(() => planRefund(refundOrder({ paid: 1000 }), { ...request, ofReturn: true }, { days: 0, now }))).toBe('REFUND_LIMIT_EXCEEDED');
  });
});
