import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { problem } from '../support/http.js';

/** SPEC §3.3 stock and §4 inventory routes: sources, per-source on hand, reserved and salable quantities. */
let h: Harness;
let backorders: Harness;

beforeAll(async () => {
  [h, backorders] = await Promise.all([startHarness(), startHarness({ env: { BACKORDERS: 'true' } })]);
  for (const harness of [h, backorders]) {
    expect((await harness.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  }
});
afterAll(async () => {
  await Promise.all([h?.close(), backorders?.close()]);
});

const stock = async (harness: Harness, sku: string) => (await harness.get(`/v1/inventory/items/${sku}`)).json();

/** Places a one-line order and waits for its outcome. */
async function placeAndWait(harness: Harness, sku: string, qty: number) {
  const res = await harness.post('/v1/orders', singleLineOrder(sku, qty), {
    key: 'storefront',
    idempotencyKey: newKey(),
    prefer: 'wait=20',
  });
  return res;
}

describe('inventory sources', () => {
  it('creates a source with 201 and updates it with 200', async () => {
    const created = await h.put('/v1/inventory/sources/east', { name: 'East depot', contactEmail: 'east@example.com' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ code: 'east', name: 'East depot', contactEmail: 'east@example.com', active: true });

    const updated = await h.put('/v1/inventory/sources/east', { name: 'East depot (new)', active: false });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ code: 'east', name: 'East depot (new)', contactEmail: null, active: false });

    const rows = await h.sql('select code, name, contact_email, active from inventory_sources where code = ?', ['east']);
    expect(rows).toEqual([{ code: 'east', name: 'East depot (new)', contact_email: null, active: false }]);
  });

  it('refuses a bad source code or body with 400 and writes nothing', async () => {
    const badCode = await h.put('/v1/inventory/sources/Bad%20Code', { name: 'x' });
    expect(problem(badCode, 400, 'VALIDATION_FAILED').errors!.map((e: { path: string }) => e.path)).toEqual(['/params/code']);
    const badBody = await h.put('/v1/inventory/sources/west', { name: 'West', active: 'yes', phone: '1' });
    const paths = problem(badBody, 400, 'VALIDATION_FAILED').errors!.map((e: { path: string }) => e.path);
    expect([...new Set(paths)].sort()).toEqual(['/active', '/phone']);
    expect(await h.sql('select code from inventory_sources where code = ?', ['west'])).toEqual([]);
  });
});

describe('inventory items', () => {
  it('refuses stock at an unknown source with 422 UNKNOWN_SOURCE and writes nothing', async () => {
    const res = await h.put('/v1/inventory/items/GHOST-1', { sources: { main: 5, nowhere: 3 } });
    const body = problem(res, 422, 'UNKNOWN_SOURCE');
    expect(body.sources).toEqual(['nowhere']);
    expect(await h.sql('select sku from inventory_items where sku = ?', ['GHOST-1'])).toEqual([]);
    expect(await h.sql('select sku from stock where sku = ?', ['GHOST-1'])).toEqual([]);
    problem(await h.get('/v1/inventory/items/GHOST-1'), 404, 'NOT_FOUND');
  });

  it('answers 404 NOT_FOUND for a SKU inventory does not know', async () => {
    problem(await h.get('/v1/inventory/items/NEVER-SEEN'), 404, 'NOT_FOUND');
  });

  it('refuses a negative or fractional on-hand quantity with every path', async () => {
    const res = await h.put('/v1/inventory/items/BAD-QTY', { sources: { main: -1, north: 1.5 } });
    const paths = problem(res, 400, 'VALIDATION_FAILED').errors!.map((e: { path: string }) => e.path);
    expect([...new Set(paths)].sort()).toEqual(['/sources/main', '/sources/north']);
    expect(await h.sql('select sku from inventory_items where sku = ?', ['BAD-QTY'])).toEqual([]);
  });

  it('replaces the per-source map: a source left out holds none afterwards', async () => {
    expect((await h.put('/v1/inventory/sources/south', { name: 'South' })).statusCode).toBe(201);
    const first = await h.put('/v1/inventory/items/MUG', { sources: { main: 5, south: 3 } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      sku: 'MUG',
      sources: [
        { code: 'main', onHand: 5, active: true },
        { code: 'south', onHand: 3, active: true },
      ],
      reserved: 0,
      salable: 8,
    });

    const second = await h.put('/v1/inventory/items/MUG', { sources: { south: 4 } });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ sku: 'MUG', sources: [{ code: 'south', onHand: 4, active: true }], reserved: 0, salable: 4 });
    expect(await stock(h, 'MUG')).toEqual(second.json());
    expect(await h.sql('select source_code, on_hand from stock where sku = ? order by source_code', ['MUG'])).toEqual([
      { source_code: 'south', on_hand: 4 },
    ]);

    const none = await h.put('/v1/inventory/items/MUG', { sources: {} });
    expect(none.json()).toEqual({ sku: 'MUG', sources: [], reserved: 0, salable: 0 });
    expect(await h.sql('select source_code from stock where sku = ?', ['MUG'])).toEqual([]);
  });

  it('does not count stock at an inactive source as salable', async () => {
    expect((await h.put('/v1/inventory/sources/closed', { name: 'Closed store', active: false })).statusCode).toBe(201);
    await h.put('/v1/inventory/items/LAMP', { sources: { main: 2, closed: 5 } });
    expect(await stock(h, 'LAMP')).toEqual({
      sku: 'LAMP',
      sources: [
        { code: 'closed', onHand: 5, active: false },
        { code: 'main', onHand: 2, active: true },
      ],
      reserved: 0,
      salable: 2,
    });

    const short = await placeAndWait(h, 'LAMP', 3);
    expect(problem(short, 422, 'OUT_OF_STOCK').action.error.details).toEqual({
      skus: [{ sku: 'LAMP', requested: 3, salable: 2 }],
    });
    expect((await placeAndWait(h, 'LAMP', 2)).statusCode).toBe(201);
    expect(await stock(h, 'LAMP')).toMatchObject({ reserved: 2, salable: 0 });

    // Reopening the source makes its stock salable again.
    await h.put('/v1/inventory/sources/closed', { name: 'Closed store', active: true });
    expect(await stock(h, 'LAMP')).toMatchObject({ reserved: 2, salable: 5 });
  });

  it('reserves placed quantities and lowers salable by them', async () => {
    await h.put('/v1/inventory/items/CHAIR', { sources: { main: 10 } });
    const a = await placeAndWait(h, 'CHAIR', 2);
    const b = await placeAndWait(h, 'CHAIR', 3);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(await stock(h, 'CHAIR')).toEqual({
      sku: 'CHAIR',
      sources: [{ code: 'main', onHand: 10, active: true }],
      reserved: 5,
      salable: 5,
    });
    const rows = await h.sql<{ order_id: string; qty: number }>(
      'select order_id, qty from reservations where sku = ? order by qty',
      ['CHAIR'],
    );
    expect(rows).toEqual([
      { order_id: a.json().orderId, qty: 2 },
      { order_id: b.json().orderId, qty: 3 },
    ]);
    // Changing on hand keeps the reservations: salable follows.
    const changed = await h.put('/v1/inventory/items/CHAIR', { sources: { main: 6 } });
    expect(changed.json()).toMatchObject({ reserved: 5, salable: 1 });
  });

  it('does not manage stock of a SKU inventory does not know', async () => {
    const res = await placeAndWait(h, 'UNMANAGED-1', 50);
    expect(res.statusCode).toBe(201);
    expect(await h.sql('select * from reservations where order_id = ?', [res.json().orderId])).toEqual([]);
    problem(await h.get('/v1/inventory/items/UNMANAGED-1'), 404, 'NOT_FOUND');
  });

  it('sells the last 3 units exactly once when 12 single-unit orders race for them', async () => {
    await h.put('/v1/inventory/items/LAST', { sources: { main: 3 } });
    const accepted = await Promise.all(
      Array.from({ length: 12 }, () =>
        h.post('/v1/orders', singleLineOrder('LAST', 1), { key: 'storefront', idempotencyKey: newKey() }),
      ),
    );
    for (const res of accepted) expect(res.statusCode).toBe(202);
    const ids = accepted.map((res) => res.json().action.id as string);
    expect(new Set(ids).size).toBe(12);

    const outcomes = await Promise.all(
      ids.map(async (id) => (await h.get(`/v1/actions/${id}`, { key: 'storefront', prefer: 'wait=20' })).json()),
    );
    const succeeded = outcomes.filter((a) => a.status === 'succeeded');
    const rejected = outcomes.filter((a) => a.status === 'rejected');
    expect(succeeded).toHaveLength(3);
    expect(rejected).toHaveLength(9);
    for (const action of rejected) {
      expect(action.error.code).toBe('OUT_OF_STOCK');
      expect(action.error.details).toEqual({ skus: [{ sku: 'LAST', requested: 1, salable: 0 }] });
    }
    expect(await stock(h, 'LAST')).toEqual({
      sku: 'LAST',
      sources: [{ code: 'main', onHand: 3, active: true }],
      reserved: 3,
      salable: 0,
    });
    const orders = await h.sql<{ id: string }>(
      `select o.id from orders o join order_lines l on l.order_id = o.id where l.sku = 'LAST' order by o.id`,
    );
    expect(orders.map((o) => o.id)).toEqual(succeeded.map((a) => a.orderId as string).sort());
    const [reservations] = await h.sql<{ sum: number }>(`select sum(qty)::int as sum from reservations where sku = 'LAST'`);
    expect(reservations!.sum).toBe(3);
  });
});

describe('backorders', () => {
  it('accepts orders beyond stock when BACKORDERS=true, and salable goes negative', async () => {
    await backorders.put('/v1/inventory/items/PREORDER', { sources: { main: 1 } });
    const first = await placeAndWait(backorders, 'PREORDER', 3);
    expect(first.statusCode).toBe(201);
    const second = await placeAndWait(backorders, 'PREORDER', 2);
    expect(second.statusCode).toBe(201);
    expect(await stock(backorders, 'PREORDER')).toEqual({
      sku: 'PREORDER',
      sources: [{ code: 'main', onHand: 1, active: true }],
      reserved: 5,
      salable: -4,
    });
    expect(
      await backorders.sql('select qty from reservations where sku = ? order by qty', ['PREORDER']),
    ).toEqual([{ qty: 2 }, { qty: 3 }]);
  });
});
