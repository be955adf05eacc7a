import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployment } from '../support/deployment.js';
import { singleLineOrder } from '../support/fixtures.js';
import type { InitialStock } from '../support/invariants.js';
import { eventually } from '../support/wait.js';
import { countEffects, FULL, injectFaults, report, runWorkload, settle, SKU, stockUp, Witness } from './workload.js';

/**
 * Issue 6's fault suite: orderflow's API and two worker processes on a PostgreSQL and a Redis of their own, a burst
 * of mixed actions from retrying clients, and a fault injected again and again while it runs. Afterwards every
 * accepted action has ended as the rules say, none is lost or applied twice, and every invariant holds.
 */
const ORDERS = FULL ? 300 : 40;
const TIMEOUT = FULL ? 600_000 : 120_000;

let d: Deployment;
let witness: Witness;
let initialStock: InitialStock;
beforeAll(async () => {
  witness = await Witness.start();
  d = await Deployment.start('faults', { workers: 2, env: witness.env() });
  initialStock = await stockUp(d);
  await witness.subscribe(d);
}, 120_000);
afterAll(async () => {
  await d?.close();
  await witness?.close();
});

const clean = { lost: 0, duplicated: 0, failed: 0, unexpected: 0 };
const noneLost = { lost: 0 };
/** Every effect happened, and none twice. */
const exactlyOnce = { lost: 0, duplicated: 0 };

describe('a burst of mixed actions survives', () => {
  it(
    'worker processes killed with SIGKILL again and again',
    async () => {
      witness.forget();
      const since = new Date();
      const work = runWorkload(d, ORDERS);
      const pendingAtKill = await injectFaults(d, FULL ? 12 : 3, 1500, async () => {
        await d.killWorker(d.workers[Math.floor(Math.random() * d.workers.length)]!);
        await d.startWorker();
      });
      const log = await work;
      const figures = await settle(d, log, initialStock);
      const effects = await countEffects(d, witness, since);
      report('SIGKILL workers', { ...figures, effects, kills: pendingAtKill.length, pendingAtKill, retriedRequests: Object.fromEntries(log.retried) });
      expect(figures).toMatchObject(clean);
      // A worker killed after an e-mail server or a webhook receiver took a message, before it was recorded, sends
      // it again (at least once is all that a crash allows); nothing is lost, money is paid back once.
      expect(effects).toMatchObject({ refundPayments: exactlyOnce, emails: noneLost, webhooks: noneLost, pdfs: exactlyOnce });
      // Per four orders: two invoiced, shipped, refunded, commented; one also returns a unit (4 moves); one held and canceled.
      expect(figures.accepted).toBe(ORDERS + (ORDERS / 4) * (2 * 4 + (3 + 4) + 5));
      expect(Math.max(...pendingAtKill), 'a fault struck while actions were pending').toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'Redis restarted without persistence: every queued job lost',
    async () => {
      witness.forget();
      const since = new Date();
      const work = runWorkload(d, ORDERS);
      const pendingAtRestart = await injectFaults(d, FULL ? 6 : 3, 2500, async () => {
        await d.redis.stop();
        await sleep(300);
        await d.redis.start();
      });
      const log = await work;
      const figures = await settle(d, log, initialStock);
      const effects = await countEffects(d, witness, since);
      report('Redis restarted empty', { ...figures, effects, restarts: pendingAtRestart.length, pendingAtRestart, retriedRequests: Object.fromEntries(log.retried) });
      expect(figures).toMatchObject(clean);
      expect(effects).toMatchObject({ refundPayments: exactlyOnce, emails: exactlyOnce, webhooks: exactlyOnce, pdfs: exactlyOnce });
      expect(Math.max(...pendingAtRestart), 'a fault struck while actions were pending').toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'PostgreSQL restarted (cleanly and by a crash): the API answers 503 meanwhile, workers retry',
    async () => {
      witness.forget();
      const since = new Date();
      const work = runWorkload(d, ORDERS);
      const whileDown: number[] = [];
      const pendingAtRestart = await injectFaults(d, FULL ? 6 : 3, 3000, async (index) => {
        d.postgres.stop(index % 2 === 0 ? 'fast' : 'immediate');
        const answer = await d.request('POST', '/v1/orders', { body: singleLineOrder(SKU), key: 'storefront', idempotencyKey: randomUUID() });
        whileDown.push(answer.status);
        expect(answer.headers?.get('retry-after')).toMatch(/^\d+$/);
        expect(answer.json.code).toBe('DATABASE_UNAVAILABLE');
        await sleep(700);
        d.postgres.start();
      });
      const log = await work;
      const figures = await settle(d, log, initialStock);
      const effects = await countEffects(d, witness, since);
      report('PostgreSQL restarted', { ...figures, effects, restarts: pendingAtRestart.length, pendingAtRestart, whileDown, retriedRequests: Object.fromEntries(log.retried) });
      expect(figures).toMatchObject(clean);
      // A message the e-mail server or a receiver took just before PostgreSQL went away could not be recorded as
      // sent, so it is sent again once its claim lapses, with the same Message-ID or delivery id (at least once).
      expect(effects).toMatchObject({ refundPayments: exactlyOnce, emails: noneLost, webhooks: noneLost, pdfs: exactlyOnce });
      expect(whileDown).toEqual(Array(pendingAtRestart.length).fill(503));
      expect(Math.max(...pendingAtRestart), 'a fault struck while actions were pending').toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});

it('the API killed between commit and enqueue: the relay applies the action, a retry gets the same action', async () => {
  await d.api!.stop();
  await d.startApi({ FAULT_KILL_BEFORE_ENQUEUE: '3' });
  const keys = [randomUUID(), randomUUID(), randomUUID()];
  const place = (key: string) => d.request('POST', '/v1/orders', { body: singleLineOrder(SKU), key: 'storefront', idempotencyKey: key });
  expect((await place(keys[0]!)).status).toBe(202);
  expect((await place(keys[1]!)).status).toBe(202);
  const cut = await place(keys[2]!);
  expect(cut.status).toBe(0); // the connection died with the process
  expect(await d.api!.exited).toEqual({ code: null, signal: 'SIGKILL' });

  // Committed, never enqueued: queued with no attempt, until the relay hands it to the workers.
  const [row] = await d.sql<{ id: string; status: string; attempts: number }>(
    `select id, status, attempts from actions where idempotency_key = $1`,
    [keys[2]],
  );
  expect(row).toMatchObject({ status: 'queued', attempts: 0 });
  const applied = await eventually('the relay applied the cut-off action', async () => {
    const [now] = await d.sql<{ status: string; attempts: number }>('select status, attempts from actions where id = $1', [row!.id]);
    return now?.status === 'succeeded' ? now : null;
  });
  expect(applied.attempts).toBe(1);

  // The client, never answered, retries with the same key once the API is back: the same action, one order.
  await d.startApi();
  const retried = await place(keys[2]!);
  expect([200, 202]).toContain(retried.status);
  expect((retried.json.action as { id: string }).id).toBe(row!.id);
  const outcomes = await d.sql<{ status: string; orders: number }>(
    `select a.status, (select count(*)::int from orders o where o.id = a.order_id) as orders
     from actions a where a.idempotency_key = any($1)`,
    [keys],
  );
  expect(outcomes).toEqual(Array(3).fill({ status: 'succeeded', orders: 1 }));
  report('API killed before enqueue', {
    accepted: outcomes.length,
    succeeded: outcomes.filter((o) => o.status === 'succeeded').length,
    ordersPerAction: outcomes.map((o) => o.orders),
  });
});
