/**
 * The queues of SPEC §1. Action types name their queue in their definition; follow-up work runs on the effect
 * queues (refund payments on `refunds`); `maintenance` runs the relay and the overdue-invoice scan.
 */
export const ACTION_QUEUES = ['orders', 'invoices', 'shipments', 'refunds', 'returns'] as const;
export type ActionQueueName = (typeof ACTION_QUEUES)[number];
/** Work after commit: e-mail, webhook deliveries (and refund payments, on `refunds`). */
export const EFFECT_QUEUES = ['notifications', 'webhooks'] as const;
export const QUEUE_NAMES = [...ACTION_QUEUES, ...EFFECT_QUEUES, 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The data of an action job: the action lives in PostgreSQL, the job only points at it. */
export interface ActionJobData {
  actionId: string;
  orderId: string;
  /** For the operator in bull-board; absent until the order is placed. */
  orderNumber?: string;
}

/** Job names of the work after commit; each job's data carries the id of its outbox row as `messageId`. */
export const EMAIL_JOB = 'email.send';
export const DELIVER_JOB = 'webhook.deliver';
export const REFUND_PAYMENT_JOB = 'refund.payment';

export const RELAY_JOB = 'relay';
export const OVERDUE_JOB = 'overdue';

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}
