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
  const placed = await h.post('/v1/orders', singleLineOrder('INV-CHECK', 3), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
  const { orderId } = placed.json();
  expect((await h.post(`/v1/orders/${orderId}/invoices`, {}, { prefer: 'wait=10' })).statusCode).toBe(201);
  expect(await checkInvariants(h.sql)).toEqual([]);

  // A counter that disagrees with the documents, and money refunded that never came in.
  await h.sql('update order_lines set qty_invoiced = 2 where order_id = ?', [orderId]);
  await h.sql(`insert into refunds (id, order_id, number, sub_total, shipping_amount, shipping_tax, tax, discount,
      adjustment_refund, adjustment_fee, grand_total, payment_status, created_at, updated_at)
    values (gen_random_uuid(), ?, 'RFD-000007', 0, 0, 0, 0, 0, 999999, 0, 999999, 'pending', now(), now())`, [orderId]);
  const violations = await checkInvariants(h.sql);
  expect(violations.map((v) => v.slice(0, v.indexOf(':')))).toEqual([
    'line counters equal their documents',
    'refunded money within paid money',
    'refund numbers gapless',
  ]);
});
