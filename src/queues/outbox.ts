import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../db/ids.js';
import { OutboxMessage } from '../db/entities.js';
import { isQueueName } from './names.js';
import type { FollowUpMessage, Queues } from './queues.js';

/** Writes follow-up work into the caller's transaction; it is enqueued only once that transaction committed. */
export function writeFollowUp(em: EntityManager, message: Omit<FollowUpMessage, 'id'>, now: Date): FollowUpMessage {
  const row = em.create(OutboxMessage, { id: uuidv7(), ...message, createdAt: now, enqueuedAt: null });
  return { id: row.id, queue: message.queue, name: message.name, payload: message.payload };
}

/** Hands committed follow-ups to their queues and marks them enqueued. */
export async function enqueueFollowUps(em: EntityManager, queues: Queues, messages: readonly FollowUpMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await queues.enqueueFollowUps(messages);
  await em.execute('update outbox set enqueued_at = now() where id in (select jsonb_array_elements_text(?::jsonb)::uuid)', [
    JSON.stringify(messages.map((m) => m.id)),
  ]);
}

/** Follow-ups committed at least `afterMs` ago that no queue has taken yet (the process died, Redis was away). */
export async function unsentFollowUps(em: EntityManager, afterMs: number, limit: number): Promise<FollowUpMessage[]> {
  const rows = await em.execute<{ id: string; queue: string; name: string; payload: Record<string, unknown> }[]>(
    `select id, queue, name, payload from outbox
     where enqueued_at is null and created_at < now() - make_interval(secs => ?)
     order by created_at limit ${limit}`,
    [afterMs / 1000],
  );
  return rows.flatMap((row) => (isQueueName(row.queue) ? [{ id: row.id, queue: row.queue, name: row.name, payload: row.payload }] : []));
}
