import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { harnessEnv, OrderflowProcess } from '../support/processes.js';
import { checkInvariants } from '../support/invariants.js';

/** Two worker processes: the harness's own, and one more started like on another machine. */
let h: Harness;
let second: OrderflowProcess;
beforeAll(async () => {
  h = await startHarness();
  second = await OrderflowProcess.start('workers/all.ts', harnessEnv(h.config));
  await h.put('/v1/inventory/sources/main', { name: 'Main' });
});
afterAll(async () => {
  expect(await second.stop()).toBe(0);
  await h.close();
});

afterEach(async () => {
  expect(await checkInvariants(h.sql)).toEqual([]);
});

async function placeAndWait(sku: string, qty: number): Promise<{ orderId: string; itemId: string }> {
  const placed = await h.post('/v1/orders', singleLineOrder(sku, qty), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=20' });
  expect(placed.statusCode).toBe(201);
  const orderId: string = placed.json().orderId;
  const order = (await h.get(`/v1/orders/${orderId}`)).json();
  return { orderId, itemId: order.items[0].id };
}

/** Posts all requests at once, then waits for every action to end; returns the final actions. */
async function burst(requests: { path: string; body: unknown }[]) {
  const accepted = await Promise.all(requests.map((r) => h.post(r.path, r.body, { idempotencyKey: newKey() })));
  expect(accepted.map((a) => a.statusCode).every((s) => s === 202)).toBe(true);
  return Promise.all(
    accepted.map(async (a) => (await h.get(`/v1/actions/${a.json().action.id}`, { prefer: 'wait=30' })).json()),
  );
}

const count = (actions: { status: string }[], status: string) => actions.filter((a) => a.status === status).length;

describe('with two worker processes', () => {
  it('two storefronts asking to return the last returnable unit at once: exactly one return is made', async () => {
    await h.put('/v1/inventory/items/RET-SKU', { sources: { main: 10 } });
    const { orderId, itemId } = await placeAndWait('RET-SKU', 2);
    expect((await h.post(`/v1/orders/${orderId}/invoices`, {}, { prefer: 'wait=20' })).statusCode).toBe(201);
    const shipped = await h.post(`/v1/orders/${orderId}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z' }, {
      prefer: 'wait=20',
    });
    expect(shipped.statusCode).toBe(201);
    // One of the two shipped units is in a return already: one unit is left to return.
    const first = await h.post(`/v1/orders/${orderId}/returns`, { items: [{ itemId, qty: 1, reason: 'did_not_fit' }] }, { key: 'storefront', prefer: 'wait=20' });
    expect(first.statusCode).toBe(201);

    const asked = await Promise.all(
      Array.from({ length: 2 }, () =>
        h.post(`/v1/orders/${orderId}/returns`, { items: [{ itemId, qty: 1, reason: 'changed_mind' }] }, { key: 'storefront', idempotencyKey: newKey() }),
      ),
    );
    const actions = await Promise.all(asked.map(async (a) => (await h.get(`/v1/actions/${a.json().action.id}`, { prefer: 'wait=30' })).json()));
    expect(actions.map((a) => a.status).sort()).toEqual(['rejected', 'succeeded']);
    expect(actions.find((a) => a.status === 'rejected').error.code).toBe('RETURN_NOT_ALLOWED');
    expect(await h.sql('select count(*)::int as n from returns where order_id = ?', [orderId])).toEqual([{ n: 2 }]);
    expect((await h.get(`/v1/orders/${orderId}`)).json().items[0].qtyToReturn).toBe(0);
  });

  it('50 concurrent one-unit refunds on an order with 5 refundable units: exactly 5 succeed, refunding exactly 5 units', async () => {
    await h.put('/v1/inventory/items/R-SKU', { sources: { main: 100 } });
    const { orderId, itemId } = await placeAndWait('R-SKU', 5);
    expect((await h.post(`/v1/orders/${orderId}/invoices`, {}, { prefer: 'wait=20' })).statusCode).toBe(201);

    const actions = await burst(Array.from({ length: 50 }, () => ({ path: `/v1/orders/${orderId}/refunds`, body: { items: [{ itemId, qty: 1 }] } })));

    expect(count(actions, 'succeeded')).toBe(5);
    expect(count(actions, 'rejected')).toBe(45);
    const order = (await h.get(`/v1/orders/${orderId}`)).json();
    expect(order.totals).toMatchObject({ paid: 5000, refunded: 5000, refundable: 0 });
    expect(order.items[0]).toMatchObject({ qtyRefunded: 5, qtyToRefund: 0 });
    expect(order.status).toBe('closed');
    const numbers = await h.sql<{ number: string }>('select number from refunds where order_id = ? order by number', [orderId]);
    expect(numbers.map((n) => n.number)).toEqual(['RFD-000001', 'RFD-000002', 'RFD-000003', 'RFD-000004', 'RFD-000005']);
  });

  it('50 concurrent one-unit invoices on an order of 5 units: exactly 5 succeed with gapless numbers', async () => {
    const { orderId, itemId } = await placeAndWait('I-SKU', 5);
    const before = await h.sql<{ n: number }>('select count(*)::int as n from invoices');

    const actions = await burst(Array.from({ length: 50 }, () => ({ path: `/v1/orders/${orderId}/invoices`, body: { items: [{ itemId, qty: 1 }] } })));

    expect(count(actions, 'succeeded')).toBe(5);
    expect(actions.filter((a) => a.status === 'rejected').map((a) => a.error.code)).toEqual(Array(45).fill('INVOICE_NOT_ALLOWED'));
    const order = (await h.get(`/v1/orders/${orderId}`)).json();
    expect(order.items[0]).toMatchObject({ qtyInvoiced: 5, qtyToInvoice: 0 });
    expect(order.totals).toMatchObject({ invoiced: 5000, paid: 5000 });
    const numbers = (await h.sql<{ number: string }>('select number from invoices order by number')).map((n) => n.number);
    expect(numbers).toHaveLength(before[0]!.n + 5);
    expect(numbers).toEqual(numbers.map((_, i) => `INV-${String(i + 1).padStart(6, '0')}`));
  });

  it('concurrent shipments on two orders never drive stock negative: only what is on hand ships', async () => {
    await h.put('/v1/inventory/items/S-SKU', { sources: { main: 10 } });
    const first = await placeAndWait('S-SKU', 5);
    const second = await placeAndWait('S-SKU', 5);
    await h.put('/v1/inventory/items/S-SKU', { sources: { main: 3 } }); // stock counted lower than reserved

    const ship = (o: { orderId: string; itemId: string }) => ({
      path: `/v1/orders/${o.orderId}/shipments`,
      body: { source: 'main', carrier: { code: 'dhl', title: 'DHL' }, trackingNumber: 'T', items: [{ itemId: o.itemId, qty: 1 }] },
    });
    const actions = await burst(Array.from({ length: 40 }, (_, i) => ship(i % 2 ? first : second)));

    expect(count(actions, 'succeeded')).toBe(3);
    expect(new Set(actions.filter((a) => a.status === 'rejected').map((a) => a.error.code))).toEqual(new Set(['INSUFFICIENT_STOCK', 'SHIPMENT_NOT_ALLOWED'].slice(0, 1)));
    expect((await h.get('/v1/inventory/items/S-SKU')).json()).toEqual({
      sku: 'S-SKU',
      sources: [{ code: 'main', onHand: 0, active: true }],
      reserved: 7,
      salable: -7,
    });
    const shipped = await h.sql<{ n: number }>(
      `select coalesce(sum(qty_shipped), 0)::int as n from order_lines where order_id in (?, ?)`,
      [first.orderId, second.orderId],
    );
    expect(shipped).toEqual([{ n: 3 }]);
  });
});
