import { randomUUID } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, databaseUrl, dropDatabase, SERVER_URL } from '../support/databases.js';
import { orderBody, singleLineOrder } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { problem, type ProblemBody } from '../support/http.js';

/**
 * SPEC §4: authentication, problem+json errors, validation, idempotency, Prefer: wait, listing.
 *
 * Three applications: `h` with workers (accepted writes are applied), `strict` without workers and with a 2 KiB
 * body limit that is only ever sent requests it must refuse (so its `actions` table must stay empty), and `idle`
 * without workers for a queued answer and a PostgreSQL outage.
 */
let h: Harness;
let strict: Harness;
let idle: Harness;

beforeAll(async () => {
  [h, strict, idle] = await Promise.all([
    startHarness(),
    startHarness({ workers: false, env: { BODY_LIMIT_BYTES: '2048' } }),
    startHarness({ workers: false }),
  ]);
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 1000 } })).statusCode).toBe(200);
  expect((await h.put('/v1/inventory/items/SCARCE', { sources: { main: 1 } })).statusCode).toBe(200);
});
afterAll(async () => {
  await Promise.all([h?.close(), strict?.close(), idle?.close()]);
});

/** The distinct offending paths of a 400 VALIDATION_FAILED, sorted. */
function invalidPaths(res: LightMyRequestResponse): string[] {
  const body = problem(res, 400, 'VALIDATION_FAILED');
  expect(Array.isArray(body.errors)).toBe(true);
  for (const error of body.errors!) expect(error.message.length).toBeGreaterThan(0);
  return [...new Set(body.errors!.map((error) => error.path))].sort();
}

const countActions = async (harness: Harness) =>
  Number((await harness.sql<{ count: string }>('select count(*) as count from actions'))[0]!.count);

/** After a refused request nothing was recorded: the refusing application has never accepted anything. */
async function expectNothingWritten() {
  expect(await countActions(strict)).toBe(0);
  expect(await strict.sql('select * from orders')).toEqual([]);
  expect(await strict.sql('select * from inventory_sources')).toEqual([]);
  expect(await strict.sql('select * from inventory_items')).toEqual([]);
}

const place = (harness: Harness, body: unknown, options: { key?: 'storefront' | 'admin'; prefer?: string } = {}) =>
  harness.post('/v1/orders', body, { key: options.key ?? 'storefront', idempotencyKey: newKey(), prefer: options.prefer });

const withoutShippingAddress = () => {
  const { shippingAddress: _omitted, ...body } = orderBody();
  return body;
};

describe('authentication and roles', () => {
  const unknownOrder = randomUUID();

  it.each([
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer not-a-key-of-this-deployment' }],
    ['the right secret with the wrong scheme', { authorization: `Basic ${KEYS.admin}` }],
    ['a key with one character changed', { authorization: `Bearer ${KEYS.admin.slice(0, -1)}x` }],
  ])('answers 401 UNAUTHENTICATED with WWW-Authenticate to %s', async (_name, headers) => {
    for (const res of [
      await strict.post('/v1/orders', orderBody(), { key: null, idempotencyKey: newKey(), headers }),
      await strict.get(`/v1/orders/${unknownOrder}`, { key: null, headers }),
      await strict.get('/v1/orders', { key: null, headers }),
      await strict.put('/v1/inventory/sources/main', { name: 'Main' }, { key: null, headers }),
    ]) {
      problem(res, 401, 'UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    await expectNothingWritten();
  });

  it('answers 403 FORBIDDEN to a storefront key on every admin route', async () => {
    const opts = { key: 'storefront' as const };
    const responses = [
      await strict.get('/v1/orders', opts),
      await strict.get(`/v1/orders/${unknownOrder}/history`, opts),
      await strict.put('/v1/inventory/sources/main', { name: 'Main' }, opts),
      await strict.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 1 } }, opts),
      await strict.get('/v1/inventory/items/TSHIRT-M', opts),
      await strict.post(`/v1/orders/${unknownOrder}/hold`, { reason: 'fraud check' }, opts),
      await strict.post(`/v1/orders/${unknownOrder}/unhold`, {}, opts),
      await strict.post(`/v1/orders/${unknownOrder}/comments`, { comment: 'hello' }, opts),
    ];
    for (const res of responses) problem(res, 403, 'FORBIDDEN');
    await expectNothingWritten();
  });

  it('lets an admin key use the storefront routes: place, read, read the action and cancel', async () => {
    const placed = await place(h, orderBody(), { key: 'admin', prefer: 'wait=10' });
    expect(placed.statusCode).toBe(201);
    const { orderId, action } = placed.json();
    expect(action).toMatchObject({ type: 'order.place', status: 'succeeded' });
    const [row] = await h.sql<{ actor_name: string; actor_role: string }>(
      'select actor_name, actor_role from actions where id = ?',
      [action.id],
    );
    expect(row).toEqual({ actor_name: 'ops', actor_role: 'admin' });

    expect((await h.get(`/v1/orders/${orderId}`, { key: 'admin' })).json()).toMatchObject({ id: orderId, status: 'pending' });
    expect((await h.get(`/v1/actions/${action.id}`, { key: 'admin' })).json()).toMatchObject({ id: action.id, status: 'succeeded' });
    const canceled = await h.post(`/v1/orders/${orderId}/cancel`, { reason: 'ops' }, { key: 'admin', prefer: 'wait=10' });
    expect(canceled.statusCode).toBe(201);
    expect((await h.get(`/v1/orders/${orderId}`, { key: 'admin' })).json()).toMatchObject({ status: 'canceled' });
  });

  it('lets a storefront key read orders and actions and cancel', async () => {
    const placed = await place(h, orderBody(), { prefer: 'wait=10' });
    expect(placed.statusCode).toBe(201);
    const { orderId, action } = placed.json();
    expect((await h.get(`/v1/orders/${orderId}`, { key: 'storefront' })).statusCode).toBe(200);
    expect((await h.get(`/v1/actions/${action.id}`, { key: 'storefront' })).statusCode).toBe(200);
    const canceled = await h.post(`/v1/orders/${orderId}/cancel`, {}, { key: 'storefront', prefer: 'wait=10' });
    expect(canceled.statusCode).toBe(201);
  });
});

describe('request bodies', () => {
  it('requires an Idempotency-Key to place an order (400 IDEMPOTENCY_KEY_REQUIRED)', async () => {
    problem(await strict.post('/v1/orders', orderBody(), { key: 'storefront' }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    await expectNothingWritten();
  });

  it('refuses an Idempotency-Key that is not 1-255 visible ASCII characters', async () => {
    const res = await strict.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: 'x'.repeat(256) });
    expect(invalidPaths(res)).toEqual(['/headers/idempotency-key']);
    await expectNothingWritten();
  });

  it('answers 400 MALFORMED_JSON to a body that is not JSON', async () => {
    const res = await strict.post('/v1/orders', '{"currency": "USD", ', {
      key: 'storefront',
      idempotencyKey: newKey(),
      headers: { 'content-type': 'application/json' },
    });
    problem(res, 400, 'MALFORMED_JSON');
    await expectNothingWritten();
  });

  it.each([
    ['a quantity sent as a string is not coerced', { qty: '2' }, '/items/0/qty'],
    ['a negative quantity', { qty: -1 }, '/items/0/qty'],
    ['a fractional quantity', { qty: 1.5 }, '/items/0/qty'],
    ['a zero quantity', { qty: 0 }, '/items/0/qty'],
    ['a negative unit price', { unitPrice: -1 }, '/items/0/unitPrice'],
    ['a unit price sent as a string', { unitPrice: '1999' }, '/items/0/unitPrice'],
    ['stockable sent as a string', { stockable: 'false' }, '/items/0/stockable'],
    ['an unknown field on a line', { color: 'red' }, '/items/0/color'],
  ])('answers 400 VALIDATION_FAILED naming the path for %s', async (_name, change, path) => {
    const body = orderBody();
    body.items[0] = { ...body.items[0]!, ...change } as (typeof body.items)[0];
    const res = await strict.post('/v1/orders', body, { key: 'storefront', idempotencyKey: newKey() });
    expect(invalidPaths(res)).toEqual([path]);
    await expectNothingWritten();
  });

  it('answers 400 VALIDATION_FAILED naming an unknown top-level field', async () => {
    const res = await place(strict, orderBody({ coupon: 'FREE' }));
    expect(invalidPaths(res)).toEqual(['/coupon']);
    expect(res.json<ProblemBody>().errors).toEqual([{ path: '/coupon', message: 'is not a known field' }]);
    await expectNothingWritten();
  });

  it('lists every offending path when many fields are wrong at once', async () => {
    const body = orderBody({
      coupon: 'FREE',
      grandTotal: '5997',
      customer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', middleName: 'King' },
      items: [
        { sku: 'A', name: 'A', qty: '2', unitPrice: 100 },
        { sku: 'B', name: 'B', qty: -1, unitPrice: 100 },
        { sku: 'C', name: 'C', qty: 1.5, unitPrice: 100 },
        { sku: 'D', name: 'D', qty: 0, unitPrice: 100 },
        { sku: 'E', name: 'E', qty: 1, unitPrice: -5 },
        { sku: 'F', name: 'F', qty: 1, unitPrice: 100, color: 'red' },
      ],
      shipping: { method: 'flatrate', title: 'Flat rate', amount: 500, insured: true },
    });
    const res = await place(strict, body);
    expect(invalidPaths(res)).toEqual(
      [
        '/coupon',
        '/grandTotal',
        '/customer/middleName',
        '/items/0/qty',
        '/items/1/qty',
        '/items/2/qty',
        '/items/3/qty',
        '/items/4/unitPrice',
        '/items/5/color',
        '/shipping/insured',
      ].sort(),
    );
    await expectNothingWritten();
  });

  it('names missing required fields', async () => {
    const { customer: _c, payment: _p, ...body } = orderBody();
    expect(invalidPaths(await place(strict, body))).toEqual(['/customer', '/payment']);
    await expectNothingWritten();
  });

  it('refuses a discount above the line total at /items/0/discountAmount', async () => {
    const body = orderBody({
      items: [{ sku: 'TSHIRT-M', name: 'T-shirt M', qty: 2, unitPrice: 1999, discountAmount: 3999 }],
      grandTotal: undefined,
    });
    const res = await place(strict, body);
    expect(invalidPaths(res)).toEqual(['/items/0/discountAmount']);
    await expectNothingWritten();
  });

  it('accepts a discount equal to the line total (the boundary)', async () => {
    const body = orderBody({
      items: [{ sku: 'GIFT', name: 'Gift', qty: 2, unitPrice: 1999, discountAmount: 3998 }],
      shipping: { method: 'flatrate', title: 'Flat rate', amount: 0 },
      grandTotal: 0,
    });
    const res = await place(h, body, { prefer: 'wait=10' });
    expect(res.statusCode).toBe(201);
  });

  it('requires a shipping address when a line is stockable (/shippingAddress)', async () => {
    expect(invalidPaths(await place(strict, withoutShippingAddress()))).toEqual(['/shippingAddress']);
    await expectNothingWritten();
  });

  it('refuses an unknown ISO 4217 currency at /currency', async () => {
    expect(invalidPaths(await place(strict, orderBody({ currency: 'XYZ' })))).toEqual(['/currency']);
    expect(invalidPaths(await place(strict, orderBody({ currency: 'usd' })))).toEqual(['/currency']);
    await expectNothingWritten();
  });

  it('answers 413 PAYLOAD_TOO_LARGE to a body over BODY_LIMIT_BYTES', async () => {
    const body = orderBody({ externalId: 'x'.repeat(100), customer: { email: 'a@b.cd', firstName: 'x'.repeat(100), lastName: 'y'.repeat(100) } });
    body.items = Array.from({ length: 20 }, (_, i) => ({ sku: `SKU-${i}`, name: 'n'.repeat(50), qty: 1, unitPrice: 1, taxAmount: 0, discountAmount: 0 }));
    expect(JSON.stringify(body).length).toBeGreaterThan(2048);
    problem(await place(strict, body), 413, 'PAYLOAD_TOO_LARGE');
    await expectNothingWritten();
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE to a text/plain body', async () => {
    const res = await strict.post('/v1/orders', JSON.stringify(orderBody()), {
      key: 'storefront',
      idempotencyKey: newKey(),
      headers: { 'content-type': 'text/plain' },
    });
    problem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectNothingWritten();
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE to an XML body', async () => {
    const res = await strict.post('/v1/orders', '<order/>', {
      key: 'storefront',
      idempotencyKey: newKey(),
      headers: { 'content-type': 'application/xml' },
    });
    problem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectNothingWritten();
  });

  it('refuses an unknown field in an order action body', async () => {
    const res = await strict.post(`/v1/orders/${randomUUID()}/cancel`, { reason: 'x', refund: true }, { key: 'storefront' });
    expect(invalidPaths(res)).toEqual(['/refund']);
    await expectNothingWritten();
  });
});

describe('idempotency', () => {
  it('returns the same action for a replay with the same key and body, and records it once', async () => {
    const key = newKey();
    const first = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: key });
    const second = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: key });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json().action.id).toBe(first.json().action.id);
    expect(second.json().orderId).toBe(first.json().orderId);
    expect(second.headers.location).toBe(`/v1/actions/${first.json().action.id}`);
    const rows = await h.sql<{ id: string }>('select id from actions where idempotency_key = ?', [key]);
    expect(rows).toEqual([{ id: first.json().action.id }]);

    // Once applied, a replay still names the same action, now succeeded; one order exists.
    await h.get(`/v1/actions/${first.json().action.id}`, { prefer: 'wait=10' });
    const later = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: key });
    expect(later.statusCode).toBe(202);
    expect(later.json().action).toMatchObject({ id: first.json().action.id, status: 'succeeded' });
    expect(await h.sql('select id from orders where id = ?', [first.json().orderId])).toHaveLength(1);
    expect(await h.sql('select id from actions where idempotency_key = ?', [key])).toHaveLength(1);
  });

  it('treats a body with the same fields in another order as the same request', async () => {
    const key = newKey();
    const body = orderBody();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const first = await h.post('/v1/orders', body, { key: 'storefront', idempotencyKey: key });
    const second = await h.post('/v1/orders', reordered, { key: 'storefront', idempotencyKey: key });
    expect(second.statusCode).toBe(202);
    expect(second.json().action.id).toBe(first.json().action.id);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED when the key comes back with a different body', async () => {
    const key = newKey();
    const first = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: key });
    expect(first.statusCode).toBe(202);
    const reused = await h.post('/v1/orders', orderBody({ externalId: 'web-2002' }), { key: 'storefront', idempotencyKey: key });
    const body = problem(reused, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(body.actionId).toBe(first.json().action.id);
    expect(await h.sql('select id from actions where idempotency_key = ?', [key])).toHaveLength(1);
  });

  it('scopes keys per actor: the admin key reusing the storefront key string is a new request', async () => {
    const key = newKey();
    const shop = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: key });
    const ops = await h.post('/v1/orders', orderBody({ externalId: 'ops-1' }), { key: 'admin', idempotencyKey: key });
    expect(shop.statusCode).toBe(202);
    expect(ops.statusCode).toBe(202);
    expect(ops.json().action.id).not.toBe(shop.json().action.id);
    expect(ops.json().orderId).not.toBe(shop.json().orderId);
    const rows = await h.sql<{ id: string; actor_name: string }>(
      'select id, actor_name from actions where idempotency_key = ? order by seq',
      [key],
    );
    expect(rows).toEqual([
      { id: shop.json().action.id, actor_name: 'shop' },
      { id: ops.json().action.id, actor_name: 'ops' },
    ]);
  });

  it('replays an order action with the same key as the same action', async () => {
    const placed = await place(h, orderBody(), { prefer: 'wait=10' });
    const { orderId } = placed.json();
    const key = newKey();
    const first = await h.post(`/v1/orders/${orderId}/comments`, { comment: 'once' }, { idempotencyKey: key });
    const second = await h.post(`/v1/orders/${orderId}/comments`, { comment: 'once' }, { idempotencyKey: key });
    expect(second.json().action.id).toBe(first.json().action.id);
    problem(await h.post(`/v1/orders/${orderId}/comments`, { comment: 'twice' }, { idempotencyKey: key }), 409, 'IDEMPOTENCY_KEY_REUSED');
    await h.get(`/v1/actions/${first.json().action.id}`, { prefer: 'wait=10' });
    const comments = await h.sql('select id from order_events where order_id = ? and type = ?', [orderId, 'order.comment']);
    expect(comments).toHaveLength(1);
  });
});

describe('unknown resources and identifiers', () => {
  const unknown = '0193a000-0000-7000-8000-000000000000';

  it('answers 404 NOT_FOUND for an unknown order, its history and a cancel of it', async () => {
    problem(await strict.get(`/v1/orders/${unknown}`, { key: 'storefront' }), 404, 'NOT_FOUND');
    problem(await strict.get(`/v1/orders/${unknown}/history`), 404, 'NOT_FOUND');
    problem(await strict.post(`/v1/orders/${unknown}/cancel`, { reason: 'x' }, { key: 'storefront' }), 404, 'NOT_FOUND');
    problem(await strict.post(`/v1/orders/${unknown}/hold`, {}), 404, 'NOT_FOUND');
    problem(await strict.get(`/v1/actions/${unknown}`, { key: 'storefront' }), 404, 'NOT_FOUND');
    await expectNothingWritten();
  });

  it('answers 400 VALIDATION_FAILED at /params/id for an id that is not a UUID', async () => {
    expect(invalidPaths(await strict.get('/v1/orders/12345', { key: 'storefront' }))).toEqual(['/params/id']);
    expect(invalidPaths(await strict.get('/v1/orders/12345/history'))).toEqual(['/params/id']);
    expect(invalidPaths(await strict.post('/v1/orders/not-a-uuid/cancel', {}, { key: 'storefront' }))).toEqual(['/params/id']);
    expect(invalidPaths(await strict.get('/v1/actions/nope', { key: 'storefront' }))).toEqual(['/params/id']);
    await expectNothingWritten();
  });

  it('answers 404 problem+json for an unknown route', async () => {
    problem(await strict.get('/v1/nothing-here'), 404, 'NOT_FOUND');
  });
});

describe('Prefer: wait', () => {
  it('answers 201 with Location of the order once the placement succeeded', async () => {
    const res = await place(h, orderBody(), { prefer: 'wait=10' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['preference-applied']).toBe('wait=10');
    const { orderId, action } = res.json();
    expect(res.headers.location).toBe(`/v1/orders/${orderId}`);
    expect(action).toMatchObject({ type: 'order.place', orderId, status: 'succeeded', result: { orderId }, error: null, attempts: 1 });
    expect(action.finishedAt).not.toBeNull();
    const [row] = await h.sql<{ status: string; grand_total: string }>('select status, grand_total from orders where id = ?', [orderId]);
    expect(row).toEqual({ status: 'pending', grand_total: '5997' });
  });

  it('answers 422 OUT_OF_STOCK with the rejected action naming the SKU', async () => {
    const res = await place(h, singleLineOrder('SCARCE', 2), { prefer: 'wait=10' });
    const body = problem(res, 422, 'OUT_OF_STOCK');
    const action = body.action as { id: string; orderId: string; status: string; error: { code: string; details: unknown } };
    expect(action).toMatchObject({ type: 'order.place', status: 'rejected', result: null, attempts: 1 });
    expect(action.error.code).toBe('OUT_OF_STOCK');
    expect(action.error.details).toEqual({ skus: [{ sku: 'SCARCE', requested: 2, salable: 1 }] });
    expect(await h.sql('select id from orders where id = ?', [action.orderId])).toEqual([]);
    expect((await h.get('/v1/inventory/items/SCARCE')).json()).toMatchObject({ reserved: 0, salable: 1 });
  });

  it('answers 422 TOTALS_MISMATCH when grandTotal is off by one', async () => {
    const res = await place(h, orderBody({ grandTotal: 5998 }), { prefer: 'wait=10' });
    const body = problem(res, 422, 'TOTALS_MISMATCH');
    const action = body.action as { orderId: string; status: string; error: { code: string; details: { stated: number; computed: { grandTotal: number } } } };
    expect(action.status).toBe('rejected');
    expect(action.error.details.stated).toBe(5998);
    expect(action.error.details.computed.grandTotal).toBe(5997);
    expect(await h.sql('select id from orders where id = ?', [action.orderId])).toEqual([]);
    problem(await h.get(`/v1/orders/${action.orderId}`), 404, 'NOT_FOUND');
  });

  it('caps wait at 30 seconds (Preference-Applied: wait=30)', async () => {
    const started = Date.now();
    const res = await place(h, orderBody(), { prefer: 'wait=120' });
    expect(res.headers['preference-applied']).toBe('wait=30');
    expect(res.statusCode).toBe(201);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers 202 with the queued action when nothing applies it within the wait', async () => {
    const res = await place(idle, orderBody(), { prefer: 'wait=1' });
    expect(res.statusCode).toBe(202);
    expect(res.headers['preference-applied']).toBe('wait=1');
    const { orderId, action } = res.json();
    expect(res.headers.location).toBe(`/v1/actions/${action.id}`);
    expect(action).toMatchObject({ id: action.id, type: 'order.place', orderId, status: 'queued', attempts: 0, result: null, error: null, finishedAt: null });
    const rows = await idle.sql<{ id: string; status: string }>('select id, status from actions');
    expect(rows).toEqual([{ id: action.id, status: 'queued' }]);
    // Not placed yet: the order answers 404 naming the pending placement.
    const pending = problem(await idle.get(`/v1/orders/${orderId}`), 404, 'NOT_FOUND');
    expect(pending.actionId).toBe(action.id);
  });
});

describe('PostgreSQL unreachable', () => {
  /** A TCP gate in front of PostgreSQL: closing it makes the server unreachable (refused, connections cut). */
  class Gate {
    private server: net.Server | null = null;
    private readonly sockets = new Set<net.Socket>();
    port = 0;

    async open(): Promise<void> {
      if (this.server) return;
      const upstream = new URL(SERVER_URL);
      const server = net.createServer((client) => {
        const server = net.connect(Number(upstream.port || 5432), upstream.hostname);
        for (const socket of [client, server]) {
          this.sockets.add(socket);
          socket.on('close', () => this.sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            server.destroy();
          });
        }
        client.pipe(server).pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, '127.0.0.1', resolve);
      });
      this.port = (server.address() as net.AddressInfo).port;
      this.server = server;
    }

    async close(): Promise<void> {
      const server = this.server;
      this.server = null;
      for (const socket of this.sockets) socket.destroy();
      if (server) await new Promise((resolve) => server.close(resolve));
    }
  }

  const gate = new Gate();
  let database: string;
  let remote: Harness;

  beforeAll(async () => {
    await gate.open();
    database = await createTestDatabase(inject('templateDatabase'));
    const url = new URL(databaseUrl(database));
    url.host = `127.0.0.1:${gate.port}`;
    remote = await startHarness({ workers: false, env: { DATABASE_URL: url.toString() } });
  });
  afterAll(async () => {
    await gate.open();
    await remote?.close();
    await gate.close();
    if (database) await dropDatabase(database);
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After while PostgreSQL cannot be reached, and recovers', async () => {
    problem(await remote.get(`/v1/orders/${randomUUID()}`, { key: 'storefront' }), 404, 'NOT_FOUND');
    await gate.close();
    try {
      for (let i = 0; i < 2; i++) {
        const read = await remote.get(`/v1/orders/${randomUUID()}`, { key: 'storefront' });
        problem(read, 503, 'DATABASE_UNAVAILABLE');
        expect(read.headers['retry-after']).toBe('5');
      }
      const write = await place(remote, orderBody());
      problem(write, 503, 'DATABASE_UNAVAILABLE');
      expect(write.headers['retry-after']).toBe('5');
    } finally {
      await gate.open();
    }
    problem(await remote.get(`/v1/orders/${randomUUID()}`, { key: 'storefront' }), 404, 'NOT_FOUND');
    expect(await countActions(remote)).toBe(0);
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After while the database refuses connections, and recovers', async () => {
    const name = new URL(idle.config.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    try {
      await admin.query(`alter database ${pg.escapeIdentifier(name)} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      // Let the pool see its connections end, so that the requests below must open new ones.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const read = await idle.get(`/v1/orders/${randomUUID()}`, { key: 'storefront' });
      problem(read, 503, 'DATABASE_UNAVAILABLE');
      expect(read.headers['retry-after']).toBe('5');
      const write = await place(idle, orderBody());
      problem(write, 503, 'DATABASE_UNAVAILABLE');
      expect(write.headers['retry-after']).toBe('5');
    } finally {
      await admin.query(`alter database ${pg.escapeIdentifier(name)} allow_connections true`);
      await admin.end();
    }
    problem(await idle.get(`/v1/orders/${randomUUID()}`, { key: 'storefront' }), 404, 'NOT_FOUND');
  });
});

describe('GET /v1/orders', () => {
  const email = 'Page.Turner@Example.com';
  const orders: { id: string; createdAt: string }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const res = await place(h, orderBody({ externalId: `page-${i}`, customer: { email, firstName: 'Page', lastName: 'Turner' } }), {
        prefer: 'wait=10',
      });
      expect(res.statusCode).toBe(201);
      const order = (await h.get(`/v1/orders/${res.json().orderId}`)).json();
      orders.push({ id: order.id, createdAt: order.createdAt });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const canceled = await h.post(`/v1/orders/${orders[2]!.id}/cancel`, {}, { prefer: 'wait=10' });
    expect(canceled.statusCode).toBe(201);
  });

  const ids = (res: LightMyRequestResponse) => res.json<{ items: { id: string }[] }>().items.map((item) => item.id);
  const list = (query: Record<string, string>) => h.get(`/v1/orders?${new URLSearchParams(query).toString()}`);

  it('pages newest first with a cursor: 2, 2, 1, no duplicates, nextCursor null at the end', async () => {
    const filter = { customerEmail: 'page.turner@example.com', limit: '2' };
    const first = await list(filter);
    expect(first.statusCode).toBe(200);
    expect(ids(first)).toEqual([orders[4]!.id, orders[3]!.id]);
    const cursor1 = first.json().nextCursor;
    expect(typeof cursor1).toBe('string');
    const second = await list({ ...filter, cursor: cursor1 });
    expect(ids(second)).toEqual([orders[2]!.id, orders[1]!.id]);
    const cursor2 = second.json().nextCursor;
    expect(typeof cursor2).toBe('string');
    const third = await list({ ...filter, cursor: cursor2 });
    expect(ids(third)).toEqual([orders[0]!.id]);
    expect(third.json().nextCursor).toBeNull();
  });

  it('answers the order summary shape', async () => {
    const res = await list({ customerEmail: email, limit: '1' });
    const [order] = await h.sql<{ number: string }>('select number from orders where id = ?', [orders[4]!.id]);
    expect(res.json().items).toEqual([
      {
        id: orders[4]!.id,
        number: order!.number,
        externalId: 'page-4',
        status: 'pending',
        currency: 'USD',
        customerEmail: email,
        grandTotal: 5997,
        createdAt: orders[4]!.createdAt,
      },
    ]);
  });

  it('filters by customerEmail case-insensitively', async () => {
    expect(ids(await list({ customerEmail: 'PAGE.TURNER@EXAMPLE.COM' }))).toEqual(orders.map((o) => o.id).reverse());
    expect(ids(await list({ customerEmail: 'page.turner@example.org' }))).toEqual([]);
  });

  it('filters by status', async () => {
    expect(ids(await list({ customerEmail: email, status: 'canceled' }))).toEqual([orders[2]!.id]);
    expect(ids(await list({ customerEmail: email, status: 'pending' }))).toEqual([4, 3, 1, 0].map((i) => orders[i]!.id));
    expect(ids(await list({ customerEmail: email, status: 'on_hold' }))).toEqual([]);
  });

  it('filters by createdFrom and createdTo', async () => {
    const at = (i: number, plusMs: number) => new Date(Date.parse(orders[i]!.createdAt) + plusMs).toISOString();
    expect(ids(await list({ customerEmail: email, createdFrom: at(0, 1), createdTo: at(3, 1) }))).toEqual(
      [3, 2, 1].map((i) => orders[i]!.id),
    );
    expect(ids(await list({ customerEmail: email, createdFrom: at(3, 1) }))).toEqual([orders[4]!.id]);
    expect(ids(await list({ customerEmail: email, createdTo: at(1, 1) }))).toEqual([1, 0].map((i) => orders[i]!.id));
  });

  it('answers 400 at /query/cursor for a cursor it did not issue', async () => {
    for (const cursor of ['garbage!!', Buffer.from('{"createdAt":"x","id":"y"}').toString('base64url'), 'e30']) {
      expect(invalidPaths(await list({ cursor }))).toEqual(['/query/cursor']);
    }
  });

  it('answers 400 naming every bad query parameter', async () => {
    const res = await list({ status: 'shipped', limit: '0', createdFrom: 'yesterday' });
    expect(invalidPaths(res)).toEqual(['/query/createdFrom', '/query/limit', '/query/status']);
    expect(invalidPaths(await list({ limit: '101' }))).toEqual(['/query/limit']);
    expect(invalidPaths(await list({ sort: 'asc' }))).toEqual(['/query/sort']);
  });
});

describe('input the hostile-input test found answered 500 or accepted-then-failed (regressions)', () => {
  const cursor = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['a cursor whose id is not a UUID', `/v1/orders?cursor=${cursor({ createdAt: '2026-01-01T00:00:00.000Z', id: '-'.repeat(36) })}`, '/query/cursor'],
    ['a cursor of year 0', `/v1/orders?cursor=${cursor({ createdAt: '0000-01-01T00:00:00.000Z', id: randomUUID() })}`, '/query/cursor'],
    ['createdTo in year 0', '/v1/orders?createdTo=0000-01-01T00:00:00Z', '/query/createdTo'],
    ['createdFrom on a leap second', '/v1/orders?createdFrom=2026-12-31T23:59:60Z', '/query/createdFrom'],
    ['a NUL in the query string', '/v1/orders?customerEmail=a%00b', '/query/customerEmail'],
    ['a NUL in a path parameter', '/v1/inventory/items/a%00b', '/params/sku'],
  ])('refuses %s with 400', async (_, url, path) => {
    const res = await strict.get(url);
    expect(problem(res, 400, 'VALIDATION_FAILED').errors!.map((e) => e.path)).toEqual([path]);
  });

  it('refuses a NUL in the SKU of an inventory update', async () => {
    const res = await strict.put('/v1/inventory/items/a%00b', { sources: { main: 1 } });
    expect(problem(res, 400, 'VALIDATION_FAILED').errors!.map((e) => e.path)).toEqual(['/params/sku']);
  });

  it('answers an undecodable path and an overlong path parameter with problem+json', async () => {
    problem(await strict.get('/v1/orders/%ZZ'), 400, 'BAD_URL');
    problem(await strict.get(`/v1/orders/${'a'.repeat(200)}`), 414, 'URI_TOO_LONG');
  });

  it('refuses a delivery time on a leap second at intake instead of failing it in the worker', async () => {
    const res = await strict.post(`/v1/shipments/${randomUUID()}/delivery`, { deliveredAt: '2026-12-31T23:59:60Z' });
    expect(problem(res, 400, 'VALIDATION_FAILED').errors!.map((e) => e.path)).toEqual(['/deliveredAt']);
  });

  it('applies a comment at the length limit in astral characters: API and worker count alike', async () => {
    const placed = await h.post('/v1/orders', singleLineOrder('TSHIRT-M'), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
    const orderId = placed.json().orderId as string;
    const res = await h.post(`/v1/orders/${orderId}/comments`, { comment: '💥'.repeat(5000), notifyCustomer: false }, { prefer: 'wait=10' });
    expect(res.statusCode).toBe(201);
    expect(res.json().action.status).toBe('succeeded');
  });
});
