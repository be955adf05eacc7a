import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { problem } from '../support/http.js';
import { freePort } from '../support/ports.js';
import { RECEIVER_ON_LOOPBACK, startReceiver, type Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * SPEC §4 access control over the whole HTTP API: every route of the §4 table against no key, a wrong key,
 * malformed Authorization headers, a storefront key and an admin key; public operations routes; bull-board behind
 * basic auth; /metrics as configured by METRICS_PORT; the OpenAPI document; rate limiting; webhook targets inside the
 * network (SSRF).
 *
 * `h` applies the setup with workers (an order invoiced, shipped and refunded, PDFs rendered, a webhook delivered),
 * then stops them: accepted writes stay queued, so every cell sees the same state and a refused request can be
 * checked to have changed nothing at all (every table and every queue).
 */

type Role = 'storefront' | 'admin';
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const UNKNOWN = '0193a000-0000-7000-8000-0000000000ff';

interface Caller {
  name: string;
  headers: Record<string, string>;
  /** The role the API should recognise, null when it must not recognise any key. */
  role: Role | null;
  /** The key name recorded as the actor of an accepted action. */
  actor?: string;
  /** A storefront key of another shop: the first storefront's orders and actions are unknown to it. */
  otherTenant?: boolean;
}

const NO_KEY: Caller = { name: 'no Authorization header', headers: {}, role: null };
const WRONG_KEY: Caller = { name: 'a wrong secret', headers: { authorization: 'Bearer not-a-key-of-this-deployment-0001' }, role: null };
const STOREFRONT: Caller = { name: 'a storefront key', headers: { authorization: `Bearer ${KEYS.storefront}` }, role: 'storefront', actor: 'shop' };
const OTHER_STOREFRONT: Caller = {
  name: "another shop's storefront key",
  headers: { authorization: `Bearer ${KEYS.otherStorefront}` },
  role: 'storefront',
  actor: 'shop2',
  otherTenant: true,
};
const ADMIN: Caller = { name: 'an admin key', headers: { authorization: `Bearer ${KEYS.admin}` }, role: 'admin', actor: 'ops' };

/** The admin key last: a permitted DELETE must come after every refused one. */
const CALLERS: Caller[] = [
  NO_KEY,
  WRONG_KEY,
  { name: 'the admin name and secret as Basic auth', headers: { authorization: basic('ops', KEYS.admin) }, role: null },
  { name: '"Bearer" with nothing after it', headers: { authorization: 'Bearer' }, role: null },
  { name: 'the admin secret without a scheme', headers: { authorization: KEYS.admin }, role: null },
  OTHER_STOREFRONT,
  STOREFRONT,
  ADMIN,
];

interface Resources {
  orderId: string;
  orderStatus: string;
  placeActionId: string;
  invoiceId: string;
  shipmentId: string;
  refundId: string;
  returnId: string;
  shirtLineId: string;
  subscriptionId: string;
  doomedSubscriptionId: string;
  deliveryId: string;
  createdFrom: string;
}

let h: Harness;
let receiver: Receiver;
const r = {} as Resources;

/** Every table's row count and content digest, and every queue's job counts: what a refused request must not change. */
async function snapshot(harness: Harness): Promise<Record<string, string>> {
  const tables = await harness.sql<{ name: string }>(
    `select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'mikro_orm%' order by table_name`,
  );
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['actions', 'orders', 'stock', 'webhook_subscriptions', 'webhook_deliveries']));
  const state: Record<string, string> = {};
  await Promise.all(
    tables.map(async ({ name }) => {
      const [row] = await harness.sql<{ n: number; digest: string }>(
        `select count(*)::int as n, coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as digest from "${name}" t`,
      );
      state[`table ${name}`] = `${row!.n} ${row!.digest}`;
    }),
  );
  await Promise.all(
    harness.runtime.queues.all().map(async (queue) => {
      // The total, not per state: with no worker running a job may still move from delayed to waiting.
      const counts = await queue.getJobCounts();
      state[`queue ${queue.name}`] = `${Object.values(counts).reduce((sum, n) => sum + n, 0)} jobs`;
    }),
  );
  return state;
}

const countActions = async (harness: Harness) =>
  Number((await harness.sql<{ count: string }>('select count(*) as count from actions'))[0]!.count);

/** Setup through the API, each write applied before the next (Prefer: wait). */
async function applied(path: string, body: unknown, key: 'storefront' | 'admin' = 'admin') {
  const res = await h.post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=20' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ orderId: string; action: { id: string; result: Record<string, string> } }>();
}

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.route('/hook', () => ({ status: 204 }));
  h = await startHarness({ env: RECEIVER_ON_LOOPBACK });
  r.createdFrom = new Date(Date.now() - 60_000).toISOString();

  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 100 } })).statusCode).toBe(200);
  for (const target of ['subscriptionId', 'doomedSubscriptionId'] as const) {
    const res = await h.post('/v1/webhooks', { url: `${receiver.url}/hook`, eventTypes: ['*'] });
    expect(res.statusCode).toBe(201);
    r[target] = res.json<{ id: string }>().id;
  }

  const placed = await applied('/v1/orders', orderBody({ externalId: 'access-1' }), 'storefront');
  r.orderId = placed.orderId;
  r.placeActionId = placed.action.id;
  const order = (await h.get(`/v1/orders/${r.orderId}`)).json<{ items: { id: string; sku: string }[] }>();
  const ebook = order.items.find((item) => item.sku === 'EBOOK-1')!;
  r.shirtLineId = order.items.find((item) => item.sku === 'TSHIRT-M')!.id;
  r.invoiceId = (await applied(`/v1/orders/${r.orderId}/invoices`, {})).action.result.invoiceId!;
  r.shipmentId = (
    await applied(`/v1/orders/${r.orderId}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z999' })
  ).action.result.shipmentId!;
  r.refundId = (await applied(`/v1/orders/${r.orderId}/refunds`, { items: [{ itemId: ebook.id, qty: 1 }] })).action.result.refundId!;
  r.returnId = (
    await applied(`/v1/orders/${r.orderId}/returns`, { items: [{ itemId: r.shirtLineId, qty: 1, reason: 'did_not_fit' }] }, 'storefront')
  ).action.result.returnId!;
  r.orderStatus = (await h.get(`/v1/orders/${r.orderId}`)).json<{ status: string }>().status;

  for (const path of [`/v1/invoices/${r.invoiceId}/pdf`, `/v1/refunds/${r.refundId}/pdf`, `/v1/returns/${r.returnId}/pdf`]) {
    await eventually(`the PDF at ${path}`, async () => (await h.get(path)).statusCode === 200);
  }
  const [delivery] = await eventually('a delivered webhook', async () => {
    const rows = await h.sql<{ id: string }>(
      `select id from webhook_deliveries where subscription_id = ? and status = 'delivered' limit 1`,
      [r.subscriptionId],
    );
    return rows.length > 0 && rows;
  });
  r.deliveryId = delivery!.id;

  // Let every follow-up finish, then stop the workers so that nothing changes the state but the requests below.
  await eventually(
    'all follow-up work done',
    async () => {
      const [busy] = await h.sql<{ n: number }>(
        `select (select count(*) from actions where status in ('queued', 'processing'))
              + (select count(*) from outbox where done_at is null)
              + (select count(*) from webhook_deliveries where status = 'pending')
              + (select count(*) from emails where status in ('pending', 'sending')) as n`,
      );
      if (Number(busy!.n) !== 0) return false;
      // The maintenance queue's schedulers (relay, overdue scan) come back every few hundred milliseconds.
      const queues = h.runtime.queues.all().filter((queue) => queue.name !== 'maintenance');
      const counts = await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'active', 'prioritized')));
      return counts.every((c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0);
    },
    30_000,
  );
  await h.stopWorkers();
}, 90_000);

afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

interface Row {
  method: Method;
  /** The path as SPEC §4 and the OpenAPI document write it. */
  path: string;
  role: Role;
  url: () => string;
  /** The same route for a resource that does not exist (404 for a permitted caller). */
  unknownUrl?: () => string;
  body?: () => unknown;
  /** The answer to a permitted caller. */
  ok: number;
  /** The type of the action a permitted write records (queued: the workers are stopped). */
  action?: string;
  /** The order the recorded action belongs to; a placement gets a new one. */
  actionOrder?: () => string;
  /** It names what the first storefront placed or recorded: another storefront gets 404, as for an unknown id. */
  owned?: boolean;
  check?: (res: LightMyRequestResponse) => void | Promise<void>;
}

const orderAction = (name: string, type: string, role: Role, body: unknown): Row => ({
  owned: true,
  method: 'POST',
  path: `/v1/orders/{id}/${name}`,
  role,
  url: () => `/v1/orders/${r.orderId}/${name}`,
  unknownUrl: () => `/v1/orders/${UNKNOWN}/${name}`,
  body: () => body,
  ok: 202,
  action: type,
  actionOrder: () => r.orderId,
});

const json = (res: LightMyRequestResponse) => {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json();
};

const ROUTES: Row[] = [
  {
    method: 'POST',
    path: '/v1/orders',
    role: 'storefront',
    url: () => '/v1/orders',
    body: () => orderBody({ externalId: 'access-matrix' }),
    ok: 202,
    action: 'order.place',
  },
  {
    method: 'GET',
    path: '/v1/orders',
    role: 'admin',
    url: () =>
      `/v1/orders?${new URLSearchParams({ status: r.orderStatus, customerEmail: 'ADA@example.com', createdFrom: r.createdFrom, limit: '5' }).toString()}`,
    ok: 200,
    check: (res) => expect(json(res)).toMatchObject({ items: [{ id: r.orderId, status: r.orderStatus }], nextCursor: null }),
  },
  {
    owned: true,
    method: 'GET',
    path: '/v1/orders/{id}',
    role: 'storefront',
    url: () => `/v1/orders/${r.orderId}`,
    unknownUrl: () => `/v1/orders/${UNKNOWN}`,
    ok: 200,
    check: (res) => expect(json(res)).toMatchObject({ id: r.orderId, number: '100000001', status: r.orderStatus }),
  },
  {
    method: 'GET',
    path: '/v1/orders/{id}/history',
    role: 'admin',
    url: () => `/v1/orders/${r.orderId}/history`,
    unknownUrl: () => `/v1/orders/${UNKNOWN}/history`,
    ok: 200,
    check: (res) =>
      expect(json(res).items).toEqual(expect.arrayContaining([expect.objectContaining({ actionId: r.placeActionId, actor: 'shop' })])),
  },
  orderAction('invoices', 'invoice.create', 'admin', { state: 'pending', dueInDays: 14 }),
  {
    method: 'POST',
    path: '/v1/invoices/{id}/payments',
    role: 'admin',
    url: () => `/v1/invoices/${r.invoiceId}/payments`,
    unknownUrl: () => `/v1/invoices/${UNKNOWN}/payments`,
    body: () => ({ amount: 100, method: 'banktransfer', reference: 'BT-1' }),
    ok: 202,
    action: 'invoice.pay',
    actionOrder: () => r.orderId,
  },
  orderAction('shipments', 'shipment.create', 'admin', { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z1' }),
  {
    method: 'POST',
    path: '/v1/shipments/{id}/delivery',
    role: 'admin',
    url: () => `/v1/shipments/${r.shipmentId}/delivery`,
    unknownUrl: () => `/v1/shipments/${UNKNOWN}/delivery`,
    body: () => ({ deliveredAt: '2026-01-02T10:00:00Z' }),
    ok: 202,
    action: 'shipment.deliver',
    actionOrder: () => r.orderId,
  },
  orderAction('refunds', 'refund.create', 'admin', { shipping: 100, reason: 'late' }),
  orderAction('cancel', 'order.cancel', 'storefront', { reason: 'customer asked' }),
  {
    owned: true,
    method: 'POST',
    path: '/v1/orders/{id}/returns',
    role: 'storefront',
    url: () => `/v1/orders/${r.orderId}/returns`,
    unknownUrl: () => `/v1/orders/${UNKNOWN}/returns`,
    body: () => ({ items: [{ itemId: r.shirtLineId, qty: 1, reason: 'damaged' }] }),
    ok: 202,
    action: 'return.request',
    actionOrder: () => r.orderId,
  },
  ...(
    [
      ['approve', 'admin', { note: 'Use the enclosed label' }],
      ['reject', 'admin', { reason: 'Worn' }],
      ['cancel', 'storefront', { reason: 'Kept it' }],
      ['receive', 'admin', { source: 'main' }],
      ['refund', 'admin', { reason: 'Returned' }],
    ] as const
  ).map(
    ([move, role, body]): Row => ({
      owned: role === 'storefront',
      method: 'POST',
      path: `/v1/returns/{id}/${move}`,
      role,
      url: () => `/v1/returns/${r.returnId}/${move}`,
      unknownUrl: () => `/v1/returns/${UNKNOWN}/${move}`,
      body: () => body,
      ok: 202,
      action: `return.${move}`,
      actionOrder: () => r.orderId,
    }),
  ),
  orderAction('hold', 'order.hold', 'admin', { reason: 'fraud check' }),
  orderAction('unhold', 'order.unhold', 'admin', { reason: 'cleared' }),
  orderAction('comments', 'order.comment', 'admin', { comment: 'Left at reception', notifyCustomer: true }),
  {
    owned: true,
    method: 'GET',
    path: '/v1/actions/{id}',
    role: 'storefront',
    url: () => `/v1/actions/${r.placeActionId}`,
    unknownUrl: () => `/v1/actions/${UNKNOWN}`,
    ok: 200,
    check: (res) =>
      expect(json(res)).toMatchObject({ id: r.placeActionId, type: 'order.place', status: 'succeeded', result: { orderId: r.orderId } }),
  },
  {
    method: 'GET',
    path: '/v1/actions',
    role: 'admin',
    url: () => `/v1/actions?orderId=${r.orderId}`,
    ok: 200,
    // The permitted writes above stay queued: the workers are stopped.
    check: (res) => {
      const items = json(res).items as { orderId: string; status: string }[];
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) expect(item).toMatchObject({ orderId: r.orderId, status: 'queued' });
    },
  },
  ...(['invoice', 'shipment', 'refund'] as const).map(
    (kind): Row => ({
      method: 'GET',
      path: `/v1/${kind}s/{id}`,
      role: 'admin',
      url: () => `/v1/${kind}s/${r[`${kind}Id`]}`,
      unknownUrl: () => `/v1/${kind}s/${UNKNOWN}`,
      ok: 200,
      check: (res) =>
        expect(json(res)).toMatchObject({ id: r[`${kind}Id`], number: { invoice: 'INV-000001', shipment: 'SHP-000001', refund: 'RFD-000001' }[kind] }),
    }),
  ),
  ...(['invoice', 'refund'] as const).map(
    (kind): Row => ({
      method: 'GET',
      path: `/v1/${kind}s/{id}/pdf`,
      role: 'admin',
      url: () => `/v1/${kind}s/${r[`${kind}Id`]}/pdf`,
      unknownUrl: () => `/v1/${kind}s/${UNKNOWN}/pdf`,
      ok: 200,
      check: (res) => {
        expect(res.headers['content-type']).toBe('application/pdf');
        expect(res.headers['content-disposition']).toBe(`inline; filename="${kind === 'invoice' ? 'INV' : 'RFD'}-000001.pdf"`);
        expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      },
    }),
  ),
  {
    owned: true,
    method: 'GET',
    path: '/v1/returns/{id}',
    role: 'storefront',
    url: () => `/v1/returns/${r.returnId}`,
    unknownUrl: () => `/v1/returns/${UNKNOWN}`,
    ok: 200,
    check: (res) =>
      expect(json(res)).toMatchObject({ id: r.returnId, number: 'RMA-000001', state: 'requested', items: [{ itemId: r.shirtLineId, qty: 1 }] }),
  },
  {
    owned: true,
    method: 'GET',
    path: '/v1/returns/{id}/pdf',
    role: 'storefront',
    url: () => `/v1/returns/${r.returnId}/pdf`,
    unknownUrl: () => `/v1/returns/${UNKNOWN}/pdf`,
    ok: 200,
    check: (res) => {
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe('inline; filename="RMA-000001.pdf"');
      expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    },
  },
  {
    method: 'PUT',
    path: '/v1/inventory/sources/{code}',
    role: 'admin',
    url: () => '/v1/inventory/sources/main',
    body: () => ({ name: 'Main warehouse (renamed)', contactEmail: 'wh@example.com', active: true }),
    ok: 200,
    check: (res) => expect(json(res)).toEqual({ code: 'main', name: 'Main warehouse (renamed)', contactEmail: 'wh@example.com', active: true }),
  },
  {
    method: 'PUT',
    path: '/v1/inventory/items/{sku}',
    role: 'admin',
    url: () => '/v1/inventory/items/TSHIRT-M',
    body: () => ({ sources: { main: 7 } }),
    ok: 200,
    check: (res) => expect(json(res)).toMatchObject({ sku: 'TSHIRT-M', sources: [{ code: 'main', onHand: 7, active: true }] }),
  },
  {
    method: 'GET',
    path: '/v1/inventory/items/{sku}',
    role: 'admin',
    url: () => '/v1/inventory/items/TSHIRT-M',
    unknownUrl: () => '/v1/inventory/items/NO-SUCH-SKU',
    ok: 200,
    check: (res) => expect(json(res)).toMatchObject({ sku: 'TSHIRT-M', sources: [{ code: 'main' }] }),
  },
  {
    method: 'GET',
    path: '/v1/inventory/sources',
    role: 'admin',
    url: () => '/v1/inventory/sources',
    ok: 200,
    check: (res) => expect(json(res)).toMatchObject({ items: [{ code: 'main' }] }),
  },
  {
    method: 'GET',
    path: '/v1/inventory/items',
    role: 'admin',
    url: () => '/v1/inventory/items',
    ok: 200,
    check: (res) => expect(json(res)).toMatchObject({ items: [{ sku: 'TSHIRT-M', sources: [{ code: 'main' }] }], nextCursor: null }),
  },
  {
    method: 'POST',
    path: '/v1/webhooks',
    role: 'admin',
    url: () => '/v1/webhooks',
    body: () => ({ url: 'https://hooks.example.com/orderflow', eventTypes: ['order.placed'] }),
    ok: 201,
    check: (res) => {
      const body = json(res);
      expect(body).toMatchObject({ url: 'https://hooks.example.com/orderflow', eventTypes: ['order.placed'], secret: expect.any(String) });
      expect(res.headers.location).toBe(`/v1/webhooks/${body.id}`);
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks',
    role: 'admin',
    url: () => '/v1/webhooks',
    ok: 200,
    check: (res) => {
      const items = json(res).items as { id: string; secret?: string }[];
      expect(items.map((item) => item.id)).toContain(r.subscriptionId);
      for (const item of items) expect(item.secret).toBeUndefined();
    },
  },
  {
    method: 'DELETE',
    path: '/v1/webhooks/{id}',
    role: 'admin',
    url: () => `/v1/webhooks/${r.doomedSubscriptionId}`,
    unknownUrl: () => `/v1/webhooks/${UNKNOWN}`,
    ok: 204,
    check: async (res) => {
      expect(res.body).toBe('');
      const [row] = await h.sql<{ deleted: boolean }>('select deleted_at is not null as deleted from webhook_subscriptions where id = ?', [
        r.doomedSubscriptionId,
      ]);
      expect(row).toEqual({ deleted: true });
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{id}/deliveries',
    role: 'admin',
    url: () => `/v1/webhooks/${r.subscriptionId}/deliveries`,
    unknownUrl: () => `/v1/webhooks/${UNKNOWN}/deliveries`,
    ok: 200,
    check: (res) => expect((json(res).items as { id: string }[]).map((d) => d.id)).toContain(r.deliveryId),
  },
  {
    method: 'POST',
    path: '/v1/webhook-deliveries/{id}/redeliver',
    role: 'admin',
    url: () => `/v1/webhook-deliveries/${r.deliveryId}/redeliver`,
    unknownUrl: () => `/v1/webhook-deliveries/${UNKNOWN}/redeliver`,
    ok: 202,
    check: (res) => expect(json(res)).toMatchObject({ id: r.deliveryId, status: 'pending' }),
  },
  {
    // Not in the §4 table: served on the API port behind an admin key while METRICS_PORT is unset (config.ts).
    method: 'GET',
    path: '/metrics',
    role: 'admin',
    url: () => '/metrics',
    ok: 200,
    check: (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('orderflow_http_requests_total{method="GET",route="/v1/orders/:id",status="200"}');
    },
  },
];

/** Every GET answers HEAD the same way (Fastify exposes HEAD routes): the same guard must hold there. */
const HEAD_ROUTES: Row[] = ROUTES.filter((row) => row.method === 'GET').map((row) => ({
  ...row,
  method: 'HEAD',
  check: (res) => expect(res.body).toBe(''),
}));

function send(harness: Harness, row: Row, url: string, caller: Caller): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...caller.headers };
  if (row.path === '/v1/orders' && row.method === 'POST') headers['idempotency-key'] = newKey();
  const body = row.body?.();
  return harness.app.inject({ method: row.method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
}

/** What SPEC §4 says this caller gets on this route. */
function expected(row: Row, caller: Caller): { status: number; code?: string } {
  if (caller.role === null) return { status: 401, code: 'UNAUTHENTICATED' };
  if (row.role === 'admin' && caller.role !== 'admin') return { status: 403, code: 'FORBIDDEN' };
  if (row.owned && caller.otherTenant) return { status: 404, code: 'NOT_FOUND' };
  return { status: row.ok };
}

function expectRefusal(res: LightMyRequestResponse, status: number, code: string, head: boolean) {
  if (head) {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toBe('');
  } else {
    problem(res, status, code);
  }
  // 401 tells the client how to authenticate; 403 is not cured by other credentials of the same kind.
  if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
  else expect(res.headers['www-authenticate']).toBeUndefined();
}

describe('every route of SPEC §4 against every kind of caller', () => {
  describe.each([...ROUTES, ...HEAD_ROUTES].map((row) => [`${row.method} ${row.path}`, row] as const))('%s', (_title, row) => {
    it.each(CALLERS.map((caller) => [caller.name, expected(row, caller).status, caller] as const))(
      '%s → %i',
      async (_name, status, caller) => {
        const before = await snapshot(h);
        const actionsBefore = await countActions(h);
        const res = await send(h, row, row.url(), caller);
        const { code } = expected(row, caller);
        if (code) {
          expectRefusal(res, status, code, row.method === 'HEAD');
          expect(await snapshot(h)).toEqual(before);
          return;
        }
        expect(res.statusCode, res.body).toBe(status);
        // Reads change nothing; permitted writes do (which also shows the snapshot would see a refused one write).
        if (row.method === 'GET' || row.method === 'HEAD') expect(await snapshot(h)).toEqual(before);
        else expect(await snapshot(h)).not.toEqual(before);
        if (row.action) {
          const accepted = res.json<{ orderId: string; action: { id: string; type: string; status: string } }>();
          expect(accepted.action).toMatchObject({ type: row.action, status: 'queued' });
          expect(res.headers.location).toBe(`/v1/actions/${accepted.action.id}`);
          expect(await countActions(h)).toBe(actionsBefore + 1);
          const [recorded] = await h.sql('select type, status, order_id, actor_name, actor_role from actions where id = ?', [accepted.action.id]);
          expect(recorded).toEqual({
            type: row.action,
            status: 'queued',
            order_id: row.actionOrder?.() ?? accepted.orderId,
            actor_name: caller.actor,
            actor_role: caller.role,
          });
          if (!row.actionOrder) expect(accepted.orderId).not.toBe(r.orderId);
        } else if (row.method !== 'POST' || row.path !== '/v1/webhooks') {
          // Reads and configuration writes record no action.
          expect(await countActions(h)).toBe(actionsBefore);
        }
        await row.check?.(res);
      },
    );
  });
});

describe('the guard comes before the resource and the request body', () => {
  const withUnknown = ROUTES.filter((row) => row.unknownUrl);

  it('covers every route that names a resource (PUT creates what it names)', () => {
    const naming = ROUTES.filter((row) => row.path.includes('{') && row.method !== 'PUT');
    expect(withUnknown).toEqual(naming);
    expect(withUnknown).toHaveLength(29);
  });

  describe.each(withUnknown.map((row) => [`${row.method} ${row.path} of an unknown resource`, row] as const))('%s', (_title, row) => {
    it.each(
      [NO_KEY, WRONG_KEY, OTHER_STOREFRONT, STOREFRONT, ADMIN].map((caller) => {
        const guard = expected(row, caller);
        return [caller.name, guard.code ? guard.status : 404, caller] as const;
      }),
    )('%s → %i, and nothing changes', async (_name, status, caller) => {
      const before = await snapshot(h);
      const res = await send(h, row, row.unknownUrl!(), caller);
      const guard = expected(row, caller);
      if (guard.code) expectRefusal(res, status, guard.code, false);
      else problem(res, 404, 'NOT_FOUND');
      expect(await snapshot(h)).toEqual(before);
    });
  });

  it('answers 401/403 to an invalid body before validating it, and 400 only to a permitted caller', async () => {
    const before = await snapshot(h);
    const invalid = { state: 'someday', bogus: true };
    const url = `/v1/orders/${r.orderId}/invoices`;
    problem(await h.post(url, invalid, { key: null }), 401, 'UNAUTHENTICATED');
    problem(await h.post(url, invalid, { key: 'storefront' }), 403, 'FORBIDDEN');
    const errors = problem(await h.post(url, invalid, { key: 'admin' }), 400, 'VALIDATION_FAILED').errors!;
    expect([...new Set(errors.map((e) => e.path))].sort()).toEqual(['/bogus', '/state']);
    // Placing with a broken body and no Idempotency-Key: authentication is answered first, then validation.
    problem(await h.post('/v1/orders', { currency: 12 }, { key: null }), 401, 'UNAUTHENTICATED');
    problem(await h.post('/v1/orders', { currency: 12 }, { key: 'storefront' }), 400, 'VALIDATION_FAILED');
    problem(await h.get('/v1/orders?limit=0', { key: 'storefront' }), 403, 'FORBIDDEN');
    problem(await h.get('/v1/orders/not-a-uuid/history', { key: null }), 401, 'UNAUTHENTICATED');
    expect(await snapshot(h)).toEqual(before);
  });

  it('accepts the Bearer scheme in any case and with surrounding spaces, and nothing else around the secret', async () => {
    const read = (authorization: string) =>
      h.app.inject({ method: 'GET', url: `/v1/actions/${r.placeActionId}`, headers: { authorization } });
    for (const authorization of [`bearer ${KEYS.storefront}`, `BEARER ${KEYS.storefront}`, `Bearer   ${KEYS.storefront}  `]) {
      expect((await read(authorization)).statusCode, authorization).toBe(200);
    }
    for (const authorization of [
      `Bearer ${KEYS.storefront} ${KEYS.admin}`,
      `Bearer ${KEYS.storefront}x`,
      `Bearer ${KEYS.storefront.slice(0, -1)}`,
      `Bearer ${KEYS.storefront.toUpperCase()}`,
      `Token ${KEYS.storefront}`,
      `Bearer shop:${KEYS.storefront}`,
    ]) {
      problem(await read(authorization), 401, 'UNAUTHENTICATED');
    }
  });
});

describe('public operations routes', () => {
  const PUBLIC: { path: string; check: (res: LightMyRequestResponse) => void }[] = [
    { path: '/health/live', check: (res) => expect(res.json()).toEqual({ status: 'ok' }) },
    { path: '/health/ready', check: (res) => expect(res.json()).toMatchObject({ status: 'ready' }) },
    { path: '/docs/json', check: (res) => expect(res.json()).toMatchObject({ openapi: '3.0.3', info: { title: 'orderflow' } }) },
    { path: '/docs', check: (res) => expect(res.headers['content-type']).toMatch(/^text\/html/) },
  ];

  describe.each(PUBLIC.map((route) => [route.path, route] as const))('GET %s needs no key', (_path, route) => {
    it.each(CALLERS.map((caller) => [caller.name, caller] as const))('%s → 200', async (_name, caller) => {
      const res = await h.app.inject({ method: 'GET', url: route.path, headers: caller.headers });
      expect(res.statusCode).toBe(200);
      route.check(res);
    });
  });

  it('documents each route of the matrix with the role it needs, and documents no other route', async () => {
    const document = (await h.get('/docs/json', { key: null })).json<{
      paths: Record<string, Record<string, { security?: unknown; description?: string }>>;
    }>();
    for (const row of ROUTES) {
      const operation = document.paths[row.path]?.[row.method.toLowerCase()];
      expect(operation, `${row.method} ${row.path}`).toBeDefined();
      expect(operation!.security, `${row.method} ${row.path}`).toEqual([{ bearer: [] }]);
      const description = operation!.description ?? '';
      if (row.role === 'storefront') expect(description, `${row.method} ${row.path}`).toContain('storefront');
      else expect(description, `${row.method} ${row.path}`).not.toContain('storefront');
    }
    for (const path of ['/health/live', '/health/ready']) expect(document.paths[path]!.get!.security).toEqual([]);
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((route) => !route.startsWith('HEAD '))
      .sort();
    const covered = [...ROUTES.map((row) => `${row.method} ${row.path}`), 'GET /health/live', 'GET /health/ready'].sort();
    expect(documented).toEqual(covered);
  });
});

describe('bull-board at /admin/queues', () => {
  const WWW_AUTHENTICATE = /^Basic realm="orderflow"/;
  const refused: [string, string | undefined][] = [
    ['no credentials', undefined],
    ['the storefront key name and secret', basic('shop', KEYS.storefront)],
    ['the admin name with the storefront secret', basic('ops', KEYS.storefront)],
    ['the storefront name with the admin secret', basic('shop', KEYS.admin)],
    ['the admin name with a wrong secret', basic('ops', 'not-the-secret')],
    ['the admin secret alone as the user name', basic(KEYS.admin, '')],
    ['the admin key as a Bearer token', `Bearer ${KEYS.admin}`],
    ['Basic with something that is not base64 of name:secret', 'Basic !!!'],
  ];

  it.each(refused)('answers 401 with WWW-Authenticate: Basic to %s', async (_name, authorization) => {
    for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png']) {
      const res = await h.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
      expect(res.statusCode, url).toBe(401);
      expect(res.headers['www-authenticate'], url).toMatch(WWW_AUTHENTICATE);
      expect(res.body).not.toContain('orderflow</title>');
    }
  });

  it('refuses job operations without admin credentials and changes no queue', async () => {
    const before = await snapshot(h);
    for (const authorization of [undefined, basic('shop', KEYS.storefront), `Bearer ${KEYS.admin}`]) {
      const headers = authorization ? { authorization } : {};
      for (const [method, url] of [
        ['PUT', '/admin/queues/api/queues/orders/pause'],
        ['PUT', '/admin/queues/api/queues/orders/empty'],
        ['PUT', '/admin/queues/api/queues/orders/retry/failed'],
        ['PUT', '/admin/queues/api/queues/maintenance/obliterate'],
      ] as const) {
        const res = await h.app.inject({ method, url, headers, payload: {} });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
      }
      const res = await h.app.inject({
        method: 'POST',
        url: '/admin/queues/api/queues/orders/add',
        headers,
        payload: { name: 'order.place', data: {} },
      });
      expect(res.statusCode).toBe(401);
    }
    expect(await h.runtime.queues.get('orders').isPaused()).toBe(false);
    expect(await snapshot(h)).toEqual(before);
  });

  it('lets an admin key name and secret in: the UI and its API', async () => {
    const authorization = basic('ops', KEYS.admin);
    const page = await h.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const api = await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization } });
    expect(api.statusCode).toBe(200);
    expect((api.json().queues as { name: string }[]).map((q) => q.name)).toContain('orders');
  });

  it('answers its 401 as problem+json UNAUTHENTICATED like the rest of the API (SPEC §4 errors)', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: basic('shop', KEYS.storefront) } });
    problem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(WWW_AUTHENTICATE);
  });
});

describe('/metrics with METRICS_PORT set', () => {
  let apart: Harness;
  beforeAll(async () => {
    apart = await startHarness({ workers: false, env: { METRICS_PORT: String(await freePort()) } });
  });
  afterAll(() => apart?.close());

  it('is not served on the API port, whatever the key, and is not documented there', async () => {
    for (const key of [null, 'storefront', 'admin'] as const) {
      problem(await apart.get('/metrics', { key }), 404, 'NOT_FOUND');
    }
    const document = (await apart.get('/docs/json', { key: null })).json<{ paths: Record<string, unknown> }>();
    expect(document.paths['/metrics']).toBeUndefined();
    expect(document.paths['/v1/orders']).toBeDefined();
  });

  it('still counts the API requests for the separate endpoint', async () => {
    expect((await apart.get('/health/live', { key: null })).statusCode).toBe(200);
    expect(await apart.runtime.metrics.registry.metrics()).toContain(
      'orderflow_http_requests_total{method="GET",route="/health/live",status="200"} 1',
    );
  });
});

describe('rate limiting (RATE_LIMIT_PER_MINUTE=5)', () => {
  const LIMIT = 5;
  const EXTRA = { kiosk: 'kiosk-storefront-secret-0001', probe: 'probe-storefront-secret-0001' };
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({
      workers: false,
      env: {
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
        API_KEYS: `shop:storefront:${KEYS.storefront},ops:admin:${KEYS.admin},kiosk:storefront:${EXTRA.kiosk},probe:storefront:${EXTRA.probe}`,
      },
    });
  });
  afterAll(() => limited?.close());

  const place = (authorization: string) =>
    limited.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization, 'idempotency-key': newKey() },
      payload: orderBody(),
    });

  function expectLimited(res: LightMyRequestResponse) {
    problem(res, 429, 'RATE_LIMITED');
    const retryAfter = res.headers['retry-after'];
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
  }

  it('answers the sixth request of a key within a minute 429 RATE_LIMITED with Retry-After, and records nothing for it', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await place(`Bearer ${KEYS.storefront}`);
      expect(res.statusCode).toBe(202);
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const before = await snapshot(limited);
    expect(await countActions(limited)).toBe(LIMIT);
    expectLimited(await place(`Bearer ${KEYS.storefront}`));
    // The budget is the key's, across routes.
    expectLimited(await limited.get(`/v1/orders/${randomUUID()}`, { key: 'storefront' }));
    expect(await snapshot(limited)).toEqual(before);
  });

  it('keeps a budget per key: other keys and callers without a key are not limited by it', async () => {
    expect((await limited.get('/v1/orders', { key: 'admin' })).statusCode).toBe(200);
    expect((await place(`Bearer ${EXTRA.kiosk}`)).statusCode).toBe(202);
    expect((await limited.get('/health/live', { key: null })).statusCode).toBe(200);
  });

  it('keeps a budget per client address for requests without a key; X-Forwarded-For does not pick another', async () => {
    const docs = (remoteAddress: string, headers: Record<string, string> = {}) =>
      limited.app.inject({ method: 'GET', url: '/docs/json', remoteAddress, headers });
    for (let i = 0; i < LIMIT; i++) expect((await docs('198.51.100.7')).statusCode).toBe(200);
    expectLimited(await docs('198.51.100.7'));
    expectLimited(await docs('198.51.100.7', { 'x-forwarded-for': '203.0.113.9' }));
    expect((await docs('198.51.100.8')).statusCode).toBe(200);
    // Health probes are never limited: a load balancer must not take a busy API out of service.
    for (let i = 0; i <= LIMIT; i++) {
      const live = await limited.app.inject({ method: 'GET', url: '/health/live', remoteAddress: '198.51.100.7' });
      expect(live.statusCode).toBe(200);
    }
  });

  it('counts a key against its budget however the Authorization header spells the scheme and spaces', async () => {
    // The storefront key's budget is spent (first test); these are the same key to the API.
    for (const authorization of [`bearer ${KEYS.storefront}`, `Bearer  ${KEYS.storefront}`, `BEARER ${KEYS.storefront} `]) {
      expectLimited(await place(authorization));
    }
  });

  it('limits guessing keys: requests refused 401 count against the budget of their address', async () => {
    const responses: LightMyRequestResponse[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      responses.push(
        await limited.app.inject({
          method: 'GET',
          url: `/v1/actions/${UNKNOWN}`,
          remoteAddress: '198.51.100.20',
          headers: { authorization: `Bearer guess-${i}-${randomUUID()}` },
        }),
      );
    }
    expect(responses.map((res) => res.statusCode)).toEqual([401, 401, 401, 401, 401, 429]);
    expectLimited(responses.at(-1)!);
  });

  it('counts requests refused 403 against the budget of the key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await limited.app.inject({ method: 'GET', url: '/v1/orders', headers: { authorization: `Bearer ${EXTRA.probe}` } })).statusCode);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
  });

  it('limits guessing bull-board credentials per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      const res = await limited.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        remoteAddress: '198.51.100.30',
        headers: { authorization: basic('ops', `guess-${i}`) },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('webhook targets inside the network (WEBHOOK_ALLOW_PRIVATE_NETWORKS unset)', () => {
  /** The targets the SSRF finding listed, every one of which a subscription once accepted. */
  const INTERNAL_TARGETS: [string, string][] = [
    ['http://127.0.0.1:5432/', '127.0.0.1 is a loopback address'],
    ['http://127.0.0.1:6379/', '127.0.0.1 is a loopback address'],
    ['http://localhost:3000/admin/queues', 'localhost names a host inside the network'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['http://[::1]:3000/', '::1 is a loopback address'],
    ['http://0.0.0.0:3000/', '0.0.0.0 is an unspecified address'],
    ['http://10.0.0.1/hook', '10.0.0.1 is a private address'],
    ['http://192.168.1.1/hook', '192.168.1.1 is a private address'],
    ['http://2130706433:6379/', '127.0.0.1 is a loopback address'],
    ['http://0x7f000001:6379/', '127.0.0.1 is a loopback address'],
    ['http://127.1:5432/', '127.0.0.1 is a loopback address'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal names a host inside the network'],
    ['http://user:pw@127.0.0.1/', 'the URL carries credentials: put secrets elsewhere'],
  ];
  let guarded: Harness;
  beforeAll(async () => {
    guarded = await startHarness({ workers: false });
  });
  afterAll(() => guarded?.close());

  const subscribe = (url: string, key: 'storefront' | 'admin' = 'admin') => guarded.post('/v1/webhooks', { url, eventTypes: ['*'] }, { key });

  it.each(INTERNAL_TARGETS)('refuses %s with 400 WEBHOOK_URL_FORBIDDEN and stores nothing', async (url, reason) => {
    const before = await snapshot(guarded);
    const body = problem(await subscribe(url), 400, 'WEBHOOK_URL_FORBIDDEN');
    expect(body.detail).toBe(`The webhook URL is refused: ${reason}.`);
    expect(body.errors).toEqual([{ path: '/url', message: reason }]);
    expect(await snapshot(guarded)).toEqual(before);
  });

  it('refuses a name that resolves to an internal address, naming the address', async () => {
    // The machine's own name is in /etc/hosts: loopback here, the container's private address under Docker.
    const host = hostname();
    const addresses = await lookup(host, { all: true });
    const before = await snapshot(guarded);
    const body = problem(await subscribe(`http://${host}:3000/hook`), 400, 'WEBHOOK_URL_FORBIDDEN');
    const message = body.errors![0]!.message;
    expect(message).toMatch(/^\S+ resolves to \S+, an? [a-z-]+ address$/);
    expect(addresses.map((a) => `${host} resolves to ${a.address},`)).toContain(message.replace(/ an? [a-z-]+ address$/, ''));
    expect(await snapshot(guarded)).toEqual(before);
  });

  it('refuses a name that does not resolve with 400 WEBHOOK_URL_UNRESOLVABLE', async () => {
    const before = await snapshot(guarded);
    const body = problem(await subscribe('https://hooks.orderflow.invalid/hook'), 400, 'WEBHOOK_URL_UNRESOLVABLE');
    expect(body.errors).toEqual([{ path: '/url', message: expect.stringMatching(/^hooks\.orderflow\.invalid does not resolve \(E[A-Z_]+\)$/) }]);
    expect(await snapshot(guarded)).toEqual(before);
  });

  it('answers a storefront key 403 before looking at the URL', async () => {
    problem(await subscribe('http://127.0.0.1:6379/', 'storefront'), 403, 'FORBIDDEN');
  });
});
