import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import type { HistoryEvent } from '../support/http.js';

/**
 * SPEC §3.2 through HTTP: the order status after every step, for a fresh one-line order of 2 units per row
 * (stockable unless said otherwise), and the `status.changed` history events {from, to} each change leaves.
 */
let h: Harness;
const SKU = 'STATUS-2';

beforeAll(async () => {
  h = await startHarness();
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  expect((await h.put(`/v1/inventory/items/${SKU}`, { sources: { main: 1000 } })).statusCode).toBe(200);
});
afterAll(() => h?.close());

interface Ctx {
  orderId: string;
  lineId: string;
  invoiceIds: string[];
}

type Step =
  | { invoice: number; pending?: true }
  | { ship: number }
  | { refund: number }
  | { pay: number; on?: number }
  | 'cancel'
  | 'hold'
  | 'unhold';

const describeStep = (step: Step) => (typeof step === 'string' ? step : JSON.stringify(step));

const act = (path: string, body: unknown = {}) => h.post(path, body, { idempotencyKey: newKey(), prefer: 'wait=15' });

function succeeded(res: LightMyRequestResponse, what: string): string {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(201);
  expect(res.json().action.status).toBe('succeeded');
  return res.json().action.id;
}

/** Applies one step through the API; returns the id of its action. */
async function apply(ctx: Ctx, step: Step): Promise<string> {
  const order = `/v1/orders/${ctx.orderId}`;
  const what = describeStep(step);
  if (step === 'cancel' || step === 'hold' || step === 'unhold') return succeeded(await act(`${order}/${step}`, { reason: 'test' }), what);
  if ('invoice' in step) {
    const res = await act(`${order}/invoices`, {
      items: [{ itemId: ctx.lineId, qty: step.invoice }],
      state: step.pending ? 'pending' : 'paid',
    });
    const id = succeeded(res, what);
    ctx.invoiceIds.push(res.json().action.result.invoiceId);
    return id;
  }
  if ('ship' in step) {
    return succeeded(
      await act(`${order}/shipments`, {
        source: 'main',
        carrier: { code: 'ups', title: 'UPS' },
        trackingNumber: '1Z',
        items: [{ itemId: ctx.lineId, qty: step.ship }],
      }),
      what,
    );
  }
  if ('refund' in step) {
    return succeeded(await act(`${order}/refunds`, { items: [{ itemId: ctx.lineId, qty: step.refund, returnToStock: true }] }), what);
  }
  const invoiceId = step.on === undefined ? ctx.invoiceIds.at(-1)! : ctx.invoiceIds[step.on]!;
  return succeeded(await act(`/v1/invoices/${invoiceId}/payments`, { amount: step.pay, method: 'banktransfer' }), what);
}

const statusOf = async (orderId: string): Promise<string> => {
  const res = await h.get(`/v1/orders/${orderId}`);
  expect(res.statusCode).toBe(200);
  return res.json().status;
};

/**
 * Places a fresh order, applies the steps one by one and checks the status after placement and after each step;
 * then checks that the history holds exactly one `status.changed` {from, to} per change, from the action that
 * caused it.
 */
async function run(steps: Step[], statuses: string[], options: { stockable?: boolean } = {}): Promise<void> {
  expect(statuses).toHaveLength(steps.length + 1);
  const body =
    options.stockable === false
      ? orderBody({
          items: [{ sku: 'VIRTUAL-2', name: 'Virtual', qty: 2, unitPrice: 1000, stockable: false }],
          shipping: { method: 'flatrate', title: 'Flat rate', amount: 0 },
          grandTotal: 2000,
        })
      : singleLineOrder(SKU, 2);
  const placed = await h.post('/v1/orders', body, { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=15' });
  const placeId = succeeded(placed, 'place');
  const orderId: string = placed.json().orderId;
  const order = (await h.get(`/v1/orders/${orderId}`)).json();
  expect(order.items).toHaveLength(1);
  const ctx: Ctx = { orderId, lineId: order.items[0].id, invoiceIds: [] };

  const observed = [await statusOf(orderId)];
  const expectedChanges: { actionId: string; data: { from: string | null | undefined; to: string | undefined } }[] = [
    { actionId: placeId, data: { from: null, to: statuses[0] } },
  ];
  for (const [index, step] of steps.entries()) {
    const actionId = await apply(ctx, step);
    observed.push(await statusOf(orderId));
    if (statuses[index + 1] !== statuses[index]) {
      expectedChanges.push({ actionId, data: { from: statuses[index], to: statuses[index + 1] } });
    }
  }
  expect(observed).toEqual(statuses);

  const res = await h.get(`/v1/orders/${orderId}/history`);
  expect(res.statusCode).toBe(200);
  const changes = (res.json().items as HistoryEvent[])
    .filter((e) => e.type === 'status.changed')
    .map((e) => ({ actionId: e.actionId, data: e.data }));
  expect(changes).toEqual(expectedChanges);
}

describe('order status after each step (SPEC §3.2), a stockable line of 2', () => {
  it('place → pending', () => run([], ['pending']));

  it('invoice 2 → processing', () => run([{ invoice: 2 }], ['pending', 'processing']));

  it('invoice 2, ship 2 → completed', () => run([{ invoice: 2 }, { ship: 2 }], ['pending', 'processing', 'completed']));

  it('ship 2 alone → processing (still to invoice)', () => run([{ ship: 2 }], ['pending', 'processing']));

  it('invoice 1, ship 1, cancel → completed', () =>
    run([{ invoice: 1 }, { ship: 1 }, 'cancel'], ['pending', 'processing', 'processing', 'completed']));

  it('invoice 1, cancel, refund 1 → closed', () =>
    run([{ invoice: 1 }, 'cancel', { refund: 1 }], ['pending', 'processing', 'processing', 'closed']));

  it('cancel → canceled', () => run(['cancel'], ['pending', 'canceled']));

  it('invoice 2, refund 2 → closed', () => run([{ invoice: 2 }, { refund: 2 }], ['pending', 'processing', 'closed']));

  it('invoice 2, refund 1 → processing; then ship 1 → completed', () =>
    run([{ invoice: 2 }, { refund: 1 }, { ship: 1 }], ['pending', 'processing', 'processing', 'completed']));

  it('invoice 2, ship 2, refund 1 → completed', () =>
    run([{ invoice: 2 }, { ship: 2 }, { refund: 1 }], ['pending', 'processing', 'completed', 'completed']));

  it('a non-stockable line invoiced → completed (nothing to ship)', () =>
    run([{ invoice: 2 }], ['pending', 'completed'], { stockable: false }));

  it('a pending invoice → pending_payment until paid in full, then processing (nothing shipped)', () =>
    run(
      [{ invoice: 2, pending: true }, { pay: 500 }, { pay: 1500 }],
      ['pending', 'pending_payment', 'pending_payment', 'processing'],
    ));

  it('shipped, then a pending invoice → pending_payment; paid in full → completed', () =>
    run([{ ship: 2 }, { invoice: 2, pending: true }, { pay: 2000 }], ['pending', 'processing', 'pending_payment', 'completed']));

  it('a pending invoice for part, a paid one for the rest → pending_payment until the pending one is paid', () =>
    run(
      [{ ship: 2 }, { invoice: 1, pending: true }, { invoice: 1 }, { pay: 1000, on: 0 }],
      ['pending', 'processing', 'pending_payment', 'pending_payment', 'completed'],
    ));

  it('hold → on_hold, unhold → pending again', () => run(['hold', 'unhold'], ['pending', 'on_hold', 'pending']));

  it('hold a processing order → on_hold, unhold → processing again', () =>
    run([{ invoice: 1 }, 'hold', 'unhold'], ['pending', 'processing', 'on_hold', 'processing']));

  it('hold a pending_payment order → on_hold, unhold → pending_payment again; paid → processing', () =>
    run(
      [{ invoice: 2, pending: true }, 'hold', 'unhold', { pay: 2000 }],
      ['pending', 'pending_payment', 'on_hold', 'pending_payment', 'processing'],
    ));

  it('holding a completed order is refused with HOLD_NOT_ALLOWED and leaves it completed', async () => {
    const placed = await h.post('/v1/orders', singleLineOrder(SKU, 2), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=15' });
    const orderId: string = placed.json().orderId;
    const ctx: Ctx = { orderId, lineId: (await h.get(`/v1/orders/${orderId}`)).json().items[0].id, invoiceIds: [] };
    await apply(ctx, { invoice: 2 });
    await apply(ctx, { ship: 2 });
    expect(await statusOf(orderId)).toBe('completed');
    const res = await act(`/v1/orders/${orderId}/hold`, { reason: 'late' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'HOLD_NOT_ALLOWED', action: { error: { details: { status: 'completed' } } } });
    expect(await statusOf(orderId)).toBe('completed');
  });
});

it('leaves a database that keeps every invariant', async () => {
  expect(await checkInvariants(h.sql)).toEqual([]);
});
