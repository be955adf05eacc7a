import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { isEmailKind } from '../domain/follow-ups.js';
import { createMailer, markEmailFailed, sendEmail } from '../effects/email.js';
import { paymentProvider } from '../effects/payment-provider.js';
import { markRefundPaymentFailed, payRefund } from '../effects/refund-payment.js';
import { RetryLaterError } from '../effects/retry-later.js';
import { deliver, markDeliveryFailed } from '../effects/webhooks.js';
import { DELIVER_JOB, EMAIL_JOB, REFUND_PAYMENT_JOB } from '../queues/names.js';
import { closeFollowUp } from '../queues/outbox.js';
import type { Runtime } from '../runtime.js';
import { isLastAttempt } from './actions.js';

type Data = Record<string, unknown>;

/** Work after commit: how to run a job of each name, and what to record once its last attempt failed. */
interface Effect {
  run(job: Job<Data>): Promise<string>;
  failedForGood(job: Job<Data>, error: Error): Promise<void>;
}

const text = (data: Data, key: string): string => {
  const value = data[key];
  if (typeof value !== 'string' || value === '') throw new UnrecoverableError(`job data has no ${key}`);
  return value;
};

function emailRequest(data: Data) {
  const kind = text(data, 'kind');
  if (!isEmailKind(kind)) throw new UnrecoverableError(`unknown e-mail kind ${kind}`);
  const details = data.data;
  return {
    eventId: text(data, 'eventId'),
    kind,
    orderId: text(data, 'orderId'),
    data: details && typeof details === 'object' ? (details as Data) : {},
  };
}

/** The configured effects: SMTP (or logging) for e-mail, the configured payment provider. */
function createEffects(runtime: Runtime): Map<string, Effect> {
  const mailer = createMailer(runtime.config, runtime.log);
  const provider = paymentProvider(runtime.config);
  return new Map<string, Effect>([
    [
      REFUND_PAYMENT_JOB,
      {
        run: (job) => payRefund({ ...runtime, provider }, text(job.data, 'refundId')),
        failedForGood: (job, error) => markRefundPaymentFailed(runtime, text(job.data, 'refundId'), error),
      },
    ],
    [
      EMAIL_JOB,
      {
        run: (job) => sendEmail({ ...runtime, mailer }, emailRequest(job.data)),
        failedForGood: (job, error) => markEmailFailed(runtime, emailRequest(job.data), error),
      },
    ],
    [
      DELIVER_JOB,
      {
        run: (job) => deliver(runtime, text(job.data, 'deliveryId')),
        failedForGood: (job, error) => markDeliveryFailed(runtime, text(job.data, 'deliveryId'), error),
      },
    ],
  ]);
}

/** Runs at most `size` of the tasks given to it at a time; the others wait their turn, first come first served. */
function slots(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (free > 0) free -= 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  };
}

/**
 * The processor of follow-up jobs: a job name that is not an action type names an effect. The job's outbox row
 * (`messageId`) is closed once the effect happened or failed for good; until then the relay keeps a job for it.
 * A process runs at most WORKER_CONCURRENCY follow-ups of a queue at a time: refund payments share the `refunds`
 * queue with its actions, of which a process holds a whole batch.
 */
export function effectProcessor(runtime: Runtime) {
  const perQueue = new Map<string, ReturnType<typeof slots>>();
  const run = effectRunner(runtime);
  return (job: Job<Data>, token?: string): Promise<string> => {
    let queueSlots = perQueue.get(job.queueName);
    if (!queueSlots) perQueue.set(job.queueName, (queueSlots = slots(runtime.config.workerConcurrency)));
    return queueSlots(() => run(job, token));
  };
}

function effectRunner(runtime: Runtime) {
  const effects = createEffects(runtime);
  return async (job: Job<Data>, token?: string): Promise<string> => {
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
  };
}
