import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { problem } from '../support/http.js';

/**
 * Tenant scoping: a storefront key sees and acts on only the orders it placed, and reads only the actions it
 * recorded; anything else is 404, exactly like an id that was never used. Admin keys see everything.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function place(key: 'storefront' | 'otherStorefront', externalId: string, idempotencyKey = newKey()) {
  const res = await h.post('/v1/orders', orderBody({ externalId }), { key, idempotencyKey, prefer: 'wait=15' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ orderId: string; action: { id: string } }>();
}

it("another shop's storefront key can neither read an order, nor its action, nor cancel it: 404 as if unknown", async () => {
  const { orderId, action } = await place('storefront', 'tenant-1');
  const unknown = '0193a000-0000-7000-8000-0000000000aa';

  const foreign = await h.get(`/v1/orders/${orderId}`, { key: 'otherStorefront' });
  const never = await h.get(`/v1/orders/${unknown}`, { key: 'otherStorefront' });
  expect(problem(foreign, 404, 'NOT_FOUND').detail).toBe(problem(never, 404, 'NOT_FOUND').detail!.replace(unknown, orderId));
  expect(foreign.body).not.toContain('ada@example.com');
  problem(await h.get(`/v1/actions/${action.id}`, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
  problem(await h.post(`/v1/orders/${orderId}/cancel`, { reason: 'not yours' }, { key: 'otherStorefront' }), 404, 'NOT_FOUND');

  expect(await h.sql('select type, actor_name from actions where order_id = ? order by seq', [orderId])).toEqual([
    { type: 'order.place', actor_name: 'shop' },
  ]);
  expect((await h.get(`/v1/orders/${orderId}`, { key: 'storefront' })).json()).toMatchObject({ id: orderId, status: 'pending' });
  expect((await h.get(`/v1/orders/${orderId}`, { key: 'admin' })).json()).toMatchObject({ id: orderId, status: 'pending' });
  expect((await h.get(`/v1/actions/${action.id}`, { key: 'admin' })).json()).toMatchObject({ id: action.id, status: 'succeeded' });
});

it('each storefront reads and cancels its own orders; the same Idempotency-Key of two keys makes two actions', async () => {
  const key = newKey();
  const mine = await place('storefront', 'tenant-2', key);
  const theirs = await place('otherStorefront', 'tenant-3', key);
  expect(theirs.action.id).not.toBe(mine.action.id);
  expect(theirs.orderId).not.toBe(mine.orderId);
  expect(await h.sql('select placed_by from orders where id = ?', [theirs.orderId])).toEqual([{ placed_by: 'shop2' }]);

  expect((await h.get(`/v1/orders/${theirs.orderId}`, { key: 'otherStorefront' })).json()).toMatchObject({ externalId: 'tenant-3' });
  problem(await h.get(`/v1/orders/${theirs.orderId}`, { key: 'storefront' }), 404, 'NOT_FOUND');
  const canceled = await h.post(`/v1/orders/${theirs.orderId}/cancel`, { reason: 'changed mind' }, {
    key: 'otherStorefront',
    idempotencyKey: newKey(),
    prefer: 'wait=15',
  });
  expect(canceled.statusCode, canceled.body).toBe(201);
  expect((await h.get(`/v1/orders/${theirs.orderId}`, { key: 'otherStorefront' })).json()).toMatchObject({ status: 'canceled' });
  expect((await h.get(`/v1/orders/${mine.orderId}`, { key: 'storefront' })).json()).toMatchObject({ status: 'pending' });
});

it('an order not placed yet is 404 for another storefront without naming its placement', async () => {
  await h.stopWorkers();
  try {
    const res = await h.post('/v1/orders', orderBody({ externalId: 'tenant-4' }), { key: 'storefront', idempotencyKey: newKey() });
    expect(res.statusCode).toBe(202);
    const { orderId, action } = res.json<{ orderId: string; action: { id: string } }>();
    const own = problem(await h.get(`/v1/orders/${orderId}`, { key: 'storefront' }), 404, 'NOT_FOUND');
    expect(own.actionId).toBe(action.id);
    const foreign = problem(await h.get(`/v1/orders/${orderId}`, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
    expect(foreign.actionId).toBeUndefined();
    expect(JSON.stringify(foreign)).not.toContain(action.id);
    problem(await h.post(`/v1/orders/${orderId}/cancel`, {}, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
  } finally {
    await h.startWorkers();
  }
});
