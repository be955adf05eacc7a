import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../db/ids.js';
import { OutboxMessage } from '../db/entities/effects.js';
import type { FollowUpMessage, Queues } from './queues.js';

/**
 * The outbox is the ledger of work after commit (SPEC §1): a row is written in the transaction that asks for the
 * work, handed to its queue once that committed, and stays open until the work happened or failed for good. Redis
 * only carries it: whatever Redis loses, the relay finds the open row and hands it over again.
 */

/** Writes follow-up work into the caller's transaction; the relay looks at it again from `dueAt` if still open. */
export function writeFollowUp(
  em: EntityManager,
  message: Omit<FollowUpMessage, 'id'>,
  now: Date,
  relayAfterMs: number,
): FollowUpMessage {
  const row = em.create(OutboxMessage, {
    id: uuidv7(),
    ...message,
    createdAt: now,
    dueAt: new Date(now.getTime() + relayAfterMs),
    doneAt: null,
    outcome: null,
  });
  return { id: row.id, queue: message.queue, name: message.name, payload: message.payload };
}

/**
 * Records follow-up work and hands it to its queue at once, outside any action (a redelivery asked for by hand);
 * if Redis cannot take it now, the relay will.
 */
export async function recordFollowUp(
  em: EntityManager,
  queues: Queues,
  message: Omit<FollowUpMessage, 'id'>,
  relayAfterMs: number,
): Promise<FollowUpMessage> {
  const written = writeFollowUp(em, message, new Date(), relayAfterMs);
  await em.flush();
  await queues.enqueueFollowUps([written]).catch(() => undefined);
  return written;
}

/** The effect of an outbox row happened, or failed for good (then it is closed until someone retries it). */
export async function closeFollowUp(em: EntityManager, messageId: string, outcome: 'done' | 'failed'): Promise<void> {
  await em.execute(
    `update outbox set done_at = now(), outcome = ? where id = ? and outcome is distinct from ?`,
    [outcome, messageId, outcome],
  );
}
