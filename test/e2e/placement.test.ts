import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' });
  await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 10 } });
});
afterAll(() => h.close());

describe('placing an order', () => {
  it('is accepted, applied by a worker, and readable with exact totals, number and reserved stock', async () => {
    const accepted = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: newKey() });
    expect(accepted.statusCode).toBe(202);
    const { orderId, action } = accepted.json();
    expect(accepted.headers.location).toBe(`/v1/actions/${action.id}`);
    expect(action).toMatchObject({ type: 'order.place', orderId, status: 'queued', attempts: 0 });

    const done = await h.get(`/v1/actions/${action.id}`, { key: 'storefront', prefer: 'wait=10' });
    expect(done.json()).toMatchObject({ status: 'succeeded', result: { orderId }, error: null, attempts: 1 });

    const order = (await h.get(`/v1/orders/${orderId}`, { key: 'storefront' })).json();
    expect(order).toMatchObject({
      id: orderId,
      number: '100000001',
      status: 'pending',
      currency: 'USD',
      totals: { subTotal: 4997, shipping: 500, tax: 500, discount: 0, grandTotal: 5997, invoiced: 0, paid: 0 },
    });
    expect(order.items.map((i: { sku: string; qtyToShip: number; rowTotal: number }) => [i.sku, i.qtyToShip, i.rowTotal])).toEqual([
      ['TSHIRT-M', 2, 3998],
      ['EBOOK-1', 0, 999],
    ]);
    const stock = (await h.get('/v1/inventory/items/TSHIRT-M')).json();
    expect(stock).toEqual({ sku: 'TSHIRT-M', sources: [{ code: 'main', onHand: 10, active: true }], reserved: 2, salable: 8 });
  });
});
