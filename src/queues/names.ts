/**
 * The queues of SPEC §1 that have work today. Action types name their queue in their definition; `maintenance`
 * runs the relay.
 */
export const QUEUE_NAMES = ['orders', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
export type ActionQueueName = Exclude<QueueName, 'maintenance'>;
export const ACTION_QUEUES: readonly ActionQueueName[] = ['orders'];

/** The data of an action job: the action lives in PostgreSQL, the job only points at it. */
export interface ActionJobData {
  actionId: string;
  orderId: string;
}

export const RELAY_JOB = 'relay';
