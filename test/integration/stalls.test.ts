import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { harnessEnv, OrderflowProcess } from '../support/processes.js';
import { eventually } from '../support/wait.js';

/**
 * BullMQ's stall limit (README, JOB_LOCK_MS): a job whose worker dies while running it goes back to the queue once its
 * lock lapses; cut off more than `maxStalledCount` (JOB_ATTEMPTS) times, BullMQ fails it without running it, and the
 * `failed` listener of src/workers/workers.ts marks its action failed. A retry, as bull-board does it, then applies it.
 *
 * Each worker process takes the job and is SIGKILLed while its claim waits for the lock on the ordered SKU's
 * inventory row, which the test holds: the job is active, cannot finish, and its worker dies as one crashing on it
 * would.
 */
/** Short locks, so that stalls are found within seconds; long enough that a busy machine does not lose them. */
const STALL_ENV = { JOB_LOCK_MS: '3000', JOB_ATTEMPTS: '1' };
/** A lapsed lock is found by the second stalled-job check after it, one lock duration apart: allow a few. */
const STALL_FOUND_MS = 30_000;
/** The claim of the action pipeline (src/db/snapshot.ts), blocked on the row the test holds. */
const WAITING_CLAIM = `select pid from pg_stat_activity
  where datname = current_database() and wait_event_type = 'Lock' and query like '%update actions a set status = ''processing''%'`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: false, env: STALL_ENV });
});
afterAll(() => h?.close());

it('fails an action whose job stalled past the limit, without running it; a retry from the board applies it', async () => {
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/items/SKU-STALL', { sources: { main: 10 } })).statusCode).toBe(200);
  const placed = await h.post('/v1/orders', singleLineOrder('SKU-STALL'), { key: 'storefront', idempotencyKey: newKey() });
  expect(placed.statusCode).toBe(202);
  const { orderId, action } = placed.json<{ orderId: string; action: { id: string } }>();
  const job = async () => (await h.runtime.queues.get('orders').getJob(action.id))!;

  const locker = new pg.Client({ connectionString: h.config.databaseUrl });
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query(`select sku from inventory_items where sku = 'SKU-STALL' for update`);
    // JOB_ATTEMPTS=1: a job may be cut off once and run again; the second time it is over the limit.
    for (const round of [1, 2]) {
      const worker = await OrderflowProcess.start('workers/all.ts', { ...harnessEnv(h.config), ...STALL_ENV });
      try {
        await eventually(`worker ${round} to take the job and wait for the stock`, async () => (await h.sql(WAITING_CLAIM)).length === 1, STALL_FOUND_MS);
        expect(await (await job()).getState()).toBe('active');
      } finally {
        await worker.kill();
      }
      // A dead machine's connection goes with it; here the waiting backend outlives the process unless ended.
      await h.sql(`select pg_terminate_backend(pid) from (${WAITING_CLAIM}) waiting`);
    }
  } finally {
    await locker.query('commit');
    await locker.end();
  }

  // A live worker's stalled-job check (this process's) finds the job cut off a second time and fails it.
  await h.startWorkers();
  await eventually('the job to be failed', async () => (await (await job()).getState()) === 'failed', STALL_FOUND_MS);
  expect((await job()).failedReason).toBe('job stalled more than allowable limit');
  const failed = await eventually('the action to be marked failed', async () => {
    const view = (await h.get(`/v1/actions/${action.id}`)).json<{ status: string; attempts: number; error: unknown }>();
    return view.status === 'failed' && view;
  });
  // Never applied, never even claimed: both runs were cut off waiting for the row, and their claims rolled back.
  expect(failed).toMatchObject({
    status: 'failed',
    attempts: 0,
    error: { code: 'INFRASTRUCTURE_FAILURE', message: 'job stalled more than allowable limit' },
  });
  expect(await h.sql('select count(*)::int as n from orders')).toEqual([{ n: 0 }]);

  // The operator retries once the cause is gone; a worker with the default lock applies it.
  await h.stopWorkers();
  await (await job()).retry();
  const worker = await OrderflowProcess.start('workers/all.ts', harnessEnv(h.config));
  try {
    await eventually('the retried action to succeed', async () => (await h.get(`/v1/actions/${action.id}`)).json<{ status: string }>().status === 'succeeded');
    await eventually('the retried job to complete', async () => (await (await job()).getState()) === 'completed');
  } finally {
    expect(await worker.stop()).toBe(0);
  }
  expect((await h.get(`/v1/actions/${action.id}`)).json()).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
  expect(await h.sql('select id, status from orders')).toEqual([{ id: orderId, status: 'pending' }]);
  expect(await h.sql(`select count(*)::int as n from order_events where type = 'order.place'`)).toEqual([{ n: 1 }]);
}, 120_000);
