import type { EntityManager } from '@mikro-orm/postgresql';
import { isQueueName } from './names.js';
import type { EnqueuedAction, FollowUpMessage, Queues } from './queues.js';

const BATCH = 1000;
const MAX_BATCHES = 20;

/**
 * Enqueues accepted actions that are still unfinished `afterMs` after they were last touched: the API could not
 * reach Redis, Redis lost its data, or the process died between commit and enqueue. Adding is idempotent (job id =
 * action id), so actions whose job still exists are untouched; each re-enqueued action is touched so that the next
 * sweep looks at it again only `afterMs` later. Returns how many actions were handed to the queues.
 */
export async function relayUnfinishedActions(em: EntityManager, queues: Queues, afterMs: number): Promise<number> {
  let relayed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await em.execute<{ id: string; type: string; order_id: string; number: string | null }[]>(
      `with touched as (
         update actions set updated_at = now()
         where id in (
           select id from actions
           where status in ('queued', 'processing') and updated_at < now() - make_interval(secs => ?)
           order by updated_at limit ${BATCH}
           for update skip locked)
         returning id, type, order_id)
       select touched.*, orders.number from touched left join orders on orders.id = touched.order_id`,
      [afterMs / 1000],
    );
    if (rows.length === 0) break;
    const actions: EnqueuedAction[] = rows.map((row) => ({
      id: row.id,
      type: row.type,
      orderId: row.order_id,
      orderNumber: row.number,
    }));
    await queues.enqueueActions(actions);
    relayed += rows.length;
    if (rows.length < BATCH) break;
  }
  return relayed;
}

/** Job states in which the job will still run by itself. */
const ALIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Makes sure every open follow-up that is due has a job that will run it: a job Redis lost (restarted empty, the
 * process died before the enqueue) is added again; a job that finished while its row stayed open (the process died
 * between the effect and closing the row, or BullMQ failed it for stalling) is replaced, and the idempotent effect
 * runs again and closes the row. Each row looked at is due again only `recheckMs` later. Returns how many jobs were
 * handed to the queues.
 */
export async function relayFollowUps(em: EntityManager, queues: Queues, recheckMs: number): Promise<number> {
  let relayed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await em.execute<{ id: string; queue: string; name: string; payload: Record<string, unknown> }[]>(
      `update outbox set due_at = now() + make_interval(secs => ?)
       where id in (
         select id from outbox where done_at is null and due_at <= now()
         order by due_at limit ${BATCH}
         for update skip locked)
       returning id, queue, name, payload`,
      [recheckMs / 1000],
    );
    const missing: FollowUpMessage[] = [];
    await Promise.all(
      rows.map(async (row) => {
        if (!isQueueName(row.queue)) return;
        const queue = queues.get(row.queue);
        const state = await queue.getJobState(row.id);
        if (ALIVE.has(state)) return;
        if (state !== 'unknown') await queue.remove(row.id);
        missing.push({ id: row.id, queue: row.queue, name: row.name, payload: row.payload });
      }),
    );
    await queues.enqueueFollowUps(missing);
    relayed += missing.length;
    if (rows.length < BATCH) break;
  }
  return relayed;
}

/** Forgets follow-ups closed more than a week ago; the history and the e-mail and delivery records keep what they did. */
export async function pruneOutbox(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from outbox where id in (
       select id from outbox where done_at < now() - interval '7 days' limit ${BATCH})
     returning id`,
  );
  return rows.length;
}

/** Redis came back and may have lost every job: every open follow-up is due for a look now. */
export async function followUpsDueNow(em: EntityManager): Promise<void> {
  await em.execute('update outbox set due_at = now() where done_at is null and due_at > now()');
}
