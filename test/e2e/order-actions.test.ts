import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { problem, type HistoryEvent } from '../support/http.js';

/** SPEC §3.7 and §4: cancel, hold, unhold, comments, history, and the per-order order of actions. */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  for (const [sku, onHand] of [['TSHIRT-M', 1000], ['CANCEL-ME', 5], ['LIMITED', 1]] as const) {
    expect((await h.put(`/v1/inventory/items/${sku}`, { sources: { main: onHand } })).statusCode).toBe(200);
  }
});
afterAll(() => h?.close());

const invalidPaths = (res: LightMyRequestResponse) =>
  [...new Set(problem(res, 400, 'VALIDATION_FAILED').errors!.map((e: { path: string }) => e.path))].sort();

/** The §4.1 order, its stockable line under `sku`; placed and applied. */
async function placed(sku = 'TSHIRT-M'): Promise<string> {
  const body = orderBody();
  body.items[0] = { ...body.items[0]!, sku };
  const res = await h.post('/v1/orders', body, { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
  expect(res.statusCode).toBe(201);
  return res.json().orderId;
}

type Verb = 'cancel' | 'hold' | 'unhold' | 'comments';
const act = (orderId: string, verb: Verb, body: unknown = {}, key: 'storefront' | 'admin' = 'admin') =>
  h.post(`/v1/orders/${orderId}/${verb}`, body, { key, prefer: 'wait=10' });

/** Expects the action to have succeeded (201, Location of the order) and returns its id. */
function succeeded(res: LightMyRequestResponse, orderId: string, type: string): string {
  expect(res.statusCode).toBe(201);
  expect(res.headers.location).toBe(`/v1/orders/${orderId}`);
  const { action } = res.json();
  expect(action).toMatchObject({ type, orderId, status: 'succeeded', result: { orderId }, error: null });
  return action.id;
}

/** Expects a 422 rejection with `code` and returns the embedded action. */
function rejected(res: LightMyRequestResponse, code: string, type: string) {
  const body = problem(res, 422, code);
  expect(body.action).toMatchObject({ type, status: 'rejected', result: null, error: { code } });
  return body.action;
}

const order = async (orderId: string) => (await h.get(`/v1/orders/${orderId}`)).json();
/**
 * The entries the actions themselves wrote. Work after commit (e-mails, webhook deliveries, refund payments) lands
 * in the history asynchronously; test/e2e/notifications.test.ts looks at those.
 */
const history = async (orderId: string): Promise<HistoryEvent[]> => {
  const res = await h.get(`/v1/orders/${orderId}/history`);
  expect(res.statusCode).toBe(200);
  return (res.json().items as HistoryEvent[]).filter((e) => !/^(email|webhook)\./.test(e.type) && e.type !== 'refund.payment');
};
const types = (events: HistoryEvent[]) => events.map((e) => e.type);

describe('cancel', () => {
  it('cancels every line with a storefront key, releases the reservation and records the history', async () => {
    const orderId = await placed('CANCEL-ME');
    expect((await h.get('/v1/inventory/items/CANCEL-ME')).json()).toMatchObject({ reserved: 2, salable: 3 });

    const res = await act(orderId, 'cancel', { reason: 'customer asked' }, 'storefront');
    const actionId = succeeded(res, orderId, 'order.cancel');

    const view = await order(orderId);
    expect(view.status).toBe('canceled');
    expect(
      view.items.map((i: Record<string, unknown>) => [i.sku, i.qtyOrdered, i.qtyCanceled, i.qtyToCancel, i.qtyToInvoice, i.qtyToShip]),
    ).toEqual([
      ['CANCEL-ME', 2, 2, 0, 0, 0],
      ['EBOOK-1', 1, 1, 0, 0, 0],
    ]);
    const lines = await h.sql<{ qty_ordered: number; qty_canceled: number }>(
      'select qty_ordered, qty_canceled from order_lines where order_id = ? order by position',
      [orderId],
    );
    expect(lines).toEqual([
      { qty_ordered: 2, qty_canceled: 2 },
      { qty_ordered: 1, qty_canceled: 1 },
    ]);

    expect((await h.get('/v1/inventory/items/CANCEL-ME')).json()).toEqual({
      sku: 'CANCEL-ME',
      sources: [{ code: 'main', onHand: 5, active: true }],
      reserved: 0,
      salable: 5,
    });
    expect(await h.sql('select qty from reservations where order_id = ?', [orderId])).toEqual([{ qty: 0 }]);

    const events = await history(orderId);
    expect(types(events)).toEqual(['order.place', 'status.changed', 'order.cancel', 'status.changed']);
    expect(events[2]).toMatchObject({
      actor: 'shop',
      actionId,
      data: {
        reason: 'customer asked',
        canceled: [
          { itemId: view.items[0].id, sku: 'CANCEL-ME', qty: 2 },
          { itemId: view.items[1].id, sku: 'EBOOK-1', qty: 1 },
        ],
      },
    });
    expect(events[3]).toMatchObject({ actor: 'shop', actionId, data: { from: 'pending', to: 'canceled' } });
    expect(events[1]).toMatchObject({ data: { from: null, to: 'pending' } });
  });

  it('rejects a second cancel with CANCEL_NOT_ALLOWED and changes nothing', async () => {
    const orderId = await placed();
    succeeded(await act(orderId, 'cancel'), orderId, 'order.cancel');
    const before = await order(orderId);

    const action = rejected(await act(orderId, 'cancel', { reason: 'again' }, 'storefront'), 'CANCEL_NOT_ALLOWED', 'order.cancel');
    const [row] = await h.sql<{ status: string; error: { code: string } }>('select status, error from actions where id = ?', [action.id]);
    expect(row!.status).toBe('rejected');
    expect(row!.error.code).toBe('CANCEL_NOT_ALLOWED');

    const after = await order(orderId);
    expect(after.items).toEqual(before.items);
    expect(after.status).toBe('canceled');
    const events = await history(orderId);
    expect(types(events)).toEqual(['order.place', 'status.changed', 'order.cancel', 'status.changed', 'action.rejected']);
    expect(events[4]).toMatchObject({ actor: 'shop', actionId: action.id, data: { actionType: 'order.cancel', code: 'CANCEL_NOT_ALLOWED' } });
  });

  it('accepts a cancel with no body at all', async () => {
    const orderId = await placed();
    const res = await h.post(`/v1/orders/${orderId}/cancel`, undefined, { key: 'storefront', prefer: 'wait=10' });
    const actionId = succeeded(res, orderId, 'order.cancel');
    const [row] = await h.sql<{ payload: unknown }>('select payload from actions where id = ?', [actionId]);
    expect(row!.payload).toEqual({});
    expect((await order(orderId)).status).toBe('canceled');
    const events = await history(orderId);
    expect(events.find((e) => e.type === 'order.cancel')!.data.reason).toBeNull();
  });
});

describe('hold and unhold', () => {
  it('puts an order on hold, refuses to cancel it (ORDER_ON_HOLD) and releases it back to pending', async () => {
    const orderId = await placed('TSHIRT-M');
    const holdId = succeeded(await act(orderId, 'hold', { reason: 'fraud check' }), orderId, 'order.hold');
    expect((await order(orderId)).status).toBe('on_hold');
    expect((await h.sql<{ held: boolean }>('select held from orders where id = ?', [orderId]))[0]!.held).toBe(true);

    const cancel = rejected(await act(orderId, 'cancel', {}, 'storefront'), 'ORDER_ON_HOLD', 'order.cancel');
    const held = await order(orderId);
    expect(held.status).toBe('on_hold');
    expect(held.items.map((i: { qtyCanceled: number }) => i.qtyCanceled)).toEqual([0, 0]);
    expect(await h.sql('select qty from reservations where order_id = ?', [orderId])).toEqual([{ qty: 2 }]);

    const unholdId = succeeded(await act(orderId, 'unhold', { reason: 'cleared' }), orderId, 'order.unhold');
    expect((await order(orderId)).status).toBe('pending');

    const events = await history(orderId);
    expect(events.map((e) => [e.type, e.actionId, e.data])).toEqual([
      ['order.place', expect.any(String), expect.any(Object)],
      ['status.changed', expect.any(String), { from: null, to: 'pending' }],
      ['order.hold', holdId, { reason: 'fraud check' }],
      ['status.changed', holdId, { from: 'pending', to: 'on_hold' }],
      ['action.rejected', cancel.id, expect.objectContaining({ actionType: 'order.cancel', code: 'ORDER_ON_HOLD' })],
      ['order.unhold', unholdId, { reason: 'cleared' }],
      ['status.changed', unholdId, { from: 'on_hold', to: 'pending' }],
    ]);
    for (const event of events.slice(2)) expect(event.actor).toBe(event.type === 'action.rejected' ? 'shop' : 'ops');
  });

  it('rejects holding an order that is already on hold with HOLD_NOT_ALLOWED', async () => {
    const orderId = await placed();
    succeeded(await act(orderId, 'hold', { reason: 'first' }), orderId, 'order.hold');
    rejected(await act(orderId, 'hold', { reason: 'second' }), 'HOLD_NOT_ALLOWED', 'order.hold');
    expect((await order(orderId)).status).toBe('on_hold');
  });

  it('rejects unholding an order that is not on hold with UNHOLD_NOT_ALLOWED', async () => {
    const orderId = await placed();
    rejected(await act(orderId, 'unhold', { reason: 'nothing to release' }), 'UNHOLD_NOT_ALLOWED', 'order.unhold');
    expect((await order(orderId)).status).toBe('pending');
  });

  it('rejects holding a canceled order with HOLD_NOT_ALLOWED', async () => {
    const orderId = await placed();
    succeeded(await act(orderId, 'cancel'), orderId, 'order.cancel');
    const action = rejected(await act(orderId, 'hold', { reason: 'too late' }), 'HOLD_NOT_ALLOWED', 'order.hold');
    expect(action.error.details).toEqual({ status: 'canceled' });
    expect((await order(orderId)).status).toBe('canceled');
    expect((await h.sql<{ held: boolean }>('select held from orders where id = ?', [orderId]))[0]!.held).toBe(false);
  });

  it('accepts hold and unhold with no body at all', async () => {
    const orderId = await placed();
    const holdId = succeeded(
      await h.post(`/v1/orders/${orderId}/hold`, undefined, { prefer: 'wait=10' }),
      orderId,
      'order.hold',
    );
    expect((await order(orderId)).status).toBe('on_hold');
    succeeded(await h.post(`/v1/orders/${orderId}/unhold`, undefined, { prefer: 'wait=10' }), orderId, 'order.unhold');
    expect((await order(orderId)).status).toBe('pending');
    const events = await history(orderId);
    expect(events.find((e) => e.actionId === holdId && e.type === 'order.hold')!.data).toEqual({ reason: null });
  });
});

describe('comments', () => {
  it('records a notified comment in the history with {comment, notifyCustomer}', async () => {
    const orderId = await placed();
    const actionId = succeeded(
      await act(orderId, 'comments', { comment: 'Left at reception', notifyCustomer: true }),
      orderId,
      'order.comment',
    );
    const events = await history(orderId);
    expect(types(events)).toEqual(['order.place', 'status.changed', 'order.comment']);
    expect(events[2]).toMatchObject({
      type: 'order.comment',
      actor: 'ops',
      actionId,
      data: { comment: 'Left at reception', notifyCustomer: true },
    });
    expect(Object.keys(events[2]!.data).sort()).toEqual(['comment', 'notifyCustomer']);
    expect((await order(orderId)).status).toBe('pending');
  });

  it('defaults notifyCustomer to false and accepts exactly 5000 characters', async () => {
    const orderId = await placed();
    const comment = 'c'.repeat(5000);
    const actionId = succeeded(await act(orderId, 'comments', { comment }), orderId, 'order.comment');
    const event = (await history(orderId)).find((e) => e.actionId === actionId)!;
    expect(event.data).toEqual({ comment, notifyCustomer: false });
  });

  it('refuses a comment of 5001 characters, an empty, a blank or a missing comment with 400 at /comment', async () => {
    const orderId = await placed();
    const count = async () =>
      Number((await h.sql<{ n: string }>('select count(*) as n from actions where order_id = ?', [orderId]))[0]!.n);
    expect(await count()).toBe(1);
    expect(invalidPaths(await act(orderId, 'comments', { comment: 'x'.repeat(5001) }))).toEqual(['/comment']);
    expect(invalidPaths(await act(orderId, 'comments', { comment: '' }))).toEqual(['/comment']);
    expect(invalidPaths(await act(orderId, 'comments', { comment: '   ' }))).toEqual(['/comment']);
    expect(invalidPaths(await act(orderId, 'comments', { notifyCustomer: true }))).toEqual(['/comment']);
    expect(invalidPaths(await act(orderId, 'comments', { comment: 'ok', notifyCustomer: 'yes' }))).toEqual(['/notifyCustomer']);
    expect(await count()).toBe(1);
    expect(types(await history(orderId))).toEqual(['order.place', 'status.changed']);
  });
});

describe('order of actions', () => {
  it('applies place, hold, comment, unhold, comment posted back to back in acceptance order', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const place = await h.post('/v1/orders', orderBody({ externalId: `fifo-${n}` }), {
          key: 'storefront',
          idempotencyKey: newKey(),
        });
        expect(place.statusCode).toBe(202);
        const orderId: string = place.json().orderId;
        const steps: [Verb, unknown][] = [
          ['hold', { reason: `hold ${n}` }],
          ['comments', { comment: `first ${n}` }],
          ['unhold', { reason: `unhold ${n}` }],
          ['comments', { comment: `second ${n}`, notifyCustomer: true }],
        ];
        const ids: string[] = [place.json().action.id];
        for (const [verb, body] of steps) {
          const res = await h.post(`/v1/orders/${orderId}/${verb}`, body);
          expect(res.statusCode).toBe(202);
          expect(res.json().action.status).toBe('queued');
          ids.push(res.json().action.id);
        }
        return { n, orderId, ids };
      }),
    );

    for (const { n, orderId, ids } of runs) {
      const last = await h.get(`/v1/actions/${ids.at(-1)}`, { prefer: 'wait=20' });
      expect(last.json().status).toBe('succeeded');
      const rows = await h.sql<{ id: string; type: string; status: string }>(
        'select id, type, status from actions where order_id = ? order by seq',
        [orderId],
      );
      expect(rows).toEqual([
        { id: ids[0], type: 'order.place', status: 'succeeded' },
        { id: ids[1], type: 'order.hold', status: 'succeeded' },
        { id: ids[2], type: 'order.comment', status: 'succeeded' },
        { id: ids[3], type: 'order.unhold', status: 'succeeded' },
        { id: ids[4], type: 'order.comment', status: 'succeeded' },
      ]);

      const events = await history(orderId);
      expect(events.filter((e) => e.type !== 'status.changed').map((e) => [e.type, e.actionId])).toEqual([
        ['order.place', ids[0]],
        ['order.hold', ids[1]],
        ['order.comment', ids[2]],
        ['order.unhold', ids[3]],
        ['order.comment', ids[4]],
      ]);
      expect(events.filter((e) => e.type === 'status.changed').map((e) => [e.actionId, e.data])).toEqual([
        [ids[0], { from: null, to: 'pending' }],
        [ids[1], { from: 'pending', to: 'on_hold' }],
        [ids[3], { from: 'on_hold', to: 'pending' }],
      ]);
      expect(events.filter((e) => e.type === 'order.comment').map((e) => e.data)).toEqual([
        { comment: `first ${n}`, notifyCustomer: false },
        { comment: `second ${n}`, notifyCustomer: true },
      ]);
      const ids2 = events.map((e) => e.id);
      expect(ids2).toEqual([...ids2].sort((a, b) => a - b));
      expect((await order(orderId)).status).toBe('pending');
    }
  });
});

describe('actions on an order whose placement was rejected', () => {
  it('rejects an action accepted behind a failed placement with ORDER_NOT_FOUND', async () => {
    await h.stopWorkers();
    let placeId: string;
    let cancelId: string;
    let orderId: string;
    try {
      const place = await h.post('/v1/orders', singleLineOrder('LIMITED', 5), { key: 'storefront', idempotencyKey: newKey() });
      expect(place.statusCode).toBe(202);
      orderId = place.json().orderId;
      placeId = place.json().action.id;
      // Accepted: the placement is still queued, so the order may yet exist.
      const cancel = await h.post(`/v1/orders/${orderId}/cancel`, { reason: 'changed my mind' }, { key: 'storefront' });
      expect(cancel.statusCode).toBe(202);
      cancelId = cancel.json().action.id;
    } finally {
      await h.startWorkers();
    }

    const cancelDone = (await h.get(`/v1/actions/${cancelId}`, { prefer: 'wait=20' })).json();
    expect(cancelDone).toMatchObject({ status: 'rejected', result: null, error: { code: 'ORDER_NOT_FOUND' } });
    const placeDone = (await h.get(`/v1/actions/${placeId}`)).json();
    expect(placeDone).toMatchObject({ status: 'rejected', error: { code: 'OUT_OF_STOCK' } });
    expect(await h.sql('select id from orders where id = ?', [orderId])).toEqual([]);
    expect(await h.sql('select id from order_events where order_id = ?', [orderId])).toEqual([]);
    expect((await h.get('/v1/inventory/items/LIMITED')).json()).toMatchObject({ reserved: 0, salable: 1 });
  });

  it('answers 404 NOT_FOUND to a new action once the placement is known to be rejected', async () => {
    const place = await h.post('/v1/orders', singleLineOrder('LIMITED', 5), {
      key: 'storefront',
      idempotencyKey: newKey(),
      prefer: 'wait=10',
    });
    const action = rejected(place, 'OUT_OF_STOCK', 'order.place');
    const orderId = action.orderId as string;
    problem(await act(orderId, 'cancel', {}, 'storefront'), 404, 'NOT_FOUND');
    problem(await act(orderId, 'hold'), 404, 'NOT_FOUND');
    problem(await act(orderId, 'comments', { comment: 'hello' }), 404, 'NOT_FOUND');
    problem(await h.get(`/v1/orders/${orderId}/history`), 404, 'NOT_FOUND');
    expect(await h.sql('select type from actions where order_id = ?', [orderId])).toEqual([{ type: 'order.place' }]);
  });
});

it('leaves a database that keeps every invariant', async () => {
  expect(await checkInvariants(h.sql)).toEqual([]);
});
