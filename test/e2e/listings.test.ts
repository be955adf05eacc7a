import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { problem } from '../support/http.js';
import { eventually } from '../support/wait.js';

/**
 * The lists an operator works from (the console reads them): orders found by number, external id or e-mail,
 * inventory sources and stock per SKU, and unfinished actions with the queue of their job.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { JOB_ATTEMPTS: '1' } });
});
afterAll(() => h?.close());

const invalidPaths = (res: LightMyRequestResponse) =>
  [...new Set(problem(res, 400, 'VALIDATION_FAILED').errors!.map((e: { path: string }) => e.path))].sort();

async function place(body: Record<string, unknown>): Promise<{ id: string; number: string }> {
  const res = await h.post('/v1/orders', body, { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
  expect(res.statusCode, res.body).toBe(201);
  return (await h.get(`/v1/orders/${res.json().orderId}`)).json();
}

describe('GET /v1/orders: number, externalId and q', () => {
  const orders: { id: string; number: string }[] = [];
  const list = async (query: Record<string, string>) => {
    const res = await h.get(`/v1/orders?${new URLSearchParams(query).toString()}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: { id: string; number: string }[] }>().items.map((item) => item.number);
  };

  beforeAll(async () => {
    const customer = (email: string) => ({ email, firstName: 'Grace', lastName: 'Hopper' });
    orders.push(await place(orderBody({ externalId: 'shop-7', customer: customer('grace@example.com') })));
    orders.push(await place(orderBody({ externalId: 'shop-8', customer: customer('Grace@Example.com') })));
    // An external id that looks like another order's number: q finds both, number= only the real one.
    orders.push(await place(orderBody({ externalId: orders[0]!.number, customer: customer('linus@example.com') })));
  });

  it('finds an order by its number or its external id, exactly', async () => {
    expect(await list({ number: orders[1]!.number })).toEqual([orders[1]!.number]);
    expect(await list({ externalId: 'shop-7' })).toEqual([orders[0]!.number]);
    expect(await list({ externalId: 'shop-' })).toEqual([]);
    expect(await list({ number: orders[1]!.number.slice(0, -1) })).toEqual([]);
  });

  it('q matches the number, the external id or the e-mail (any case), newest first', async () => {
    expect(await list({ q: orders[0]!.number })).toEqual([orders[2]!.number, orders[0]!.number]);
    expect(await list({ q: 'shop-8' })).toEqual([orders[1]!.number]);
    expect(await list({ q: 'GRACE@example.COM' })).toEqual([orders[1]!.number, orders[0]!.number]);
    expect(await list({ q: 'grace' })).toEqual([]);
  });

  it('q combines with the other filters and pages with the cursor', async () => {
    expect(await list({ q: 'grace@example.com', externalId: 'shop-7' })).toEqual([orders[0]!.number]);
    expect(await list({ q: 'grace@example.com', status: 'canceled' })).toEqual([]);
    const first = await h.get('/v1/orders?q=grace%40example.com&limit=1');
    const { items, nextCursor } = first.json<{ items: { number: string }[]; nextCursor: string }>();
    expect(items.map((item) => item.number)).toEqual([orders[1]!.number]);
    expect(await list({ q: 'grace@example.com', limit: '1', cursor: nextCursor })).toEqual([orders[0]!.number]);
  });

  it('answers 400 for empty or oversized search terms', async () => {
    const res = await h.get(`/v1/orders?q=&number=&externalId=${'x'.repeat(201)}`);
    expect(invalidPaths(res)).toEqual(['/query/externalId', '/query/number', '/query/q']);
  });
});

describe('GET /v1/inventory/sources and /v1/inventory/items', () => {
  beforeAll(async () => {
    expect((await h.put('/v1/inventory/sources/west', { name: 'West depot', active: false })).statusCode).toBe(201);
    expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse', contactEmail: 'wh@example.com' })).statusCode).toBe(201);
    for (const [sku, sources] of [
      ['LIST-B', { main: 4, west: 2 }],
      ['LIST-A', { main: 3 }],
      ['LIST-C', {}],
    ] as const) {
      expect((await h.put(`/v1/inventory/items/${sku}`, { sources })).statusCode).toBe(200);
    }
    await place(singleLineOrder('LIST-B', 3));
  });

  it('lists every source by code', async () => {
    const res = await h.get('/v1/inventory/sources');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        { code: 'main', name: 'Main warehouse', contactEmail: 'wh@example.com', active: true },
        { code: 'west', name: 'West depot', contactEmail: null, active: false },
      ],
    });
  });

  it('lists the stock of every managed SKU in SKU order, paged', async () => {
    const first = await h.get('/v1/inventory/items?limit=2');
    expect(first.statusCode).toBe(200);
    const page = first.json<{ items: unknown[]; nextCursor: string }>();
    expect(page.items).toEqual([
      { sku: 'LIST-A', sources: [{ code: 'main', onHand: 3, active: true }], reserved: 0, salable: 3 },
      {
        sku: 'LIST-B',
        sources: [
          { code: 'main', onHand: 4, active: true },
          { code: 'west', onHand: 2, active: false },
        ],
        reserved: 3,
        salable: 1,
      },
    ]);
    const second = await h.get(`/v1/inventory/items?limit=2&cursor=${page.nextCursor}`);
    expect(second.json()).toEqual({ items: [{ sku: 'LIST-C', sources: [], reserved: 0, salable: 0 }], nextCursor: null });
  });

  it('answers 400 for a cursor it did not issue and for a bad limit', async () => {
    expect(invalidPaths(await h.get('/v1/inventory/items?cursor=e30'))).toEqual(['/query/cursor']);
    expect(invalidPaths(await h.get('/v1/inventory/items?limit=101&sort=sku'))).toEqual(['/query/limit', '/query/sort']);
  });
});

describe('GET /v1/actions: unfinished actions', () => {
  let healthy: { id: string; number: string };
  let failedId: string;

  beforeAll(async () => {
    healthy = await place(orderBody({ externalId: 'actions-ok' }));
    const broken = await place(orderBody({ externalId: 'actions-broken' }));
    // A fault in PostgreSQL makes the invoice fail for good (one attempt).
    await h.sql(`create function refuse_invoices() returns trigger language plpgsql as $$
      begin raise exception 'invoices table is read-only (simulated)'; end $$`);
    await h.sql('create trigger refuse_invoices before insert on invoices for each row execute function refuse_invoices()');
    failedId = (await h.post(`/v1/orders/${broken.id}/invoices`, {})).json().action.id;
    await eventually('the invoice to fail', async () => (await h.get(`/v1/actions/${failedId}`)).json().status === 'failed');
    await h.sql('drop trigger refuse_invoices on invoices');
  });

  it('lists a failed action with its error, attempts, queue and order number', async () => {
    const res = await h.get('/v1/actions?status=failed');
    expect(res.statusCode).toBe(200);
    const { items, nextCursor } = res.json();
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(1);
    const broken = (await h.get(`/v1/orders?externalId=actions-broken`)).json().items[0];
    expect(items[0]).toMatchObject({
      id: failedId,
      type: 'invoice.create',
      orderId: broken.id,
      orderNumber: broken.number,
      queue: 'invoices',
      status: 'failed',
      attempts: 1,
      error: { code: 'INFRASTRUCTURE_FAILURE', message: expect.stringContaining('invoices table is read-only') },
    });
  });

  it('lists queued actions newest first, by order, paged; a failed placement has no order number', async () => {
    await h.stopWorkers();
    try {
      const comment = (text: string) => h.post(`/v1/orders/${healthy.id}/comments`, { comment: text });
      const ids = [(await comment('first')).json().action.id, (await comment('second')).json().action.id];
      const placement = (await h.post('/v1/orders', singleLineOrder('QUEUED-1'), { key: 'storefront', idempotencyKey: newKey() })).json();

      const all = (await h.get('/v1/actions')).json();
      expect(all.items.map((a: { id: string }) => a.id)).toEqual([placement.action.id, ids[1], ids[0], failedId]);
      expect(all.items[0]).toMatchObject({ type: 'order.place', queue: 'orders', orderNumber: null, status: 'queued' });

      const mine = (await h.get(`/v1/actions?orderId=${healthy.id}&status=queued&limit=1`)).json();
      expect(mine.items).toMatchObject([{ id: ids[1], type: 'order.comment', queue: 'orders', orderNumber: healthy.number }]);
      const next = (await h.get(`/v1/actions?orderId=${healthy.id}&status=queued&limit=1&cursor=${mine.nextCursor}`)).json();
      expect(next).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    } finally {
      await h.startWorkers();
    }
  });

  it('answers 400 for a finished status, a bad order id or a foreign cursor', async () => {
    const res = await h.get('/v1/actions?status=succeeded&orderId=nope&cursor=e30');
    expect(invalidPaths(res)).toEqual(['/query/orderId', '/query/status']);
    expect(invalidPaths(await h.get('/v1/actions?cursor=e30'))).toEqual(['/query/cursor']);
  });

  it('is for admin keys', async () => {
    problem(await h.get('/v1/actions?status=failed', { key: 'storefront' }), 403, 'FORBIDDEN');
  });
});
