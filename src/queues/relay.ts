import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueFollowUps, unsentFollowUps } from './outbox.js';
import type { EnqueuedAction, Queues } from './queues.js';

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

/** Enqueues follow-ups (outbox rows) that were committed but never handed to a queue. */
export async function relayFollowUps(em: EntityManager, queues: Queues, afterMs: number): Promise<number> {
  let relayed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const messages = await unsentFollowUps(em, afterMs, BATCH);
    await enqueueFollowUps(em, queues, messages);
    relayed += messages.length;
    if (messages.length < BATCH) break;
  }
  return relayed;
}

/** Forgets follow-ups handed to a queue more than a week ago; the history keeps what they did. */
export async function pruneOutbox(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from outbox where id in (
       select id from outbox where enqueued_at < now() - interval '7 days' limit ${BATCH})
     returning id`,
  );
  return rows.length;
}
