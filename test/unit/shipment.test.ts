import { describe, expect, it } from 'vitest';
import type { DocumentLine, RequestedItem } from '../../src/domain/items.js';
import { deliveryTime, planShipment } from '../../src/domain/shipment.js';
import { codeOf, documentLine as line, rejection } from '../support/domain.js';

const order = (lines: DocumentLine[], held = false) => ({ number: '100000042', held, lines });

interface Source {
  code: string;
  exists: boolean;
  onHand: ReadonlyMap<string, number>;
}

/** The source `main`, holding the given on-hand quantities of the SKUs it manages. */
const source = (onHand: Record<string, number> = {}, fields: Partial<Source> = {}): Source => ({
  code: 'main',
  exists: true,
  onHand: new Map(Object.entries(onHand)),
  ...fields,
});

const ship = (lines: DocumentLine[], items: RequestedItem[] | undefined, src: Source = source()) =>
  planShipment(order(lines), items, src).map((p) => [p.line.id, p.qty]);

describe('planShipment — rejections in SPEC order', () => {
  const virtual = line('v', { stockable: false, qtyOrdered: 1 });

  it('refuses an order on hold with ORDER_ON_HOLD', () => {
    const error = rejection(() => planShipment(order([line('a')], true), undefined, source()));
    expect(error.code).toBe('ORDER_ON_HOLD');
    expect(error.message).toContain('100000042');
  });

  it('ORDER_ON_HOLD wins over every later check', () => {
    const held = (lines: DocumentLine[]) => order(lines, true);
    expect(codeOf(() => planShipment(held([line('a', { qtyShipped: 3 })]), undefined, source()))).toBe('ORDER_ON_HOLD');
    expect(codeOf(() => planShipment(held([line('a')]), [{ itemId: 'x', qty: 1 }], source()))).toBe('ORDER_ON_HOLD');
    expect(codeOf(() => planShipment(held([line('a')]), undefined, source({}, { exists: false })))).toBe(
      'ORDER_ON_HOLD',
    );
    expect(codeOf(() => planShipment(held([line('a')]), undefined, source({ 'SKU-A': 0 })))).toBe('ORDER_ON_HOLD');
  });

  it('refuses SHIPMENT_NOT_ALLOWED when everything was shipped', () => {
    const error = rejection(() => planShipment(order([line('a', { qtyShipped: 3 })]), undefined, source()));
    expect(error.code).toBe('SHIPMENT_NOT_ALLOWED');
    expect(error.message).toContain('100000042');
  });

  it('refuses SHIPMENT_NOT_ALLOWED when the rest was shipped, refunded or canceled', () => {
    expect(
      codeOf(() =>
        planShipment(order([line('a', { qtyShipped: 1, qtyInvoiced: 1, qtyRefunded: 1, qtyCanceled: 1 })]), undefined, source()),
      ),
    ).toBe('SHIPMENT_NOT_ALLOWED');
  });

  it('refuses SHIPMENT_NOT_ALLOWED for an order of only non-stockable lines', () => {
    expect(codeOf(() => planShipment(order([virtual]), undefined, source()))).toBe('SHIPMENT_NOT_ALLOWED');
    expect(codeOf(() => planShipment(order([virtual]), [{ itemId: 'v', qty: 1 }], source()))).toBe(
      'SHIPMENT_NOT_ALLOWED',
    );
  });

  it('SHIPMENT_NOT_ALLOWED wins over an unknown item and an unknown source', () => {
    const done = [line('a', { qtyShipped: 3 })];
    expect(codeOf(() => planShipment(order(done), [{ itemId: 'x', qty: 1 }], source()))).toBe('SHIPMENT_NOT_ALLOWED');
    expect(codeOf(() => planShipment(order(done), undefined, source({}, { exists: false })))).toBe(
      'SHIPMENT_NOT_ALLOWED',
    );
  });

  it('refuses an item of another order with UNKNOWN_ITEM', () => {
    const error = rejection(() => planShipment(order([line('a')]), [{ itemId: 'x', qty: 1 }], source()));
    expect(error.code).toBe('UNKNOWN_ITEM');
    expect(error.details).toEqual({ itemIds: ['x'] });
  });

  it('UNKNOWN_ITEM wins over a non-stockable line, an over-quantity and an unknown source', () => {
    expect(
      codeOf(() =>
        planShipment(
          order([line('a'), virtual]),
          [
            { itemId: 'v', qty: 1 },
            { itemId: 'a', qty: 9 },
            { itemId: 'x', qty: 1 },
          ],
          source({}, { exists: false }),
        ),
      ),
    ).toBe('UNKNOWN_ITEM');
  });

  it('refuses a non-stockable line with ITEM_NOT_SHIPPABLE naming it', () => {
    const error = rejection(() => planShipment(order([line('a'), virtual]), [{ itemId: 'v', qty: 1 }], source()));
    expect(error.code).toBe('ITEM_NOT_SHIPPABLE');
    expect(error.details).toEqual({ itemIds: ['v'] });
    expect(error.message).toContain('SKU-V');
  });

  it('ITEM_NOT_SHIPPABLE wins over an over-quantity (a virtual line has qtyToShip 0) and a bad source', () => {
    expect(
      codeOf(() =>
        planShipment(
          order([line('a'), virtual]),
          [
            { itemId: 'a', qty: 9 },
            { itemId: 'v', qty: 1 },
          ],
          source({}, { exists: false }),
        ),
      ),
    ).toBe('ITEM_NOT_SHIPPABLE');
  });

  it('without items leaves non-stockable lines out instead of refusing them', () => {
    expect(ship([line('a'), virtual], undefined)).toEqual([['a', 3]]);
  });

  it('refuses a quantity over qtyToShip with INVALID_QUANTITY and details.items', () => {
    const error = rejection(() =>
      planShipment(order([line('a', { qtyShipped: 1 })]), [{ itemId: 'a', qty: 3 }], source()),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 3, available: 2 }] });
  });

  it('counts refunded and canceled units out of qtyToShip', () => {
    const error = rejection(() =>
      planShipment(
        order([line('a', { qtyOrdered: 5, qtyInvoiced: 2, qtyRefunded: 1, qtyCanceled: 2 })]),
        [{ itemId: 'a', qty: 3 }],
        source(),
      ),
    );
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 3, available: 2 }] });
  });

  it('adds duplicate items up before comparing with qtyToShip', () => {
    const error = rejection(() =>
      planShipment(
        order([line('a')]),
        [
          { itemId: 'a', qty: 2 },
          { itemId: 'a', qty: 2 },
        ],
        source(),
      ),
    );
    expect(error.code).toBe('INVALID_QUANTITY');
    expect(error.details).toEqual({ items: [{ itemId: 'a', sku: 'SKU-A', requested: 4, available: 3 }] });
  });

  it('INVALID_QUANTITY wins over an unknown source and short stock', () => {
    expect(codeOf(() => planShipment(order([line('a')]), [{ itemId: 'a', qty: 4 }], source({}, { exists: false })))).toBe(
      'INVALID_QUANTITY',
    );
    expect(codeOf(() => planShipment(order([line('a')]), [{ itemId: 'a', qty: 4 }], source({ 'SKU-A': 0 })))).toBe(
      'INVALID_QUANTITY',
    );
  });

  it('refuses an empty items list with SHIPMENT_EMPTY', () => {
    expect(codeOf(() => planShipment(order([line('a')]), [], source()))).toBe('SHIPMENT_EMPTY');
  });

  it('refuses all-zero quantities with SHIPMENT_EMPTY, before looking at the source', () => {
    expect(
      codeOf(() =>
        planShipment(
          order([line('a'), line('b')]),
          [
            { itemId: 'a', qty: 0 },
            { itemId: 'b', qty: 0 },
          ],
          source({}, { exists: false }),
        ),
      ),
    ).toBe('SHIPMENT_EMPTY');
  });

  it('refuses a source that does not exist with UNKNOWN_SOURCE', () => {
    const error = rejection(() =>
      planShipment(order([line('a')]), undefined, source({}, { code: 'mars', exists: false })),
    );
    expect(error.code).toBe('UNKNOWN_SOURCE');
    expect(error.details).toEqual({ source: 'mars' });
    expect(error.message).toContain('mars');
  });

  it('UNKNOWN_SOURCE wins over short stock', () => {
    expect(codeOf(() => planShipment(order([line('a')]), undefined, source({ 'SKU-A': 0 }, { exists: false })))).toBe(
      'UNKNOWN_SOURCE',
    );
  });

  it('refuses less on hand than shipped with INSUFFICIENT_STOCK {source, items: [{sku, requested, available}]}', () => {
    const error = rejection(() => planShipment(order([line('a')]), undefined, source({ 'SKU-A': 2 })));
    expect(error.code).toBe('INSUFFICIENT_STOCK');
    expect(error.details).toEqual({ source: 'main', items: [{ sku: 'SKU-A', requested: 3, available: 2 }] });
    expect(error.message).toContain('SKU-A');
  });

  it('treats a managed SKU with 0 on hand as short', () => {
    const error = rejection(() => planShipment(order([line('a')]), [{ itemId: 'a', qty: 1 }], source({ 'SKU-A': 0 })));
    expect(error.details).toEqual({ source: 'main', items: [{ sku: 'SKU-A', requested: 1, available: 0 }] });
  });

  it('names every short SKU, sorted by SKU, and none that has enough', () => {
    const error = rejection(() =>
      planShipment(
        order([line('z'), line('m'), line('b')]),
        undefined,
        source({ 'SKU-Z': 1, 'SKU-M': 3, 'SKU-B': 2 }, { code: 'east' }),
      ),
    );
    expect(error.details).toEqual({
      source: 'east',
      items: [
        { sku: 'SKU-B', requested: 3, available: 2 },
        { sku: 'SKU-Z', requested: 3, available: 1 },
      ],
    });
  });

  it('adds two lines of the same SKU up against the stock', () => {
    const lines = [line('a', { sku: 'TEE' }), line('b', { sku: 'TEE', qtyOrdered: 2 })];
    const error = rejection(() => planShipment(order(lines), undefined, source({ TEE: 4 })));
    expect(error.code).toBe('INSUFFICIENT_STOCK');
    expect(error.details).toEqual({ source: 'main', items: [{ sku: 'TEE', requested: 5, available: 4 }] });
    expect(ship(lines, undefined, source({ TEE: 5 }))).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('never finds an unmanaged SKU (absent from onHand) short', () => {
    expect(ship([line('a', { qtyOrdered: 1000 })], undefined, source({ OTHER: 0 }))).toEqual([['a', 1000]]);
  });

  it('checks only the managed SKUs of a mixed shipment', () => {
    const error = rejection(() =>
      planShipment(order([line('a'), line('b')]), undefined, source({ 'SKU-B': 1 })),
    );
    expect(error.details).toEqual({ source: 'main', items: [{ sku: 'SKU-B', requested: 3, available: 1 }] });
  });

  it('does not count a line asked with 0 units against stock', () => {
    expect(
      ship(
        [line('a'), line('b', { sku: 'SKU-A' })],
        [
          { itemId: 'a', qty: 2 },
          { itemId: 'b', qty: 0 },
        ],
        source({ 'SKU-A': 2 }),
      ),
    ).toEqual([['a', 2]]);
  });
});

describe('planShipment — what is shipped', () => {
  it('without items ships every qtyToShip, leaving out lines with none', () => {
    const lines = [
      line('a', { qtyShipped: 1 }),
      line('b', { qtyShipped: 3 }),
      line('c', { qtyCanceled: 1 }),
      line('d', { stockable: false }),
    ];
    expect(ship(lines, undefined)).toEqual([
      ['a', 2],
      ['c', 2],
    ]);
  });

  it('ships exactly on-hand quantity', () => {
    expect(ship([line('a')], undefined, source({ 'SKU-A': 3 }))).toEqual([['a', 3]]);
  });

  it('with items ships those, in request order, duplicates added, zeros left out', () => {
    const a = line('a');
    const plan = planShipment(
      order([a, line('b'), line('c')]),
      [
        { itemId: 'c', qty: 1 },
        { itemId: 'b', qty: 0 },
        { itemId: 'a', qty: 1 },
        { itemId: 'c', qty: 1 },
      ],
      source(),
    );
    expect(plan.map((p) => [p.line.id, p.qty])).toEqual([
      ['c', 2],
      ['a', 1],
    ]);
    expect(plan[1]!.line).toBe(a);
  });

  it('does not require invoicing first', () => {
    expect(ship([line('a', { qtyInvoiced: 0 })], [{ itemId: 'a', qty: 1 }])).toEqual([['a', 1]]);
  });
});

describe('deliveryTime', () => {
  const dispatched = new Date('2026-11-20T10:00:00.000Z');
  const shipment = { number: 'SHP-000003', createdAt: dispatched };
  const now = new Date('2026-11-22T12:00:00.000Z');
  const ms = (date: Date, offset: number) => new Date(date.getTime() + offset);

  it('defaults to now', () => {
    expect(deliveryTime(shipment, undefined, now).toISOString()).toBe('2026-11-22T12:00:00.000Z');
  });

  it('takes a reported time between dispatch and now', () => {
    const reported = new Date('2026-11-21T08:30:00.000Z');
    expect(deliveryTime(shipment, reported, now)).toEqual(reported);
  });

  it('accepts delivery at the very moment of dispatch', () => {
    expect(deliveryTime(shipment, dispatched, now)).toEqual(dispatched);
  });

  it('refuses delivery 1 ms before dispatch with INVALID_DELIVERY_TIME', () => {
    const error = rejection(() => deliveryTime(shipment, ms(dispatched, -1), now));
    expect(error.code).toBe('INVALID_DELIVERY_TIME');
    expect(error.details).toEqual({
      deliveredAt: '2026-11-20T09:59:59.999Z',
      dispatchedAt: '2026-11-20T10:00:00.000Z',
    });
    expect(error.message).toContain('SHP-000003');
  });

  it('tolerates up to 5 minutes of clock skew into the future', () => {
    expect(deliveryTime(shipment, ms(now, 5 * 60_000), now)).toEqual(ms(now, 5 * 60_000));
    expect(deliveryTime(shipment, ms(now, 60_000), now)).toEqual(ms(now, 60_000));
  });

  it('refuses a time more than 5 minutes in the future with INVALID_DELIVERY_TIME', () => {
    const error = rejection(() => deliveryTime(shipment, ms(now, 5 * 60_000 + 1), now));
    expect(error.code).toBe('INVALID_DELIVERY_TIME');
    expect(error.details).toEqual({
      deliveredAt: '2026-11-22T12:05:00.001Z',
      dispatchedAt: '2026-11-20T10:00:00.000Z',
    });
  });

  it('refuses a day in the future', () => {
    expect(codeOf(() => deliveryTime(shipment, ms(now, 86_400_000), now))).toBe('INVALID_DELIVERY_TIME');
  });

  it('refuses "now" when the clock is behind the dispatch time', () => {
    expect(codeOf(() => deliveryTime(shipment, undefined, ms(dispatched, -1000)))).toBe('INVALID_DELIVERY_TIME');
  });
});
