import { UnrecoverableError, type Job } from 'bullmq';
import type { EmailKind } from '../config/config.js';
import { EMAIL_KINDS } from '../config/config.js';
import { createMailer, markEmailFailed, sendEmail } from '../src/effects/email.js';
import { paymentProvider } from '../src/effects/payment-provider.js';
import { ensurePdf } from '../src/effects/pdf.js';
import { markRefundPaymentFailed, payRefund, REFUND_PAYMENT_JOB } from '../src/effects/refund-payment.js';
import { DELIVER_JOB, EMAIL_JOB, PDF_JOB, PUBLISH_JOB } from '../src/effects/routing.js';
import { deliver, markDeliveryFailed, publishEvent, type PublishedEvent } from '../src/effects/webhooks.js';
import type { Runtime } from '../src/runtime.js';

type Data = Record<string, unknown>;

/** Work after commit: how to run a job of each name, and what to record once its last attempt failed. */
export interface Effect {
  run(job: Job<Data>): Promise<string>;
  failedForGood?(job: Job<Data>, error: Error): Promise<void>;
}

const text = (data: Data, key: string): string => {
  const value = data[key];
  if (typeof value !== 'string' || value === '') throw new UnrecoverableError(`job data has no ${key}`);
  return value;
};

function emailRequest(data: Data) {
  const kind = text(data, 'kind');
  if (!(EMAIL_KINDS as readonly string[]).includes(kind)) throw new UnrecoverableError(`unknown e-mail kind ${kind}`);
  const details = data.data;
  return {
    eventId: text(data, 'eventId'),
    kind: kind as EmailKind,
    orderId: text(data, 'orderId'),
    data: details && typeof details === 'object' ? (details as Data) : {},
  };
}

function publishedEvent(data: Data): PublishedEvent {
  const details = data.data;
  return {
    id: text(data, 'id'),
    type: text(data, 'type'),
    orderId: text(data, 'orderId'),
    occurredAt: text(data, 'occurredAt'),
    data: details && typeof details === 'object' ? (details as Data) : {},
  };
}

/** The configured effects: SMTP (or logging) for e-mail, the configured payment provider. */
export function createEffects(runtime: Runtime): Map<string, Effect> {
  const mailer = createMailer(runtime.config, runtime.log);
  const provider = paymentProvider(runtime.config);
  const { webhooks } = runtime.config;
  return new Map<string, Effect>([
    [
      REFUND_PAYMENT_JOB,
      {
        run: (job) => payRefund({ ...runtime, provider }, text(job.data, 'refundId')),
        failedForGood: (job, error) => markRefundPaymentFailed(runtime, text(job.data, 'refundId'), error),
      },
    ],
    [
      PDF_JOB,
      {
        async run(job) {
          const kind = text(job.data, 'kind');
          if (kind !== 'invoice' && kind !== 'refund') throw new UnrecoverableError(`unknown document kind ${kind}`);
          await ensurePdf(runtime, kind, text(job.data, 'documentId'));
          return 'rendered';
        },
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
      PUBLISH_JOB,
      {
        async run(job) {
          const deliveries = await publishEvent(runtime, publishedEvent(job.data));
          await runtime.queues.get('webhooks').addBulk(
            deliveries.map((deliveryId) => ({
              name: DELIVER_JOB,
              data: { deliveryId },
              opts: { jobId: deliveryId, attempts: webhooks.attempts, backoff: { type: 'exponential', delay: webhooks.backoffMs } },
            })),
          );
          return `deliveries:${deliveries.length}`;
        },
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
