import { afterEach, describe, expect, it } from 'vitest';
import { insertActions, type NewAction } from '../../src/db/actions.js';
import { uuidv7 } from '../../src/db/ids.js';
import { Intake } from '../../src/api/intake.js';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const newAction = (orderId: string, type = 'order.place', payload: Record<string, unknown> = {}): NewAction => ({
  type,
  orderId,
  payload,
  actorName: 'shop',
  actorRole: 'storefront',
  idempotencyKey: newKey(),
  requestHash: 'hash',
  requestId: null,
});

describe('the intake records requests accepted together in one statement', () => {
  it('answers each of 40 concurrent placements with its own action, all recorded and enqueued', async () => {
    h = await startHarness({ workers: false });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => h!.post('/v1/orders', singleLineOrder('MUG'), { key: 'storefront', idempotencyKey: newKey() })),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 202));
    const ids = answers.map((answer) => answer.json().action.id as string);
    expect(new Set(ids).size).toBe(40);
    const rows = await h.sql<{ id: string; status: string }>('select id, status from actions');
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(rows.every((row) => row.status === 'queued')).toBe(true);
    const jobs = await h.runtime.queues.get('orders').getJobs(['waiting']);
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
  });

  it('records a key used several times at once only once: the same body replays it, another body is 409', async () => {
    h = await startHarness({ workers: false });
    const key = newKey();
    const [mug, tee] = [singleLineOrder('MUG'), singleLineOrder('TEE')];
    const answers = await Promise.all(
      [mug, mug, tee, mug, tee].map((body) => h!.post('/v1/orders', body, { key: 'storefront', idempotencyKey: key })),
    );
    const rows = await h.sql<{ id: string; sku: string }>(`select id, payload->'items'->0->>'sku' as sku from actions`);
    expect(rows).toHaveLength(1);
    const [stored] = rows;
    const storedBody = stored!.sku === 'MUG' ? mug : tee;
    const expected = [mug, mug, tee, mug, tee].map((body) => (body === storedBody ? 202 : 409));
    expect(answers.map((answer) => answer.statusCode)).toEqual(expected);
    for (const answer of answers) {
      if (answer.statusCode === 202) expect(answer.json().action.id).toBe(stored!.id);
      else expect(answer.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', actionId: stored!.id });
    }
  });

  it('fails alone a request PostgreSQL refuses; the requests accepted with it are recorded', async () => {
    h = await startHarness({ workers: false });
    const intake = new Intake(h.runtime);
    const actor = h.config.apiKeys.find((key) => key.name === 'shop')!;
    const accept = (payload: Record<string, unknown>) =>
      intake.accept({ type: 'order.place', orderId: uuidv7(), target: '', payload, actor, idempotencyKey: newKey(), requestId: newKey() });
    // A NUL character is valid JSON but not text PostgreSQL stores (the HTTP API refuses it before the intake).
    const settled = await Promise.allSettled([accept({ n: 1 }), accept({ n: 2 }), accept({ note: 'a\u0000b' }), accept({ n: 4 })]);
    expect(settled.map((one) => one.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((settled[2] as PromiseRejectedResult).reason)).toMatch(/unsupported Unicode escape sequence/);
    expect(await h.sql(`select payload->>'n' as n from actions order by seq`)).toEqual([{ n: '1' }, { n: '2' }, { n: '4' }]);
  });

  it('tells an action of a batch to wait behind an earlier unfinished action of its order, in the batch or stored', async () => {
    h = await startHarness({ workers: false });
    const [stored, fresh] = [uuidv7(), uuidv7()];
    const em = h.runtime.orm.em.fork();
    const [first] = await insertActions(em, [newAction(stored)]);
    expect(first!.waits).toBe(false);
    const batch = await insertActions(em, [
      newAction(fresh),
      newAction(stored, 'order.comment', { comment: 'after the stored placement' }),
      newAction(fresh, 'order.comment', { comment: 'after the placement of this batch' }),
      newAction(uuidv7()),
    ]);
    expect(batch.map((recorded) => recorded!.waits)).toEqual([false, true, true, false]);
    expect(batch.map((recorded) => recorded!.action.status)).toEqual(['queued', 'queued', 'queued', 'queued']);
    const seqs = batch.map((recorded) => recorded!.action.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs); // recorded in the order given
  });
});
