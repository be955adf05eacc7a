import { afterEach, describe, expect, it } from 'vitest';
import { ActionRunner } from '../../src/actions/runner.js';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/wait.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const actionStatus = async (harness: Harness, id: string) =>
  (await harness.sql<{ status: string }>('select status from actions where id = ?', [id]))[0]?.status;

describe('the action pipeline', () => {
  it('applies a job delivered twice only once', async () => {
    h = await startHarness({ workers: false });
    const accepted = (await h.post('/v1/orders', singleLineOrder('MUG'), { key: 'storefront', idempotencyKey: newKey() })).json();
    const id = accepted.action.id;

    const runner = new ActionRunner({ ...h.runtime, subscribers: () => h!.runtime.subscribers.get() });
    const apply = async () => (await runner.run([{ id, type: 'order.place' }])).outcomes.get(id)!;
    const outcomes = await Promise.all([apply(), apply(), apply()]);
    const again = await apply();

    // One applies it; a delivery that comes after finds it finished, one that finds it being applied skips it and
    // looks again later ('wait').
    const kinds = outcomes.map((o) => o.kind);
    expect(kinds.filter((kind) => kind === 'succeeded')).toHaveLength(1);
    expect(kinds.filter((kind) => kind !== 'succeeded').every((kind) => kind === 'wait' || kind === 'finished-before')).toBe(true);
    expect(again.kind).toBe('finished-before');
    expect(await h.sql('select number from orders')).toEqual([{ number: '100000001' }]);
    expect(await h.sql(`select type from order_events order by id`)).toEqual([
      { type: 'order.place' },
      { type: 'status.changed' },
    ]);
    // Only the delivery that applied the action counted an attempt.
    expect(await h.sql('select status, attempts from actions')).toEqual([{ status: 'succeeded', attempts: 1 }]);
  });

  it('applies a shipment and a restocking refund of the same SKU and source in one batch: both move the stock', async () => {
    h = await startHarness({ workers: false });
    await h.put('/v1/inventory/sources/main', { name: 'Main' });
    await h.put('/v1/inventory/items/MUG', { sources: { main: 10 } });
    const runner = new ActionRunner({ ...h.runtime, subscribers: () => h!.runtime.subscribers.get() });
    const accept = async (path: string, body: unknown, key: 'admin' | 'storefront' = 'admin') => {
      const res = await h!.post(path, body, { key, idempotencyKey: newKey() });
      expect(res.statusCode).toBe(202);
      return { id: res.json().action.id as string, type: res.json().action.type as string };
    };
    const applyAll = async (actions: { id: string; type: string }[]) => {
      const { outcomes } = await runner.run(actions);
      expect(actions.map((action) => outcomes.get(action.id)!.kind)).toEqual(actions.map(() => 'succeeded'));
    };
    const shipment = { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z' };
    const placeA = await accept('/v1/orders', singleLineOrder('MUG', 1), 'storefront');
    const placeB = await accept('/v1/orders', singleLineOrder('MUG', 1), 'storefront');
    await applyAll([placeA, placeB]);
    const [a, b] = await h.sql<{ id: string; line: string }>(
      `select o.id, l.id as line from orders o join order_lines l on l.order_id = o.id order by o.number`,
    );
    await applyAll([await accept(`/v1/orders/${b!.id}/invoices`, {})]);
    await applyAll([await accept(`/v1/orders/${b!.id}/shipments`, { ...shipment })]);

    // One statement writes both: A's unit leaves main, B's shipped unit comes back to main.
    await applyAll([
      await accept(`/v1/orders/${a!.id}/shipments`, { ...shipment }),
      await accept(`/v1/orders/${b!.id}/refunds`, { items: [{ itemId: b!.line, qty: 1, returnToStock: true }] }),
    ]);
    expect(await h.sql('select on_hand::int as "onHand" from stock where sku = ?', ['MUG'])).toEqual([{ onHand: 9 }]);
  });

  it('gives a rejected placement no number: numbers stay gapless', async () => {
    h = await startHarness();
    await h.put('/v1/inventory/sources/main', { name: 'Main' });
    await h.put('/v1/inventory/items/LAMP', { sources: { main: 1 } });
    const place = (sku: string) =>
      h!.post('/v1/orders', singleLineOrder(sku), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });

    expect((await place('BOOK')).statusCode).toBe(201);
    expect((await place('LAMP')).statusCode).toBe(201);
    const rejected = await place('LAMP');
    expect(rejected.statusCode).toBe(422);
    expect(rejected.json().code).toBe('OUT_OF_STOCK');
    expect((await place('BOOK')).statusCode).toBe(201);

    const numbers = await h.sql<{ number: string }>('select number from orders order by number');
    expect(numbers.map((n) => n.number)).toEqual(['100000001', '100000002', '100000003']);
  });

  it('retries an infrastructure failure, marks the action failed after the last attempt, and a later retry applies it', async () => {
    h = await startHarness({ env: { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '20' } });
    // A fault in PostgreSQL itself: every insert into orders fails until the trigger is dropped.
    await h.sql(`create function refuse_orders() returns trigger language plpgsql as $$
      begin raise exception 'disk full (simulated)' using errcode = '53100'; end $$`);
    await h.sql('create trigger refuse_orders before insert on orders for each row execute function refuse_orders()');

    const accepted = (await h.post('/v1/orders', singleLineOrder('MUG'), { key: 'storefront', idempotencyKey: newKey() })).json();
    const id: string = accepted.action.id;
    await eventually('action failed', async () => (await actionStatus(h!, id)) === 'failed');

    const action = (await h.get(`/v1/actions/${id}`)).json();
    expect(action).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'INFRASTRUCTURE_FAILURE' } });
    // The database's words and its SQLSTATE, not the batch's statement before them.
    expect(action.error).toEqual({ code: 'INFRASTRUCTURE_FAILURE', message: 'disk full (simulated)', details: { name: 'DriverException', sqlState: '53100' } });
    const job = await h.runtime.queues.get('orders').getJob(id);
    expect(await job!.getState()).toBe('failed');
    expect(await h.sql('select count(*)::int as n from orders')).toEqual([{ n: 0 }]);

    await h.sql('drop trigger refuse_orders on orders');
    await job!.retry(); // what the Retry button of bull-board does
    await eventually('action succeeded', async () => (await actionStatus(h!, id)) === 'succeeded');
    expect((await h.get(`/v1/actions/${id}`)).json()).toMatchObject({ status: 'succeeded', attempts: 3, error: null });
    expect(await h.sql('select count(*)::int as n from orders')).toEqual([{ n: 1 }]);
  });

  it('applies actions whose jobs Redis lost: the start-up sweep and the relay enqueue them again', async () => {
    h = await startHarness({ workers: false });
    const ids: string[] = [];
    for (const sku of ['A', 'B', 'C']) {
      ids.push((await h.post('/v1/orders', singleLineOrder(sku), { key: 'storefront', idempotencyKey: newKey() })).json().action.id);
    }
    await h.runtime.queues.get('orders').obliterate({ force: true }); // Redis lost every job
    await h.sql(`update actions set updated_at = now() - interval '1 minute'`);

    await h.startWorkers();
    for (const id of ids) await eventually(`action ${id}`, async () => (await actionStatus(h!, id)) === 'succeeded');
    expect(await h.sql('select count(*)::int as n from orders')).toEqual([{ n: 3 }]);
    expect(await h.sql('select attempts from actions')).toEqual([{ attempts: 1 }, { attempts: 1 }, { attempts: 1 }]);
  });

  it('answers 503 BACKLOG_FULL with Retry-After past the backlog bound, and still replays accepted actions', async () => {
    h = await startHarness({ workers: false, env: { INTAKE_MAX_BACKLOG: '2' } });
    const keys = [newKey(), newKey(), newKey()];
    const first = await h.post('/v1/orders', singleLineOrder('A'), { key: 'storefront', idempotencyKey: keys[0] });
    await h.post('/v1/orders', singleLineOrder('B'), { key: 'storefront', idempotencyKey: keys[1] });
    // The backlog count is read at most once a second, and waited for when older than two seconds.
    await new Promise((resolve) => setTimeout(resolve, 2100));

    const third = await h.post('/v1/orders', singleLineOrder('C'), { key: 'storefront', idempotencyKey: keys[2] });
    expect(third.statusCode).toBe(503);
    expect(third.headers['retry-after']).toBe('2');
    expect(third.json().code).toBe('BACKLOG_FULL');

    const replay = await h.post('/v1/orders', singleLineOrder('A'), { key: 'storefront', idempotencyKey: keys[0] });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().action.id).toBe(first.json().action.id);
    expect(await h.sql('select count(*)::int as n from actions')).toEqual([{ n: 2 }]);
  });
});
