import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Worker, type Job } from 'bullmq';
import { isActionType } from '../actions/registry.js';
import { markActionFailed } from '../actions/runner.js';
import { workerConnection } from '../queues/connection.js';
import { ACTION_QUEUES, EFFECT_QUEUES, OVERDUE_JOB, RELAY_JOB, type ActionQueueName, type QueueName } from '../queues/names.js';
import { followUpsDueNow } from '../queues/relay.js';
import type { Runtime } from '../runtime.js';
import { actionProcessor, MAX_BATCH } from './actions.js';
import { effectProcessor } from './effects.js';
import { maintenanceProcessor, relay } from './maintenance.js';

const isActionQueue = (name: QueueName): name is ActionQueueName => (ACTION_QUEUES as readonly QueueName[]).includes(name);

type Processor = (job: Job<Record<string, unknown>>, token?: string) => Promise<unknown>;

/** Jobs of every queue but `maintenance`: actions (named by their type) and follow-ups (named by their effect). */
function jobProcessor(runtime: Runtime): Processor {
  const actions = actionProcessor(runtime);
  const effects = effectProcessor(runtime);
  return (job, token) => (isActionType(job.name) ? actions(job, token) : effects(job, token));
}

/** Times every job for the job-duration histogram, labelled with its outcome. */
function timed(runtime: Runtime, processor: Processor): Processor {
  return async (job, token) => {
    const stop = runtime.metrics.jobDuration.startTimer({ queue: job.queueName, name: job.name });
    try {
      const result = await processor(job, token);
      stop({ outcome: typeof result === 'object' && result !== null && 'outcome' in result ? String(result.outcome) : String(result) });
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
  const processor = jobProcessor(runtime);
  const connection = workerConnection(config.redisUrl);
  connection.on('error', (error) => runtime.log.warn({ err: error }, 'worker redis connection error'));
  const workers = queueNames.map((name) => {
    const worker = new Worker(name, timed(runtime, name === 'maintenance' ? maintenanceProcessor(runtime) : processor), {
      connection,
      prefix: config.queuePrefix,
      concurrency: name === 'maintenance' ? 1 : isActionQueue(name) ? MAX_BATCH : config.workerConcurrency,
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
        markActionFailed(runtime.orm, job.data.actionId, error).catch((markError: unknown) =>
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
