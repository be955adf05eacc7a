import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/config.js';
import { DELIVER_JOB, QUEUE_NAMES, type ActionJobData, type QueueName } from './names.js';

const DAY_SECONDS = 86_400;

export function jobOptions(config: Config): JobsOptions {
  return {
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: config.jobBackoffMs },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: config.failedJobRetentionDays * DAY_SECONDS },
  };
}

/**
 * Options of a follow-up's job, from its name: webhook deliveries retry for about a day, the rest like actions.
 * Used for the first enqueue and for every later one by the relay, so a job handed over again behaves the same.
 */
export function followUpJobOptions(config: Config, name: string): JobsOptions {
  const { webhooks } = config;
  return name === DELIVER_JOB ? { attempts: webhooks.attempts, backoff: { type: 'exponential', delay: webhooks.backoffMs } } : {};
}

export interface FollowUpMessage {
  id: string;
  queue: QueueName;
  name: string;
  payload: Record<string, unknown>;
}

export interface EnqueuedAction {
  id: string;
  type: string;
  orderId: string;
  orderNumber?: string | null;
  /** Start the job only after this long (it waits for an earlier action of its order, which will wake it). */
  delayMs?: number;
}

/**
 * The producer side of every queue. Enqueueing an action is idempotent: the job id is the action id, and BullMQ
 * ignores an add whose id it still holds.
 */
export class Queues {
  private readonly queues: Map<QueueName, Queue>;

  constructor(
    connection: Redis,
    private readonly config: Config,
    private readonly queueOf: (actionType: string) => QueueName,
    onError: (error: Error, queue: QueueName) => void,
  ) {
    const defaultJobOptions = jobOptions(config);
    this.queues = new Map(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection, prefix: config.queuePrefix, defaultJobOptions });
        // Without a listener BullMQ prints every error of the shared connection to stderr, once per queue.
        queue.on('error', (error) => onError(error, name));
        return [name, queue];
      }),
    );
  }

  get(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async enqueueActions(actions: readonly EnqueuedAction[]): Promise<void> {
    const byQueue = new Map<QueueName, EnqueuedAction[]>();
    for (const action of actions) {
      const name = this.queueOf(action.type);
      const group = byQueue.get(name) ?? [];
      group.push(action);
      byQueue.set(name, group);
    }
    await Promise.all(
      [...byQueue].map(([name, group]) =>
        this.get(name).addBulk(
          group.map((action) => ({
            name: action.type,
            data: {
              actionId: action.id,
              orderId: action.orderId,
              ...(action.orderNumber ? { orderNumber: action.orderNumber } : {}),
            } satisfies ActionJobData,
            opts: { jobId: action.id, ...(action.delayMs ? { delay: action.delayMs } : {}) },
          })),
        ),
      ),
    );
  }

  /**
   * Enqueues follow-up work written to the outbox, one bulk add per queue; the job id is the message id, so adding
   * twice is harmless while the job is kept.
   */
  async enqueueFollowUps(messages: readonly FollowUpMessage[]): Promise<void> {
    const byQueue = new Map<QueueName, FollowUpMessage[]>();
    for (const message of messages) byQueue.set(message.queue, [...(byQueue.get(message.queue) ?? []), message]);
    await Promise.all(
      [...byQueue].map(([name, group]) =>
        this.get(name).addBulk(
          group.map((message) => ({
            name: message.name,
            data: { ...message.payload, messageId: message.id },
            opts: { jobId: message.id, ...followUpJobOptions(this.config, message.name) },
          })),
        ),
      ),
    );
  }

  /**
   * Starts the job of an action that waits (delayed) for an earlier action of its order, now that it has finished.
   * Promoting a job that is not delayed (it runs already, or never waited) fails, harmlessly.
   */
  async wakeAction(action: { id: string; type: string }): Promise<void> {
    await (await this.get(this.queueOf(action.type)).getJob(action.id))?.promote();
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}
