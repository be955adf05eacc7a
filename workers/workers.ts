import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { InvalidPayloadError } from '../src/actions/definition.js';
import { markActionFailed, nextActionOfOrder, runAction } from '../src/actions/runner.js';
import { workerConnection } from '../src/queues/connection.js';
import { ACTION_QUEUES, EFFECT_QUEUES, OVERDUE_JOB, RELAY_JOB, type QueueName } from '../src/queues/names.js';
import { scanOverdue } from '../src/effects/overdue.js';
import { RetryLaterError } from '../src/effects/retry-later.js';
import { closeFollowUp } from '../src/queues/outbox.js';
import { followUpsDueNow, pruneOutbox, relayFollowUps, relayUnfinishedActions } from '../src/queues/relay.js';
import { isActionType, queueOf } from '../src/actions/registry.js';
import { createEffects, type Effect } from './effects.js';
import type { Runtime } from '../src/runtime.js';

/**
 * How long a job waits for an earlier action of its order before looking again: short at first, longer the longer
 * it has waited (an earlier action that failed for good waits for an operator). The earlier action's worker
 * usually wakes it sooner (`wakeNext`).
 */
export function waitDelay(job: Pick<Job, 'timestamp'>, now = Date.now()): number {
  return Math.min(5000, Math.max(100, Math.round((now - job.timestamp) / 5)));
}

const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * Follow-up work after commit; a job name that is not an action type names one of these. The outbox row of the job
 * (`messageId`) is closed once the effect happened or failed for good; until then the relay keeps a job for it.
 */
async function runEffect(
  runtime: Runtime,
  effects: Map<string, Effect>,
  job: Job<Record<string, unknown>>,
  token: string | undefined,
): Promise<string> {
  const effect = effects.get(job.name);
  if (!effect) throw new UnrecoverableError(`unknown job ${job.name}`);
  const messageId = typeof job.data.messageId === 'string' ? job.data.messageId : null;
  const close = async (outcome: 'done' | 'failed') => {
    if (messageId) await closeFollowUp(runtime.orm.em.fork(), messageId, outcome);
  };
  try {
    const outcome = await effect.run(job);
    runtime.metrics.effects.inc({ name: job.name, outcome });
    await close('done');
    return outcome;
  } catch (error) {
    if (error instanceof RetryLaterError) {
      await job.moveToDelayed(error.retryAt.getTime(), token);
      throw new DelayedError();
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    const lastAttempt = error instanceof UnrecoverableError || isLastAttempt(job);
    runtime.log.warn({ err: failure, jobId: job.id, job: job.name, attempt: job.attemptsMade + 1, lastAttempt }, 'effect failed');
    runtime.metrics.effects.inc({ name: job.name, outcome: lastAttempt ? 'failed' : 'error' });
    if (lastAttempt) {
      await effect.failedForGood(job, failure);
      await close('failed');
    }
    throw failure;
  }
}

/**
 * Promotes the job of the order's next action if it is waiting for this one, so that a burst of actions on one
 * order runs back to back instead of at the pace of its delays. Best effort: the delay is the safety net.
 */
async function wakeNext(runtime: Runtime, actionId: string): Promise<void> {
  try {
    const next = await nextActionOfOrder(runtime, actionId);
    if (!next) return;
    const job = await runtime.queues.get(queueOf(next.type)).getJob(next.id);
    if (job && (await job.isDelayed())) await job.promote();
  } catch (error) {
    runtime.log.debug({ err: error, actionId }, 'could not wake the next action');
  }
}

/** Puts the number of a just-placed order on its job, for the operator looking at bull-board. */
async function showOrderNumber(runtime: Runtime, job: Job<Record<string, unknown>>, orderId: string): Promise<void> {
  try {
    const [row] = await runtime.orm.em.fork().execute<{ number: string }[]>('select number from orders where id = ?', [orderId]);
    if (row) await job.updateData({ ...job.data, orderNumber: row.number });
  } catch (error) {
    runtime.log.debug({ err: error, jobId: job.id }, 'could not put the order number on the job');
  }
}

/** Jobs of every queue but `maintenance`: actions (named by their type, data = ActionJobData) and follow-ups. */
function jobProcessor(runtime: Runtime, effects: Map<string, Effect>) {
  return async (job: Job<Record<string, unknown>>, token?: string): Promise<string> => {
    if (!isActionType(job.name)) return runEffect(runtime, effects, job, token);
    const { actionId, orderId } = job.data;
    if (typeof actionId !== 'string') throw new UnrecoverableError(`job ${job.id} carries no action id`);
    const log = runtime.log.child({ jobId: job.id, actionId, orderId, queue: job.queueName });
    try {
      const outcome = await runAction(runtime, actionId);
      if (outcome.kind === 'wait') {
        await job.moveToDelayed(Date.now() + waitDelay(job), token);
        throw new DelayedError();
      }
      if (outcome.kind === 'missing') log.warn('job points at no action; completing it');
      if (outcome.kind === 'succeeded' || outcome.kind === 'rejected') {
        runtime.metrics.actionsApplied.inc({ type: job.name, outcome: outcome.kind });
        await wakeNext(runtime, actionId);
      }
      if (outcome.kind === 'succeeded' && typeof orderId === 'string' && !job.data.orderNumber) {
        await showOrderNumber(runtime, job, orderId);
      }
      return outcome.kind;
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      const lastAttempt = error instanceof InvalidPayloadError || isLastAttempt(job);
      log.error({ err: failure, attempt: job.attemptsMade + 1, lastAttempt }, 'action failed');
      if (lastAttempt) {
        runtime.metrics.actionsApplied.inc({ type: job.name, outcome: 'failed' });
        await markActionFailed(runtime, actionId, failure).catch((markError: unknown) =>
          log.error({ err: markError }, 'could not mark the action failed'),
        );
      }
      if (error instanceof InvalidPayloadError) throw new UnrecoverableError(failure.message);
      throw failure;
    }
  };
}

/** Enqueues what PostgreSQL holds but no queue does (unfinished actions, open follow-ups); prunes the outbox. */
async function relay(runtime: Runtime): Promise<number> {
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
function maintenanceProcessor(runtime: Runtime) {
  return async (job: Job<Record<string, unknown>>): Promise<number> => {
    if (job.name === RELAY_JOB) return relay(runtime);
    if (job.name === OVERDUE_JOB) return scanOverdue(runtime, new Date(job.timestamp));
    throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
  };
}

/** Times every job for the job-duration histogram, labelled with its outcome. */
function timed<T>(runtime: Runtime, processor: (job: Job<Record<string, unknown>>, token?: string) => Promise<T>) {
  return async (job: Job<Record<string, unknown>>, token?: string): Promise<T> => {
    const stop = runtime.metrics.jobDuration.startTimer({ queue: job.queueName, name: job.name });
    try {
      const result = await processor(job, token);
      stop({ outcome: String(result) });
      return result;
    } catch (error) {
      stop({ outcome: error instanceof DelayedError ? 'waiting' : 'error' });
      throw error;
    }
  };
}

export interface Workers {
  workers: Worker[];
  /**
   * Stops taking jobs and lets running ones finish for up to `graceMs`; then closes anyway. A job cut off keeps
   * its lock until it expires, and the stalled-job check hands it to another worker (handlers are idempotent).
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts a worker on each named queue; with `maintenance`, schedules the relay and the overdue scan and sweeps
 * once at start-up.
 */
export async function startWorkers(runtime: Runtime, queueNames: readonly QueueName[]): Promise<Workers> {
  const { config } = runtime;
  const effects = createEffects(runtime);
  const connection = workerConnection(config.redisUrl);
  connection.on('error', (error) => runtime.log.warn({ err: error }, 'worker redis connection error'));
  const workers = queueNames.map((name) => {
    const processor =
      name === 'maintenance' ? timed(runtime, maintenanceProcessor(runtime)) : timed(runtime, jobProcessor(runtime, effects));
    const worker = new Worker(name, processor, {
      connection,
      prefix: config.queuePrefix,
      concurrency: name === 'maintenance' ? 1 : config.workerConcurrency,
      // A crashed worker's jobs run again once their lock lapses; a job may be cut off that way as often as it may fail.
      lockDuration: config.jobLockMs,
      stalledInterval: config.jobLockMs,
      maxStalledCount: config.jobAttempts,
      autorun: true,
    });
    worker.on('error', (error) => runtime.log.error({ err: error, queue: name }, 'worker error'));
    worker.on('failed', (job, error) => {
      // Cut off too often: BullMQ fails the job without running it, so the action must be marked here.
      if (job?.deferredFailure && isActionType(job.name) && typeof job.data.actionId === 'string') {
        runtime.metrics.actionsApplied.inc({ type: job.name, outcome: 'failed' });
        markActionFailed(runtime, job.data.actionId, error).catch((markError: unknown) =>
          runtime.log.error({ err: markError, jobId: job.id }, 'could not mark the action failed'),
        );
      }
    });
    return worker;
  });
  let closing = false;
  let retry: NodeJS.Timeout | undefined;
  if (queueNames.includes('maintenance')) {
    // Job schedulers live in Redis: a Redis that restarted empty has none, so install it again on every reconnect.
    const installRelay = async () => {
      const maintenance = runtime.queues.get('maintenance');
      await maintenance.upsertJobScheduler(RELAY_JOB, { every: config.relayIntervalMs }, { name: RELAY_JOB, opts: { removeOnFail: 100 } });
      await maintenance.upsertJobScheduler(
        OVERDUE_JOB,
        { every: config.reminders.scanIntervalMs },
        { name: OVERDUE_JOB, opts: { removeOnFail: 100 } },
      );
      await relay(runtime);
    };
    await installRelay();
    // On a reconnect the producer connection may come back a moment after this one: try until it works. Redis may
    // have come back empty, so every open follow-up is looked at again at once, not only when next due.
    const reinstall = () => {
      if (closing) return;
      followUpsDueNow(runtime.orm.em.fork())
        .then(installRelay)
        .catch((error: unknown) => {
          runtime.log.warn({ err: error }, 'could not reinstall the relay yet; trying again');
          retry = setTimeout(reinstall, 500);
        });
    };
    connection.on('ready', reinstall);
  }
  return {
    workers,
    async close(graceMs = config.shutdownGraceMs) {
      closing = true;
      clearTimeout(retry);
      const finished = Promise.all(workers.map((worker) => worker.close()));
      const inTime = await Promise.race([finished.then(() => true), sleep(graceMs, false, { ref: false })]);
      if (!inTime) {
        runtime.log.warn({ graceMs }, 'jobs still running after the grace period; closing anyway');
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      connection.disconnect();
    },
  };
}

export const ALL_WORKER_QUEUES: readonly QueueName[] = [...ACTION_QUEUES, ...EFFECT_QUEUES, 'maintenance'];
