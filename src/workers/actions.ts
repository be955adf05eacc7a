import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { ActionRunner, markActionFailed, type ActionToRun, type BatchResult, type NextAction, type RunOutcome } from '../actions/runner.js';
import { GroupCommit } from '../group-commit.js';
import type { Runtime } from '../runtime.js';

/**
 * How many actions one transaction applies at most; also how many jobs of each action queue a worker process
 * holds at once. An action job only waits in the process for its batch (it holds no connection of its own), so
 * holding fewer would only make the batches smaller.
 */
export const MAX_BATCH = 64;

/**
 * How long a job waits for an earlier action of its order before looking again: short at first, longer the longer
 * it has waited (an earlier action that failed for good waits for an operator). The earlier action's worker
 * usually wakes it sooner.
 */
export function waitDelay(job: Pick<Job, 'timestamp'>, now = Date.now()): number {
  return Math.min(5000, Math.max(100, Math.round((now - job.timestamp) / 5)));
}

export const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/** What an action job returns: its outcome, and for a placement the order's number, for the operator in bull-board. */
export interface ActionJobResult {
  outcome: string;
  orderNumber?: string;
}

/**
 * The processor of action jobs (named by their action type; data = ActionJobData). The jobs running at the same
 * time in this process are applied together (group commit); each job then learns its own action's outcome.
 */
export function actionProcessor(runtime: Runtime) {
  const runner = new ActionRunner({ ...runtime, subscribers: () => runtime.subscribers.get() });
  const batches = new GroupCommit<ActionToRun, RunOutcome>(
    async (actions) => {
      const result = await runner.run(actions);
      await afterCommit(runtime, result);
      return actions.map((action) => result.outcomes.get(action.id));
    },
    { maxSize: MAX_BATCH, maxRunning: runtime.config.workerBatches, describe: (action) => `action ${action.id}` },
  );
  return async (job: Job<Record<string, unknown>>, token?: string): Promise<ActionJobResult> => {
    const { actionId, orderId } = job.data;
    if (typeof actionId !== 'string') throw new UnrecoverableError(`job ${job.id} carries no action id`);
    const log = runtime.log.child({ jobId: job.id, actionId, orderId, queue: job.queueName });
    const outcome = await batches.submit({ id: actionId, type: job.name });
    switch (outcome.kind) {
      case 'wait':
        await job.moveToDelayed(Date.now() + waitDelay(job), token);
        throw new DelayedError();
      case 'missing':
        log.warn('job points at no action; completing it');
        return { outcome: outcome.kind };
      case 'finished-before':
        return { outcome: outcome.kind };
      case 'succeeded':
        runtime.metrics.actionsApplied.inc({ type: job.name, outcome: outcome.kind });
        return { outcome: outcome.kind, ...(job.name === 'order.place' && outcome.orderNumber ? { orderNumber: outcome.orderNumber } : {}) };
      case 'rejected':
        runtime.metrics.actionsApplied.inc({ type: job.name, outcome: outcome.kind });
        return { outcome: outcome.kind };
      case 'error': {
        const lastAttempt = outcome.unrecoverable || isLastAttempt(job);
        log.error({ err: outcome.error, attempt: job.attemptsMade + 1, lastAttempt }, 'action failed');
        if (lastAttempt) {
          runtime.metrics.actionsApplied.inc({ type: job.name, outcome: 'failed' });
          await markActionFailed(runtime.orm, actionId, outcome.error).catch((markError: unknown) =>
            log.error({ err: markError }, 'could not mark the action failed'),
          );
        }
        throw outcome.unrecoverable ? new UnrecoverableError(outcome.error.message) : outcome.error;
      }
    }
  };
}

/**
 * After a batch committed: its follow-ups go to their queues (one bulk add per queue), and the jobs of the orders'
 * next actions, waiting for these, are woken. Best effort: the relay hands over what did not reach Redis, and a
 * waiting job looks again by itself.
 */
async function afterCommit(runtime: Runtime, result: BatchResult): Promise<void> {
  const next = nextActions(result);
  await Promise.all([
    result.followUps.length > 0
      ? runtime.queues.enqueueFollowUps(result.followUps).catch((error: unknown) =>
          runtime.log.warn({ err: error }, 'could not enqueue follow-ups; the relay will'),
        )
      : null,
    ...next.map((action) => wake(runtime, action)),
  ]);
}

/** The orders' next actions after those a batch finished: they may be waiting for them. */
function nextActions(result: BatchResult): NextAction[] {
  return [...result.outcomes.values()].flatMap((outcome) =>
    (outcome.kind === 'succeeded' || outcome.kind === 'rejected') && outcome.next ? [outcome.next] : [],
  );
}

async function wake(runtime: Runtime, next: NextAction): Promise<void> {
  try {
    await runtime.queues.wakeAction(next);
  } catch (error) {
    runtime.log.debug({ err: error, actionId: next.id }, 'could not wake the next action');
  }
}
