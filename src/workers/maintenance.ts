import { UnrecoverableError, type Job } from 'bullmq';
import { OVERDUE_JOB, RELAY_JOB } from '../queues/names.js';
import { pruneOutbox, relayFollowUps, relayUnfinishedActions } from '../queues/relay.js';
import type { Runtime } from '../runtime.js';
import { scanOverdue } from './overdue.js';

/** Enqueues what PostgreSQL holds but no queue does (unfinished actions, open follow-ups); prunes the outbox. */
export async function relay(runtime: Runtime): Promise<number> {
  const em = runtime.orm.em.fork();
  const actions = await relayUnfinishedActions(em, runtime.queues, runtime.config.relayAfterMs);
  const followUps = await relayFollowUps(em, runtime.queues, runtime.config.relayRecheckMs);
  await pruneOutbox(em);
  runtime.metrics.relayEnqueued.inc({ kind: 'action' }, actions);
  runtime.metrics.relayEnqueued.inc({ kind: 'follow-up' }, followUps);
  if (actions + followUps > 0) runtime.log.info({ actions, followUps }, 'relay enqueued work');
  return actions + followUps;
}

/** The scheduled jobs: the relay, and the scan for overdue invoices (its clock is the job's schedule time). */
export function maintenanceProcessor(runtime: Runtime) {
  return async (job: Job<Record<string, unknown>>): Promise<number> => {
    if (job.name === RELAY_JOB) return relay(runtime);
    if (job.name === OVERDUE_JOB) return scanOverdue(runtime, new Date(job.timestamp));
    throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
  };
}
