/**
 * The queues of SPEC §1 that have work today. Action types name their queue in their definition; follow-up work
 * (effects) runs on the queue of the document it concerns; `maintenance` runs the relay.
 */
export const ACTION_QUEUES = ['orders', 'invoices', 'shipments', 'refunds'] as const;
export type ActionQueueName = (typeof ACTION_QUEUES)[number];
export const QUEUE_NAMES = [...ACTION_QUEUES, 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The data of an action job: the action lives in PostgreSQL, the job only points at it. */
export interface ActionJobData {
  actionId: string;
  orderId: string;
  /** For the operator in bull-board; absent until the order is placed. */
  orderNumber?: string;
}

export const RELAY_JOB = 'relay';

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}
