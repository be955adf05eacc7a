import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/wait.js';
import { checkInvariants } from '../support/invariants.js';
import type { HistoryEvent } from '../support/http.js';

/**
 * SPEC §3.4–3.6 through HTTP: every rejection of invoices, payments, shipments, deliveries and refunds answers 422
 * with its code, a message an operator can act on and exact details, and writes nothing but the rejection itself
 * (no document, no counter, no stock, no sequence number, no follow-up).
 */
let h: Harness;

const DAY_MS = 86_400_000;

beforeAll(async () => {
  h = await startHarness();
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/sources/east', { name: 'East warehouse' })).statusCode).toBe(201);
});
afterAll(() => h?.close());

interface Line {
  id: string;
  sku: string;
  stockable: boolean;
  qtyOrdered: number;
  qtyInvoiced: number;
  qtyShipped: number;
  qtyRefunded: number;
  qtyCanceled: number;
}
interface OrderView {
  id: string;
  number: string;
  status: string;
  items: Line[];
  totals: Record<string, number>;
  refundWindowEndsAt: string | null;
}
async function stocked(sku: string, sources: Record<string, number>): Promise<void> {
  expect((await h.put(`/v1/inventory/items/${sku}`, { sources })).statusCode).toBe(200);
}

const stock = async (sku: string) => {
  const res = await h.get(`/v1/inventory/items/${sku}`);
  expect(res.statusCode).toBe(200);
  return res.json();
};

const getOrder = async (orderId: string): Promise<OrderView> => {
  const res = await h.get(`/v1/orders/${orderId}`);
  expect(res.statusCode).toBe(200);
  return res.json();
};

/**
 * The entries the actions themselves wrote. Work after commit (e-mails, webhook deliveries, refund payments) lands
 * in the history asynchronously; test/e2e/notifications.test.ts looks at those.
 */
const history = async (orderId: string): Promise<HistoryEvent[]> => {
  const res = await h.get(`/v1/orders/${orderId}/history`);
  expect(res.statusCode).toBe(200);
  return (res.json().items as HistoryEvent[]).filter((e) => !/^(email|webhook)\./.test(e.type) && e.type !== 'refund.payment');
};

/** Places an order through the API and waits until it is applied. */
async function place(body: unknown): Promise<OrderView> {
  const res = await h.post('/v1/orders', body, { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=15' });
  expect(res.statusCode).toBe(201);
  return getOrder(res.json().orderId);
}

/** A one-line order of `qty` units at 1000, no tax, no shipping: stockable or not. */
function oneLine(sku: string, qty: number, stockable = true) {
  if (stockable) return singleLineOrder(sku, qty);
  return orderBody({
    items: [{ sku, name: sku, qty, unitPrice: 1000, stockable: false }],
    shipping: { method: 'flatrate', title: 'Flat rate', amount: 0 },
    grandTotal: qty * 1000,
  });
}

/** Posts an admin write and waits for it to end. */
const act = (path: string, body: unknown = {}) => h.post(path, body, { idempotencyKey: newKey(), prefer: 'wait=15' });

/** A success: 201 with Location of what was created; returns the action. */
function ok(res: LightMyRequestResponse, type: string) {
  expect(res.statusCode, res.body).toBe(201);
  const { action } = res.json();
  expect(action).toMatchObject({ type, status: 'succeeded', error: null });
  return action as { id: string; result: Record<string, string> };
}

const carrier = { code: 'ups', title: 'UPS' };

const invoice = async (orderId: string, body: Record<string, unknown> = {}) => {
  const action = ok(await act(`/v1/orders/${orderId}/invoices`, body), 'invoice.create');
  return (await h.get(`/v1/invoices/${action.result.invoiceId}`)).json();
};
const ship = async (orderId: string, body: Record<string, unknown> = {}) => {
  const action = ok(
    await act(`/v1/orders/${orderId}/shipments`, { source: 'main', carrier, trackingNumber: '1Z', ...body }),
    'shipment.create',
  );
  return (await h.get(`/v1/shipments/${action.result.shipmentId}`)).json();
};
const refund = async (orderId: string, body: Record<string, unknown>) => {
  const action = ok(await act(`/v1/orders/${orderId}/refunds`, body), 'refund.create');
  return (await h.get(`/v1/refunds/${action.result.refundId}`)).json();
};

/** Everything an action writes apart from its own row and the history. */
async function snapshot() {
  const q = (sql: string) => h.sql(sql);
  return {
    orders: await q('select id, status, held, updated_at from orders order by id'),
    lines: await q('select id, qty_invoiced, qty_shipped, qty_refunded, qty_canceled from order_lines order by id'),
    invoices: await q('select id, number, state, due_at, grand_total, paid_amount, updated_at from invoices order by id'),
    invoiceItems: await q('select invoice_id, line_id, qty from invoice_items order by invoice_id, line_id'),
    payments: await q('select id, invoice_id, amount from payments order by id'),
    shipments: await q('select id, number, state, delivered_at, updated_at from shipments order by id'),
    shipmentItems: await q('select shipment_id, line_id, qty from shipment_items order by shipment_id, line_id'),
    refunds: await q('select id, number, grand_total from refunds order by id'),
    refundItems: await q('select refund_id, line_id, qty from refund_items order by refund_id, line_id'),
    sequences: await q('select name, value from sequences order by name'),
    stock: await q('select sku, source_code, on_hand from stock order by sku, source_code'),
    reservations: await q('select line_id, qty from reservations order by line_id'),
    // A rejection sets off an action.rejected event, and nothing else: without subscribers, not even that.
    outbox: await q('select count(*)::int as n from outbox'),
  };
}

const PREFIX = { invoice: 'INV-', shipment: 'SHP-', refund: 'RFD-' } as const;

/** The number the next document of a gapless sequence must get. */
async function nextNumber(kind: keyof typeof PREFIX): Promise<string> {
  const [row] = await h.sql<{ value: string }>('select value from sequences where name = ?', [kind]);
  return `${PREFIX[kind]}${String(row ? Number(row.value) + 1 : 1).padStart(6, '0')}`;
}

interface Rejection {
  detail: string;
  action: { id: string; type: string; error: { code: string; message: string; details: Record<string, unknown> } };
}

/**
 * Posts a write that must be rejected with `code`: 422 problem+json carrying the rejected action, nothing written
 * but the action and one `action.rejected` history event. Returns the problem.
 */
async function refused(orderId: string, path: string, body: unknown, type: string, code: string): Promise<Rejection> {
  const before = await snapshot();
  const eventsBefore = await history(orderId);
  const lastEvent = eventsBefore.at(-1)?.id ?? 0;

  const res = await act(path, body);
  expect(res.statusCode, res.body).toBe(422);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = res.json();
  expect(problem).toMatchObject({
    type: `urn:orderflow:problem:${code}`,
    title: 'Action rejected',
    status: 422,
    code,
    action: { type, orderId, status: 'rejected', result: null, error: { code, message: problem.detail } },
  });
  expect(problem.detail).toEqual(expect.any(String));

  expect(await snapshot()).toEqual(before);
  const added = (await history(orderId)).filter((e) => e.id > lastEvent);
  expect(added).toEqual([
    expect.objectContaining({
      type: 'action.rejected',
      actionId: problem.action.id,
      data: { actionType: type, code, message: problem.detail, details: problem.action.error.details },
    }),
  ]);
  return problem;
}

const lineCounters = (line: Line) => [line.qtyInvoiced, line.qtyShipped, line.qtyRefunded, line.qtyCanceled];

describe('ORDER_ON_HOLD', () => {
  it('refuses invoice, shipment, refund and cancel while held; after unhold the next invoice gets the next number', async () => {
    await stocked('HOLD-1', { main: 10 });
    const order = await place(oneLine('HOLD-1', 2));
    const [line] = order.items;
    await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }] });
    ok(await act(`/v1/orders/${order.id}/hold`, { reason: 'fraud check' }), 'order.hold');
    const expectedInvoice = await nextNumber('invoice');
    const expectedShipment = await nextNumber('shipment');

    const message = `Order ${order.number} is on hold; release it (unhold) first.`;
    const attempts: [string, unknown, string][] = [
      ['invoices', {}, 'invoice.create'],
      ['shipments', { source: 'main', carrier, trackingNumber: '1Z' }, 'shipment.create'],
      ['refunds', { items: [{ itemId: line!.id, qty: 1, returnToStock: false }] }, 'refund.create'],
      ['cancel', { reason: 'customer asked' }, 'order.cancel'],
    ];
    for (const [path, body, type] of attempts) {
      const rejection = await refused(order.id, `/v1/orders/${order.id}/${path}`, body, type, 'ORDER_ON_HOLD');
      expect(rejection.detail).toBe(message);
      expect(rejection.action.error.details).toEqual({});
    }
    const held = await getOrder(order.id);
    expect(held.status).toBe('on_hold');
    expect(lineCounters(held.items[0]!)).toEqual([1, 0, 0, 0]);
    expect(await stock('HOLD-1')).toMatchObject({ sources: [{ code: 'main', onHand: 10 }], reserved: 2 });

    ok(await act(`/v1/orders/${order.id}/unhold`, { reason: 'cleared' }), 'order.unhold');
    expect((await invoice(order.id)).number).toBe(expectedInvoice);
    expect((await ship(order.id)).number).toBe(expectedShipment);
  });
});

describe('invoices', () => {
  it('INVOICE_NOT_ALLOWED when nothing is left to invoice (fully invoiced, or canceled)', async () => {
    const order = await place(oneLine('INV-NA', 2));
    await invoice(order.id);
    const rejection = await refused(order.id, `/v1/orders/${order.id}/invoices`, {}, 'invoice.create', 'INVOICE_NOT_ALLOWED');
    expect(rejection.detail).toBe(`Order ${order.number} has nothing left to invoice.`);

    const canceled = await place(oneLine('INV-NA', 1));
    ok(await act(`/v1/orders/${canceled.id}/cancel`, {}), 'order.cancel');
    const again = await refused(canceled.id, `/v1/orders/${canceled.id}/invoices`, { state: 'pending' }, 'invoice.create', 'INVOICE_NOT_ALLOWED');
    expect(again.detail).toBe(`Order ${canceled.number} has nothing left to invoice.`);
  });

  it('INVALID_QUANTITY when more is invoiced than is left, duplicates of a line added up', async () => {
    const order = await place(oneLine('INV-QTY', 2));
    const [line] = order.items;
    const over = await refused(
      order.id, `/v1/orders/${order.id}/invoices`, { items: [{ itemId: line!.id, qty: 3 }] }, 'invoice.create', 'INVALID_QUANTITY',
    );
    expect(over.detail).toBe('Cannot invoice 3 of INV-QTY (at most 2).');
    expect(over.action.error.details).toEqual({ items: [{ itemId: line!.id, sku: 'INV-QTY', requested: 3, available: 2 }] });

    await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }] });
    const split = await refused(
      order.id,
      `/v1/orders/${order.id}/invoices`,
      { items: [{ itemId: line!.id, qty: 1 }, { itemId: line!.id, qty: 1 }] },
      'invoice.create',
      'INVALID_QUANTITY',
    );
    expect(split.detail).toBe('Cannot invoice 2 of INV-QTY (at most 1).');
    expect(split.action.error.details).toEqual({ items: [{ itemId: line!.id, sku: 'INV-QTY', requested: 2, available: 1 }] });
  });

  it('INVOICE_EMPTY when every quantity is zero; the next invoice takes the next number', async () => {
    const order = await place(orderBody());
    const [shirt, ebook] = order.items;
    const expected = await nextNumber('invoice');
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/invoices`,
      { items: [{ itemId: shirt!.id, qty: 0 }, { itemId: ebook!.id, qty: 0 }] },
      'invoice.create',
      'INVOICE_EMPTY',
    );
    expect(rejection.detail).toBe(
      'Every quantity of the invoice is zero; give at least one item a quantity, or leave items out to invoice all that is still to invoice.',
    );
    expect(rejection.action.error.details).toEqual({});
    const created = await invoice(order.id, { items: [{ itemId: shirt!.id, qty: 1 }, { itemId: ebook!.id, qty: 0 }] });
    expect(created.number).toBe(expected);
    expect(created.items).toEqual([
      { itemId: shirt!.id, sku: 'TSHIRT-M', qty: 1, unitPrice: 1999, rowTotal: 1999, taxAmount: 200, discountAmount: 0 },
    ]);
  });

  it('a pending invoice is due 14 days after creation with dueInDays 14, 30 days by default; a paid one has no due date', async () => {
    const order = await place(oneLine('DUE-1', 3));
    const [line] = order.items;
    const fourteen = await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }], state: 'pending', dueInDays: 14 });
    expect(fourteen).toMatchObject({ state: 'pending', grandTotal: 1000, paidAmount: 0 });
    expect(Date.parse(fourteen.dueAt) - Date.parse(fourteen.createdAt)).toBe(14 * DAY_MS);

    const byDefault = await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }], state: 'pending' });
    expect(byDefault.state).toBe('pending');
    expect(Date.parse(byDefault.dueAt) - Date.parse(byDefault.createdAt)).toBe(30 * DAY_MS);

    const paid = await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }] });
    expect(paid).toMatchObject({ state: 'paid', dueAt: null, paidAmount: 1000 });
  });
});

describe('payments', () => {
  it('PAYMENT_EXCEEDS_DUE names what is due, before and after a partial payment', async () => {
    const order = await place(oneLine('PAY-1', 2));
    const pending = await invoice(order.id, { state: 'pending' });
    expect(pending).toMatchObject({ state: 'pending', grandTotal: 2000, paidAmount: 0 });

    const over = await refused(
      order.id, `/v1/invoices/${pending.id}/payments`, { amount: 2001, method: 'banktransfer' }, 'invoice.pay', 'PAYMENT_EXCEEDS_DUE',
    );
    expect(over.detail).toBe(`Invoice ${pending.number} has 2000 due; a payment of 2001 is more.`);
    expect(over.action.error.details).toEqual({ due: 2000 });

    ok(await act(`/v1/invoices/${pending.id}/payments`, { amount: 1500, method: 'banktransfer', reference: 'BT-1' }), 'invoice.pay');
    const rest = await refused(
      order.id, `/v1/invoices/${pending.id}/payments`, { amount: 501, method: 'banktransfer' }, 'invoice.pay', 'PAYMENT_EXCEEDS_DUE',
    );
    expect(rest.detail).toBe(`Invoice ${pending.number} has 500 due; a payment of 501 is more.`);
    expect(rest.action.error.details).toEqual({ due: 500 });
    expect((await h.get(`/v1/invoices/${pending.id}`)).json()).toMatchObject({ state: 'pending', paidAmount: 1500 });
    expect((await getOrder(order.id)).totals).toMatchObject({ invoiced: 2000, paid: 1500, due: 500 });
  });

  it('INVOICE_ALREADY_PAID for a paid invoice, whether paid at creation or by payments', async () => {
    const order = await place(oneLine('PAY-2', 2));
    const [line] = order.items;
    const paid = await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }] });
    const first = await refused(
      order.id, `/v1/invoices/${paid.id}/payments`, { amount: 1, method: 'banktransfer' }, 'invoice.pay', 'INVOICE_ALREADY_PAID',
    );
    expect(first.detail).toBe(`Invoice ${paid.number} is already paid.`);

    const pending = await invoice(order.id, { state: 'pending' });
    ok(await act(`/v1/invoices/${pending.id}/payments`, { amount: 1000, method: 'banktransfer' }), 'invoice.pay');
    expect((await h.get(`/v1/invoices/${pending.id}`)).json()).toMatchObject({ state: 'paid', paidAmount: 1000 });
    const second = await refused(
      order.id, `/v1/invoices/${pending.id}/payments`, { amount: 1, method: 'banktransfer' }, 'invoice.pay', 'INVOICE_ALREADY_PAID',
    );
    expect(second.detail).toBe(`Invoice ${pending.number} is already paid.`);
    const payments = await h.sql<{ amount: string }>('select amount from payments where invoice_id = ?', [pending.id]);
    expect(payments.map((p) => Number(p.amount))).toEqual([1000]);
  });

  it('a payment to an unknown invoice is 404 and records no action', async () => {
    const [before] = await h.sql<{ n: number }>('select count(*)::int as n from actions');
    const res = await act('/v1/invoices/0193a0a0-0000-7000-8000-000000000000/payments', { amount: 100, method: 'banktransfer' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await h.sql('select count(*)::int as n from actions')).toEqual([before]);
  });
});

describe('shipments', () => {
  it('SHIPMENT_NOT_ALLOWED when all is shipped, and for an order of virtual goods only', async () => {
    await stocked('SHP-NA', { main: 10 });
    const order = await place(oneLine('SHP-NA', 2));
    await ship(order.id);
    const body = { source: 'main', carrier, trackingNumber: '1Z' };
    const rejection = await refused(order.id, `/v1/orders/${order.id}/shipments`, body, 'shipment.create', 'SHIPMENT_NOT_ALLOWED');
    expect(rejection.detail).toBe(`Order ${order.number} has nothing left to ship.`);

    const virtual = await place(oneLine('EBOOK-NA', 1, false));
    const again = await refused(virtual.id, `/v1/orders/${virtual.id}/shipments`, body, 'shipment.create', 'SHIPMENT_NOT_ALLOWED');
    expect(again.detail).toBe(`Order ${virtual.number} has nothing left to ship.`);
  });

  it('ITEM_NOT_SHIPPABLE for a non-stockable line, even next to a shippable one', async () => {
    await stocked('SHP-VIRT', { main: 10 });
    const body = orderBody();
    body.items[0] = { ...body.items[0]!, sku: 'SHP-VIRT' };
    const order = await place(body);
    const [shirt, ebook] = order.items;
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/shipments`,
      { source: 'main', carrier, trackingNumber: '1Z', items: [{ itemId: shirt!.id, qty: 1 }, { itemId: ebook!.id, qty: 1 }] },
      'shipment.create',
      'ITEM_NOT_SHIPPABLE',
    );
    expect(rejection.detail).toBe('EBOOK-1 cannot be shipped: not stockable (virtual or downloadable).');
    expect(rejection.action.error.details).toEqual({ itemIds: [ebook!.id] });
    expect(await stock('SHP-VIRT')).toMatchObject({ sources: [{ code: 'main', onHand: 10 }], reserved: 2 });
  });

  it('INVALID_QUANTITY when more is shipped than is left to ship', async () => {
    await stocked('SHP-QTY', { main: 10 });
    const order = await place(oneLine('SHP-QTY', 2));
    const [line] = order.items;
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/shipments`,
      { source: 'main', carrier, trackingNumber: '1Z', items: [{ itemId: line!.id, qty: 3 }] },
      'shipment.create',
      'INVALID_QUANTITY',
    );
    expect(rejection.detail).toBe('Cannot ship 3 of SHP-QTY (at most 2).');
    expect(rejection.action.error.details).toEqual({ items: [{ itemId: line!.id, sku: 'SHP-QTY', requested: 3, available: 2 }] });
  });

  it('SHIPMENT_EMPTY when every quantity is zero; the next shipment takes the next number', async () => {
    await stocked('SHP-EMPTY', { main: 10 });
    const order = await place(oneLine('SHP-EMPTY', 2));
    const [line] = order.items;
    const expected = await nextNumber('shipment');
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/shipments`,
      { source: 'main', carrier, trackingNumber: '1Z', items: [{ itemId: line!.id, qty: 0 }] },
      'shipment.create',
      'SHIPMENT_EMPTY',
    );
    expect(rejection.detail).toBe(
      'Every quantity of the shipment is zero; give at least one item a quantity, or leave items out to ship all that is still to ship.',
    );
    expect((await ship(order.id, { items: [{ itemId: line!.id, qty: 1 }] })).number).toBe(expected);
  });

  it('UNKNOWN_SOURCE for a source inventory does not know', async () => {
    await stocked('SHP-SRC', { main: 10 });
    const order = await place(oneLine('SHP-SRC', 2));
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/shipments`,
      { source: 'nowhere', carrier, trackingNumber: '1Z' },
      'shipment.create',
      'UNKNOWN_SOURCE',
    );
    expect(rejection.detail).toBe(
      'There is no inventory source nowhere; create it with PUT /v1/inventory/sources/nowhere or ship from another.',
    );
    expect(rejection.action.error.details).toEqual({ source: 'nowhere' });
  });

  it('INSUFFICIENT_STOCK names the SKU and what the source has; stock, reservation and numbers stay', async () => {
    await stocked('SCARCE', { main: 5, east: 1 });
    const order = await place(oneLine('SCARCE', 2));
    const expected = await nextNumber('shipment');
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/shipments`,
      { source: 'east', carrier, trackingNumber: '1Z' },
      'shipment.create',
      'INSUFFICIENT_STOCK',
    );
    expect(rejection.detail).toBe('Source east holds too little: SCARCE 1 on hand, 2 to ship.');
    expect(rejection.action.error.details).toEqual({ source: 'east', items: [{ sku: 'SCARCE', requested: 2, available: 1 }] });
    expect(await stock('SCARCE')).toEqual({
      sku: 'SCARCE',
      sources: [{ code: 'east', onHand: 1, active: true }, { code: 'main', onHand: 5, active: true }],
      reserved: 2,
      salable: 4,
    });

    const shipment = await ship(order.id, { source: 'main' });
    expect(shipment).toMatchObject({ number: expected, source: 'main', state: 'dispatched' });
    expect(await stock('SCARCE')).toMatchObject({
      sources: [{ code: 'east', onHand: 1 }, { code: 'main', onHand: 3 }],
      reserved: 0,
      salable: 4,
    });
  });

  it('UNKNOWN_ITEM for an item id of another order, for invoice, shipment and refund; neither order is touched', async () => {
    await stocked('UNK-A', { main: 10 });
    await stocked('UNK-B', { main: 10 });
    const a = await place(oneLine('UNK-A', 2));
    const b = await place(oneLine('UNK-B', 2));
    const [lineA] = a.items;
    const [lineB] = b.items;
    await invoice(a.id, { items: [{ itemId: lineA!.id, qty: 1 }] });
    await invoice(b.id);
    const historyOfB = await history(b.id);
    const message = `Item(s) ${lineB!.id} are not lines of this order.`;

    const attempts: [string, unknown, string][] = [
      ['invoices', { items: [{ itemId: lineB!.id, qty: 1 }] }, 'invoice.create'],
      ['invoices', { items: [{ itemId: lineA!.id, qty: 1 }, { itemId: lineB!.id, qty: 1 }] }, 'invoice.create'],
      [
        'shipments',
        { source: 'main', carrier, trackingNumber: '1Z', items: [{ itemId: lineA!.id, qty: 1 }, { itemId: lineB!.id, qty: 1 }] },
        'shipment.create',
      ],
      ['refunds', { items: [{ itemId: lineB!.id, qty: 1, returnToStock: true }] }, 'refund.create'],
      [
        'refunds',
        { items: [{ itemId: lineA!.id, qty: 1, returnToStock: false }, { itemId: lineB!.id, qty: 1, returnToStock: false }] },
        'refund.create',
      ],
    ];
    for (const [path, body, type] of attempts) {
      const rejection = await refused(a.id, `/v1/orders/${a.id}/${path}`, body, type, 'UNKNOWN_ITEM');
      expect(rejection.detail).toBe(message);
      expect(rejection.action.error.details).toEqual({ itemIds: [lineB!.id] });
    }
    expect(lineCounters((await getOrder(a.id)).items[0]!)).toEqual([1, 0, 0, 0]);
    expect(lineCounters((await getOrder(b.id)).items[0]!)).toEqual([2, 0, 0, 0]);
    expect(await history(b.id)).toEqual(historyOfB);
    expect(await stock('UNK-B')).toMatchObject({ sources: [{ code: 'main', onHand: 10 }], reserved: 2 });
  });
});

describe('deliveries', () => {
  it('INVALID_DELIVERY_TIME before dispatch or in the future; the shipment stays dispatched', async () => {
    await stocked('DLV-1', { main: 10 });
    const order = await place(oneLine('DLV-1', 1));
    const shipment = await ship(order.id);
    const path = `/v1/shipments/${shipment.id}/delivery`;

    const early = new Date(Date.parse(shipment.createdAt) - 3_600_000).toISOString();
    const before = await refused(order.id, path, { deliveredAt: early }, 'shipment.deliver', 'INVALID_DELIVERY_TIME');
    expect(before.detail).toBe(
      `Shipment ${shipment.number} cannot have been delivered at ${early}: it left at ${shipment.createdAt}.`,
    );
    expect(before.action.error.details).toEqual({ deliveredAt: early, dispatchedAt: shipment.createdAt });

    const future = new Date(Date.now() + DAY_MS).toISOString();
    const later = await refused(order.id, path, { deliveredAt: future }, 'shipment.deliver', 'INVALID_DELIVERY_TIME');
    expect(later.action.error.details).toEqual({ deliveredAt: future, dispatchedAt: shipment.createdAt });
    expect((await h.get(`/v1/shipments/${shipment.id}`)).json()).toMatchObject({ state: 'dispatched', deliveredAt: null });

    const at = new Date(Date.parse(shipment.createdAt) + 1000).toISOString();
    ok(await act(path, { deliveredAt: at }), 'shipment.deliver');
    expect((await h.get(`/v1/shipments/${shipment.id}`)).json()).toMatchObject({ state: 'delivered', deliveredAt: at });
  });

  it('a delivery of an unknown shipment is 404 and records no action', async () => {
    const [before] = await h.sql<{ n: number }>('select count(*)::int as n from actions');
    const res = await act('/v1/shipments/0193a0a0-0000-7000-8000-000000000001/delivery', {});
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await h.sql('select count(*)::int as n from actions')).toEqual([before]);
  });
});

describe('refunds', () => {
  it('REFUND_NOT_ALLOWED when nothing was invoiced and no money came', async () => {
    const order = await place(oneLine('RF-NA', 2));
    const rejection = await refused(order.id, `/v1/orders/${order.id}/refunds`, { adjustmentRefund: 100 }, 'refund.create', 'REFUND_NOT_ALLOWED');
    expect(rejection.detail).toBe(`Order ${order.number} has nothing invoiced left to refund and no money left.`);
    expect(rejection.action.error.details).toEqual({});
  });

  it('INVALID_QUANTITY when more is refunded than was invoiced and not yet refunded', async () => {
    const order = await place(oneLine('RF-QTY', 2));
    const [line] = order.items;
    await invoice(order.id, { items: [{ itemId: line!.id, qty: 1 }] });
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/refunds`,
      { items: [{ itemId: line!.id, qty: 2, returnToStock: false }] },
      'refund.create',
      'INVALID_QUANTITY',
    );
    expect(rejection.detail).toBe('Cannot refund 2 of RF-QTY (at most 1).');
    expect(rejection.action.error.details).toEqual({ items: [{ itemId: line!.id, sku: 'RF-QTY', requested: 2, available: 1 }] });
  });

  it('REFUND_WINDOW_EXPIRED for shipped goods 40 days after shipment; a delivery restarts it; an admin override is recorded', async () => {
    await stocked('WIN-1', { main: 10 });
    const order = await place(oneLine('WIN-1', 2));
    const [line] = order.items;
    await invoice(order.id);
    const shipment = await ship(order.id);
    await h.sql(`update shipments set created_at = now() - interval '40 days', delivered_at = null where id = ?`, [shipment.id]);
    const [row] = await h.sql<{ created_at: Date }>('select created_at from shipments where id = ?', [shipment.id]);
    const windowEnd = new Date(new Date(row!.created_at).getTime() + 30 * DAY_MS).toISOString();
    expect((await getOrder(order.id)).refundWindowEndsAt).toBe(windowEnd);

    const path = `/v1/orders/${order.id}/refunds`;
    const body = { items: [{ itemId: line!.id, qty: 1, returnToStock: true }], reason: 'did not fit' };
    const expected = await nextNumber('refund');
    const rejection = await refused(order.id, path, body, 'refund.create', 'REFUND_WINDOW_EXPIRED');
    expect(rejection.detail).toBe(
      `The refund window of order ${order.number} ended at ${windowEnd}; an admin can override it with a reason.`,
    );
    expect(rejection.action.error.details).toEqual({ windowEndedAt: windowEnd });

    // The override goes through and says why in the history.
    const overridden = ok(await act(path, { ...body, overrideWindow: { reason: 'goodwill' } }), 'refund.create');
    const memo = (await h.get(`/v1/refunds/${overridden.result.refundId}`)).json();
    expect(memo).toMatchObject({ number: expected, grandTotal: 1000, reason: 'did not fit' });
    const event = (await history(order.id)).find((e) => e.actionId === overridden.id && e.type === 'refund.create');
    expect(event?.data).toMatchObject({ refundId: memo.id, windowOverride: { reason: 'goodwill' } });
    expect(await stock('WIN-1')).toMatchObject({ sources: [{ code: 'main', onHand: 9 }], reserved: 0 });

    // A delivery recorded 10 days ago starts the window again: the last unit needs no override.
    await h.sql(`update shipments set delivered_at = now() - interval '10 days', state = 'delivered' where id = ?`, [shipment.id]);
    const inWindow = ok(await act(path, { items: [{ itemId: line!.id, qty: 1, returnToStock: false }] }), 'refund.create');
    const plain = (await history(order.id)).find((e) => e.actionId === inWindow.id && e.type === 'refund.create');
    expect(plain?.data).not.toHaveProperty('windowOverride');
    expect((await getOrder(order.id)).status).toBe('closed');
  });

  it('refunding units never shipped is not limited by an expired window; shipped ones are', async () => {
    await stocked('WIN-2', { main: 10 });
    const order = await place(oneLine('WIN-2', 2));
    const [line] = order.items;
    await invoice(order.id);
    const shipment = await ship(order.id, { items: [{ itemId: line!.id, qty: 1 }] });
    await h.sql(`update shipments set created_at = now() - interval '40 days', delivered_at = null where id = ?`, [shipment.id]);
    expect(await stock('WIN-2')).toMatchObject({ sources: [{ code: 'main', onHand: 9 }], reserved: 1 });

    const path = `/v1/orders/${order.id}/refunds`;
    const unshipped = ok(await act(path, { items: [{ itemId: line!.id, qty: 1, returnToStock: true }] }), 'refund.create');
    const event = (await history(order.id)).find((e) => e.actionId === unshipped.id && e.type === 'refund.create');
    expect(event?.data).toMatchObject({ items: [{ itemId: line!.id, qty: 1, fromUnshipped: 1, fromShipped: [] }] });
    expect(event?.data).not.toHaveProperty('windowOverride');
    expect(await stock('WIN-2')).toMatchObject({ sources: [{ code: 'main', onHand: 9 }], reserved: 0 });

    const shipped = await refused(order.id, path, { items: [{ itemId: line!.id, qty: 1, returnToStock: true }] }, 'refund.create', 'REFUND_WINDOW_EXPIRED');
    expect(shipped.detail).toMatch(/an admin can override it with a reason\.$/);
  });

  it('INVALID_SHIPPING_AMOUNT names the shipping left to refund', async () => {
    const body = orderBody();
    body.items[0] = { ...body.items[0]!, sku: 'RF-SHIP' };
    const order = await place(body);
    await invoice(order.id);
    const path = `/v1/orders/${order.id}/refunds`;
    const over = await refused(order.id, path, { shipping: 501 }, 'refund.create', 'INVALID_SHIPPING_AMOUNT');
    expect(over.detail).toBe('At most 500 of shipping can be refunded (invoiced shipping less shipping already refunded).');
    expect(over.action.error.details).toEqual({ refundableShipping: 500 });

    const expected = await nextNumber('refund');
    const shippingOnly = await refund(order.id, { shipping: 500 });
    expect(shippingOnly).toMatchObject({ number: expected, shipping: 500, shippingTax: 100, tax: 100, grandTotal: 600 });
    const again = await refused(order.id, path, { shipping: 1 }, 'refund.create', 'INVALID_SHIPPING_AMOUNT');
    expect(again.detail).toBe('At most 0 of shipping can be refunded (invoiced shipping less shipping already refunded).');
    expect(again.action.error.details).toEqual({ refundableShipping: 0 });
  });

  it('REFUND_ZERO when the refund comes to nothing', async () => {
    const order = await place(oneLine('RF-ZERO', 2));
    const [line] = order.items;
    await invoice(order.id);
    const path = `/v1/orders/${order.id}/refunds`;
    for (const body of [
      {},
      { items: [{ itemId: line!.id, qty: 0, returnToStock: false }] },
      { adjustmentRefund: 300, adjustmentFee: 300 },
    ]) {
      const rejection = await refused(order.id, path, body, 'refund.create', 'REFUND_ZERO');
      expect(rejection.detail).toBe('The refund comes to zero; refund items, shipping or an adjustment.');
      expect(rejection.action.error.details).toEqual({});
    }
  });

  it('REFUND_NEGATIVE when the fee is larger than what is refunded', async () => {
    const order = await place(oneLine('RF-NEG', 2));
    const [line] = order.items;
    await invoice(order.id);
    const rejection = await refused(
      order.id,
      `/v1/orders/${order.id}/refunds`,
      { items: [{ itemId: line!.id, qty: 1, returnToStock: false }], adjustmentFee: 1500 },
      'refund.create',
      'REFUND_NEGATIVE',
    );
    expect(rejection.detail).toBe(
      'The refund comes to -500: the fee exceeds what is refunded; lower adjustmentFee to at most 1000.',
    );
    expect(rejection.action.error.details).toEqual({ grandTotal: -500, maxAdjustmentFee: 1000 });
  });

  it('REFUND_LIMIT_EXCEEDED on a pending invoice: no money came, refundable 0; then only what was paid', async () => {
    const order = await place(oneLine('RF-PEND', 2));
    const [line] = order.items;
    const pending = await invoice(order.id, { state: 'pending' });
    const path = `/v1/orders/${order.id}/refunds`;
    const body = { items: [{ itemId: line!.id, qty: 1, returnToStock: false }] };

    const none = await refused(order.id, path, body, 'refund.create', 'REFUND_LIMIT_EXCEEDED');
    expect(none.detail).toBe('The refund of 1000 exceeds the refundable amount of 0 (money received less money refunded).');
    expect(none.action.error.details).toEqual({ refundable: 0, grandTotal: 1000 });

    ok(await act(`/v1/invoices/${pending.id}/payments`, { amount: 600, method: 'banktransfer' }), 'invoice.pay');
    const part = await refused(order.id, path, body, 'refund.create', 'REFUND_LIMIT_EXCEEDED');
    expect(part.detail).toBe('The refund of 1000 exceeds the refundable amount of 600 (money received less money refunded).');
    expect(part.action.error.details).toEqual({ refundable: 600, grandTotal: 1000 });
    expect((await getOrder(order.id)).totals).toMatchObject({ paid: 600, refunded: 0, refundable: 600 });
  });

  it('REFUND_LIMIT_EXCEEDED after a partial refund states exactly what is left; that much still goes through', async () => {
    const order = await place(oneLine('RF-PART', 2));
    const [line] = order.items;
    await invoice(order.id);
    const path = `/v1/orders/${order.id}/refunds`;
    await refund(order.id, { items: [{ itemId: line!.id, qty: 1, returnToStock: false }] });

    const expected = await nextNumber('refund');
    const over = await refused(
      order.id, path, { items: [{ itemId: line!.id, qty: 1, returnToStock: false }], adjustmentRefund: 1 }, 'refund.create', 'REFUND_LIMIT_EXCEEDED',
    );
    expect(over.detail).toBe('The refund of 1001 exceeds the refundable amount of 1000 (money received less money refunded).');
    expect(over.action.error.details).toEqual({ refundable: 1000, grandTotal: 1001 });

    const last = await refund(order.id, { items: [{ itemId: line!.id, qty: 1, returnToStock: false }] });
    expect(last).toMatchObject({ number: expected, grandTotal: 1000 });
    const closed = await getOrder(order.id);
    expect(closed.status).toBe('closed');
    expect(closed.totals).toMatchObject({ paid: 2000, refunded: 2000, refundable: 0 });
  });

  it('returnToStock false leaves on-hand as it is; true puts the unit back where it left from', async () => {
    await stocked('RF-STOCK', { main: 10 });
    const order = await place(oneLine('RF-STOCK', 2));
    const [line] = order.items;
    await invoice(order.id);
    await ship(order.id);
    expect(await stock('RF-STOCK')).toMatchObject({ sources: [{ code: 'main', onHand: 8 }], reserved: 0, salable: 8 });

    const kept = await refund(order.id, { items: [{ itemId: line!.id, qty: 1, returnToStock: false }] });
    expect(kept.items).toEqual([
      { itemId: line!.id, sku: 'RF-STOCK', qty: 1, unitPrice: 1000, rowTotal: 1000, taxAmount: 0, discountAmount: 0, returnToStock: false },
    ]);
    expect(await stock('RF-STOCK')).toMatchObject({ sources: [{ code: 'main', onHand: 8 }], reserved: 0, salable: 8 });

    await refund(order.id, { items: [{ itemId: line!.id, qty: 1, returnToStock: true }] });
    expect(await stock('RF-STOCK')).toMatchObject({ sources: [{ code: 'main', onHand: 9 }], reserved: 0, salable: 9 });
  });

  it('pays the refund back through the offline provider: paymentStatus succeeded and a refund.payment event', async () => {
    const order = await place(oneLine('RF-PAY', 1));
    await invoice(order.id);
    const memo = await refund(order.id, { items: [{ itemId: order.items[0]!.id, qty: 1, returnToStock: false }] });
    expect(['pending', 'succeeded']).toContain(memo.paymentStatus);

    const paid = await eventually('the refund to be paid back', async () => {
      const view = (await h.get(`/v1/refunds/${memo.id}`)).json();
      return view.paymentStatus === 'succeeded' ? view : null;
    });
    expect(paid).toMatchObject({ id: memo.id, grandTotal: 1000, paymentStatus: 'succeeded' });
    const events = ((await h.get(`/v1/orders/${order.id}/history`)).json().items as HistoryEvent[]).filter(
      (e) => e.type === 'refund.payment',
    );
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'system',
        data: { refundId: memo.id, number: memo.number, provider: 'offline', status: 'succeeded', reference: `offline:${memo.id}` },
      }),
    ]);
  });
});

it('leaves a database that keeps every invariant', async () => {
  expect(await checkInvariants(h.sql)).toEqual([]);
});
