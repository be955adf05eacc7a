import { afterAll, beforeAll, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { harnessEnv, OrderflowProcess } from '../support/processes.js';
import { eventually } from '../support/wait.js';
import { checkInvariants } from '../support/invariants.js';

let h: Harness;
beforeAll(async () => {
  // Jobs cut off by the shutdown wait for their lock to lapse before another worker takes them: keep that short.
  h = await startHarness({ workers: false, env: { JOB_LOCK_MS: '2000' } });
});
afterAll(() => h.close());

it('SIGTERM during a burst exits 0 within the grace period and loses nothing: another worker finishes the rest', async () => {
  const worker = await OrderflowProcess.start('workers/all.ts', {
    ...harnessEnv(h.config),
    SHUTDOWN_GRACE_MS: '3000',
    JOB_LOCK_MS: '2000',
  });
  const total = 120;
  const accepted = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      h.post('/v1/orders', singleLineOrder(`SKU-${i}`), { key: 'storefront', idempotencyKey: newKey() }),
    ),
  );
  expect(accepted.every((a) => a.statusCode === 202)).toBe(true);
  await eventually('some actions applied', async () => {
    const [row] = await h.sql<{ n: number }>(`select count(*)::int as n from actions where status = 'succeeded'`);
    return row!.n >= 10;
  });

  const stoppedAt = Date.now();
  expect(await worker.stop()).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(3000 + 2000);
  const [left] = await h.sql<{ n: number }>(`select count(*)::int as n from actions where status <> 'succeeded'`);
  expect(left!.n).toBeGreaterThan(0); // the burst was really cut in the middle

  await h.startWorkers(); // another worker takes over whatever was left
  await eventually(
    'every action finished',
    async () => {
      const [row] = await h.sql<{ n: number }>(`select count(*)::int as n from actions where status = 'succeeded'`);
      return row!.n === total;
    },
    30_000,
  );
  const [orders] = await h.sql<{ n: number; distinct_numbers: number; max: string }>(
    'select count(*)::int as n, count(distinct number)::int as distinct_numbers, max(number) as max from orders',
  );
  expect(orders).toEqual({ n: total, distinct_numbers: total, max: String(100_000_000 + total) });
  const events = await h.sql<{ n: number }>(`select count(*)::int as n from order_events where type = 'order.place'`);
  expect(events).toEqual([{ n: total }]);
  expect(await checkInvariants(h.sql)).toEqual([]);
});
