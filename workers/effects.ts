import { UnrecoverableError, type Job } from 'bullmq';
import { isEmailKind } from '../src/domain/follow-ups.js';
import { createMailer, markEmailFailed, sendEmail } from '../src/effects/email.js';
import { paymentProvider } from '../src/effects/payment-provider.js';
import { markRefundPaymentFailed, payRefund } from '../src/effects/refund-payment.js';
import { deliver, markDeliveryFailed } from '../src/effects/webhooks.js';
import { DELIVER_JOB, EMAIL_JOB, REFUND_PAYMENT_JOB } from '../src/queues/names.js';
import type { Runtime } from '../src/runtime.js';

type Data = Record<string, unknown>;

/** Work after commit: how to run a job of each name, and what to record once its last attempt failed. */
export interface Effect {
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
export function createEffects(runtime: Runtime): Map<string, Effect> {
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
