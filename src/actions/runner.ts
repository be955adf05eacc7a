import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { DomainError } from '../domain/errors.js';
import { Action, Order, type ActionError } from '../db/entities.js';
import { writeFollowUp } from '../queues/outbox.js';
import type { FollowUpMessage, Queues } from '../queues/queues.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../db/ids.js';
import { subscribersOf, type EmailKind } from '../domain/follow-ups.js';
import { eventBody, liveSubscribers } from '../effects/webhooks.js';
import { DELIVER_JOB, EMAIL_JOB } from '../queues/names.js';
import { WebhookDelivery } from '../db/entities.js';
import { appendEvent, type AfterCommit } from './history.js';
import { actionDefinition } from './registry.js';

export type RunOutcome =
  | { kind: 'succeeded'; result: Record<string, string> }
  | { kind: 'rejected'; error: ActionError }
  /** Another delivery of the same job finished it already: nothing to do. */
  | { kind: 'finished-before' }
  /** An earlier action of the same order has not finished: try again later. */
  | { kind: 'wait' }
  | { kind: 'missing' };

export interface RunnerDeps {
  orm: MikroORM;
  config: Config;
  log: Logger;
  queues: Queues;
}

const TERMINAL = new Set(['succeeded', 'rejected']);

/**
 * Claims the action unless an earlier action of its order is unfinished: actions of one order apply in the order
 * they were accepted, different orders in parallel. A claim counts an attempt.
 */
const CLAIM = `
  update actions a set status = 'processing', attempts = a.attempts + 1, updated_at = now()
  where a.id = ? and a.status in ('queued', 'processing', 'failed')
    and not exists (
      select 1 from actions p
      where p.order_id = a.order_id and p.seq < a.seq and p.status not in ('succeeded', 'rejected'))
  returning a.id`;

/**
 * Applies one action in one PostgreSQL transaction: its handler's writes, the history and the action's outcome
 * commit together. A business rejection rolls back the handler's writes (savepoint) and records the refusal.
 * Anything else throws, for the queue to retry. Safe to call twice for the same action.
 */
export async function runAction(deps: RunnerDeps, actionId: string, now: Date = new Date()): Promise<RunOutcome> {
  const em = deps.orm.em.fork();
  const claimed = await em.execute(CLAIM, [actionId]);
  if (claimed.length === 0) {
    const [row] = await em.execute<{ status: string }[]>('select status from actions where id = ?', [actionId]);
    if (!row) return { kind: 'missing' };
    return TERMINAL.has(row.status) ? { kind: 'finished-before' } : { kind: 'wait' };
  }

  const followUps: FollowUpMessage[] = [];
  const { config } = deps;
  const subscribers = await liveSubscribers(em);
  // Follow-ups nobody would notice (an e-mail of a kind switched off, an event without subscriber) are not written.
  const afterCommitIn = (target: EntityManager, options: { orderless?: boolean } = {}): AfterCommit => {
    const followUp: AfterCommit['followUp'] = (queue, name, payload) => {
      if (name === EMAIL_JOB && !config.mail.enabled.includes(payload.kind as EmailKind)) return;
      followUps.push(writeFollowUp(target, { queue, name, payload }, now, config.relayAfterMs));
    };
    return {
      followUp,
      publish(event) {
        for (const subscriber of subscribersOf(event.type, subscribers)) {
          const delivery = target.create(WebhookDelivery, {
            id: uuidv7(),
            subscriptionId: subscriber.id,
            eventId: event.id,
            eventType: event.type,
            orderId: options.orderless ? null : event.orderId,
            payload: eventBody(event),
            status: 'pending',
            attempts: 0,
            createdAt: now,
            updatedAt: now,
          });
          followUp('webhooks', DELIVER_JOB, { deliveryId: delivery.id });
        }
      },
    };
  };
  const outcome = await em.transactional(async (tx) => {
    const action = await tx.findOneOrFail(Action, actionId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (action.status !== 'processing') return { kind: 'finished-before' } as const;
    const definition = actionDefinition(action.type);
    const log = deps.log.child({
      actionId: action.id,
      orderId: action.orderId,
      actionType: action.type,
      reqId: action.requestId,
    });
    try {
      const result = await tx.transactional((inner) =>
        definition.apply(
          {
            em: inner,
            action,
            config: deps.config,
            now,
            log,
            afterCommit: afterCommitIn(inner),
          },
          action.payload,
        ),
      );
      Object.assign(action, { status: 'succeeded', result, error: null, finishedAt: now, updatedAt: now });
      return { kind: 'succeeded', result } as const;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      followUps.length = 0; // rolled back with the handler's writes
      const rejection: ActionError = { code: error.code, message: error.message, details: error.details };
      Object.assign(action, { status: 'rejected', result: null, error: rejection, finishedAt: now, updatedAt: now });
      const rejected = {
        orderId: action.orderId,
        type: 'action.rejected',
        actor: action.actorName,
        actionId: action.id,
        data: { actionType: action.type, ...rejection },
        at: now,
      };
      if (await tx.count(Order, { id: action.orderId })) {
        appendEvent(tx, rejected, afterCommitIn(tx));
      } else {
        // A rejected placement leaves no order to hold a history; subscribers still hear of it.
        afterCommitIn(tx, { orderless: true }).publish({
          id: uuidv7(),
          type: 'action.rejected',
          orderId: action.orderId,
          occurredAt: now.toISOString(),
          data: rejected.data,
        });
      }
      log.info({ code: error.code }, 'action rejected');
      return { kind: 'rejected', error: rejection } as const;
    }
  });
  if (followUps.length > 0) {
    // After commit: a failure here only delays the follow-ups until the relay finds them in the outbox.
    await deps.queues.enqueueFollowUps(followUps).catch((error: unknown) =>
      deps.log.warn({ err: error, actionId }, 'could not enqueue follow-ups; the relay will'),
    );
  }
  return outcome;
}

/** Records that the queue gave up on an action after its last attempt; a retry from bull-board can still apply it. */
export async function markActionFailed(deps: RunnerDeps, actionId: string, error: Error): Promise<void> {
  const failure: ActionError = { code: 'INFRASTRUCTURE_FAILURE', message: error.message, details: { name: error.name } };
  await deps.orm.em.fork().execute(
    `update actions set status = 'failed', error = ?, updated_at = now()
     where id = ? and status not in ('succeeded', 'rejected')`,
    [JSON.stringify(failure), actionId],
  );
}

/** The next unfinished action of the same order, if any: it may be waiting for this one. */
export async function nextActionOfOrder(deps: RunnerDeps, actionId: string): Promise<{ id: string; type: string } | null> {
  const [row] = await deps.orm.em.fork().execute<{ id: string; type: string }[]>(
    `select n.id, n.type from actions a
     join actions n on n.order_id = a.order_id and n.seq > a.seq and n.status in ('queued', 'processing')
     where a.id = ? order by n.seq limit 1`,
    [actionId],
  );
  return row ?? null;
}
