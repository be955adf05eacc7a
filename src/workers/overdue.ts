import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config.js';
import { reminderDue } from '../domain/invoice.js';
import { insertActions, requestHash } from '../db/actions.js';
import { Invoice } from '../db/entities/invoices.js';
import type { EnqueuedAction, Queues } from '../queues/queues.js';
import { remindInvoice } from '../actions/invoices.js';

const BATCH = 1000;

/**
 * The scheduled scan of unpaid invoices (SPEC §3.4): for each one that is past due or due another reminder as of
 * `asOf`, records an `invoice.remind` action of the `system` actor and enqueues it. The idempotency key names the
 * invoice's reminder state, so scans that overlap record each step once. `asOf` is the clock, injected.
 */
export async function scanOverdue(deps: { orm: MikroORM; config: Config; queues: Queues }, asOf: Date): Promise<number> {
  const em = deps.orm.em.fork();
  const unpaid = await em.find(
    Invoice,
    { state: { $in: ['pending', 'overdue'] }, dueAt: { $lt: asOf } },
    { orderBy: { dueAt: 'asc' }, limit: BATCH },
  );
  const reminders = unpaid
    .filter((invoice) => reminderDue(invoice, asOf, deps.config.reminders))
    .map((invoice) => {
      const payload = { invoiceId: invoice.id, asOf: asOf.toISOString() };
      return {
        type: remindInvoice.type,
        orderId: invoice.orderId,
        payload,
        actorName: 'system',
        actorRole: 'admin',
        idempotencyKey: `remind-${invoice.id}-${invoice.state}-${invoice.remindersSent}`,
        requestHash: requestHash({ type: remindInvoice.type, target: invoice.id, payload }),
        requestId: null,
      };
    });
  const recorded: EnqueuedAction[] = (reminders.length > 0 ? await insertActions(em, reminders) : []).flatMap((inserted) =>
    inserted ? [{ id: inserted.action.id, type: inserted.action.type, orderId: inserted.action.orderId }] : [],
  );
  await deps.queues.enqueueActions(recorded);
  return recorded.length;
}
