import { afterAll, beforeAll, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { checkInvariants } from '../support/invariants.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

it('the invariant checker finds a sound database sound, and names what a corruption breaks', async () => {
  await h.put('/v1/inventory/sources/main', { name: 'Main' });
  await h.put('/v1/inventory/items/INV-CHECK', { sources: { main: 10 } });
  const initialStock = { 'INV-CHECK': { main: 10 } };
  const placed = await h.post('/v1/orders', singleLineOrder('INV-CHECK', 3), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
  const { orderId } = placed.json();
  const [line] = await h.sql<{ id: string }>('select id from order_lines where order_id = ?', [orderId]);
  expect((await h.post(`/v1/orders/${orderId}/invoices`, {}, { prefer: 'wait=10' })).statusCode).toBe(201);
  const shipment = { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z', items: [{ itemId: line!.id, qty: 2 }] };
  expect((await h.post(`/v1/orders/${orderId}/shipments`, shipment, { prefer: 'wait=10' })).statusCode).toBe(201);
  expect(await checkInvariants(h.sql, { initialStock })).toEqual([]);
  expect((await h.sql('select on_hand from stock')).map((row) => Number(row.on_hand))).toEqual([8]);
  const refund = { items: [{ itemId: line!.id, qty: 3, returnToStock: true }] };
  expect((await h.post(`/v1/orders/${orderId}/refunds`, refund, { prefer: 'wait=10' })).statusCode).toBe(201);
  expect((await h.sql('select on_hand from stock')).map((row) => Number(row.on_hand))).toEqual([10]);
  expect(await checkInvariants(h.sql, { initialStock })).toEqual([]);

  // A counter that disagrees with the documents, and money refunded that never came in.
  await h.sql('update order_lines set qty_shipped = 1 where order_id = ?', [orderId]);
  await h.sql(`insert into refunds (id, order_id, number, sub_total, shipping_amount, shipping_tax, tax, discount,
      adjustment_refund, adjustment_fee, grand_total, payment_status, created_at, updated_at)
    values (gen_random_uuid(), ?, 'RFD-000009', 0, 0, 0, 0, 0, 999999, 0, 999999, 'pending', now(), now())`, [orderId]);
  // And a unit that appeared on the shelf from nowhere.
  await h.sql(`update stock set on_hand = on_hand + 1 where sku = 'INV-CHECK'`);
  const violations = await checkInvariants(h.sql, { initialStock });
  expect(violations.map((v) => v.slice(0, v.indexOf(':')))).toEqual([
    'line counters equal their documents',
    'refunded money within paid money',
    'refund numbers gapless',
    'stock = initial - shipped + restocked',
  ]);
});
