import { afterAll, beforeAll, expect, it } from 'vitest';
import { FINISHED_CHANNEL } from '../../src/db/finished-actions.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * `Prefer: wait` without polling: the worker announces the actions it finished with a PostgreSQL notification,
 * delivered at commit, and a waiting request is woken by it. Each wait below is set to 60 s: only the announcement
 * can end it within the test's few seconds.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: false });
});
afterAll(() => h?.close());

const ID = '0193a000-0000-7000-8000-00000000f001';
const OTHER = '0193a000-0000-7000-8000-00000000f002';

it('wakes a waiter when its action is announced, at commit and not before', { timeout: 5000 }, async () => {
  let heard = false;
  const waiting = h.runtime.finished.listen(ID, 60_000);
  void waiting.heard.then(() => (heard = true));
  await h.runtime.orm.em.fork().transactional(async (tx) => {
    await tx.execute(`select pg_notify('${FINISHED_CHANNEL}', ?)`, [`${OTHER},${ID}`]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toBe(false); // not delivered while the transaction is open
  });
  await waiting.heard;
  expect(heard).toBe(true);
});

it('leaves a waiter whose action was not announced waiting, and ends the wait on abort', { timeout: 5000 }, async () => {
  const abort = new AbortController();
  let heard = false;
  const waiting = h.runtime.finished.listen(ID, 60_000, abort.signal);
  void waiting.heard.then(() => (heard = true));
  await h.sql(`select pg_notify('${FINISHED_CHANNEL}', ?)`, [OTHER]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(heard).toBe(false);
  abort.abort();
  await waiting.heard;
  expect(heard).toBe(true);
});
