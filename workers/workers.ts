import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { InvalidPayloadError } from '../src/actions/definition.js';
import { markActionFailed, runAction } from '../src/actions/runner.js';
import { workerConnection } from '../src/queues/connection.js';
import { ACTION_QUEUES, RELAY_JOB, type ActionJobData, type QueueName } from '../src/queues/names.js';
import { relayUnfinishedActions } from '../src/queues/relay.js';
import type { Runtime } from '../src/runtime.js';

/**
 * How long a job waits for an earlier action of its order: short at first, longer the longer it has waited
 * (an earlier action that failed for good waits for an operator).
 */
export function waitDelay(job: Pick<Job, 'timestamp'>, now = Date.now()): number {
  return Math.min(5000, Math.max(50, Math.round((now - job.timestamp) / 10)));
}

function actionProcessor(runtime: Runtime) {
  return async (job: Job<ActionJobData>, token?: string): Promise<string> => {
    const { actionId } = job.data;
    const log = runtime.log.child({ jobId: job.id, actionId, orderId: job.data.orderId, queue: job.queueName });
    try {
      const outcome = await runAction(runtime, actionId);
      if (outcome.kind === 'wait') {
        await job.moveToDelayed(Date.now() + waitDelay(job), token);
        throw new DelayedError();
      }
      if (outcome.kind === 'missing') log.warn('job points at no action; completing it');
      return outcome.kind;
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      const lastAttempt = error instanceof InvalidPayloadError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.error({ err: failure, attempt: job.attemptsMade + 1, lastAttempt }, 'action failed');
      if (lastAttempt) {
        await markActionFailed(runtime, actionId, failure).catch((markError: unknown) =>
          log.error({ err: markError }, 'could not mark the action failed'),
        );
      }
      if (error instanceof InvalidPayloadError) throw new UnrecoverableError(failure.message);
      throw failure;
    }
  };
}

function maintenanceProcessor(runtime: Runtime) {
  return async (job: Job): Promise<number> => {
    if (job.name !== RELAY_JOB) throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
    const relayed = await relayUnfinishedActions(runtime.orm.em.fork(), runtime.queues, runtime.config.relayAfterMs);
    if (relayed > 0) runtime.log.info({ relayed }, 'relay enqueued unfinished actions');
    return relayed;
  };
}

export interface Workers {
  workers: Worker[];
  close(): Promise<void>;
}

/** Starts a worker on each named queue, schedules the relay, and sweeps once at start-up. */
export async function startWorkers(runtime: Runtime, queueNames: readonly QueueName[]): Promise<Workers> {
  const { config } = runtime;
  const connection = workerConnection(config.redisUrl);
  connection.on('error', (error) => runtime.log.warn({ err: error }, 'worker redis connection error'));
  const workers = queueNames.map((name) => {
    const processor = name === 'maintenance' ? maintenanceProcessor(runtime) : actionProcessor(runtime);
    const worker = new Worker(name, processor, {
      connection,
      prefix: config.queuePrefix,
      concurrency: name === 'maintenance' ? 1 : config.workerConcurrency,
      autorun: true,
    });
    worker.on('error', (error) => runtime.log.error({ err: error, queue: name }, 'worker error'));
    return worker;
  });
  if (queueNames.includes('maintenance')) {
    // Job schedulers live in Redis: a Redis that restarted empty has none, so install it again on every reconnect.
    const installRelay = async () => {
      await runtime.queues
        .get('maintenance')
        .upsertJobScheduler(RELAY_JOB, { every: config.relayIntervalMs }, { name: RELAY_JOB, opts: { removeOnFail: 100 } });
      const relayed = await relayUnfinishedActions(runtime.orm.em.fork(), runtime.queues, config.relayAfterMs);
      if (relayed > 0) runtime.log.info({ relayed }, 'sweep enqueued unfinished actions');
    };
    await installRelay();
    connection.on('ready', () => {
      installRelay().catch((error: unknown) => runtime.log.error({ err: error }, 'could not install the relay'));
    });
  }
  return {
    workers,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      connection.disconnect();
    },
  };
}

export const ALL_WORKER_QUEUES: readonly QueueName[] = [...ACTION_QUEUES, 'maintenance'];
