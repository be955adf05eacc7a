import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { DomainError } from '../domain/errors.js';
import { followUpsOf, subscribersOf, webhookBody, type Subscriber, type WebhookEvent } from '../domain/follow-ups.js';
import { uuidv7 } from '../db/ids.js';
import { announceFinished } from '../db/finished-actions.js';
import { ensureSequences, takeNumbers, type SequenceName } from '../db/sequences.js';
import { claimAndLoad, type ClaimedAction, type SnapshotPart, type StockLocks } from '../db/snapshot.js';
import { readStock } from '../db/stock.js';
import { addChanges, noChanges, writeChanges, type Changes } from '../db/write.js';
import { DELIVER_JOB, EMAIL_JOB, REFUND_PAYMENT_JOB, type QueueName } from '../queues/names.js';
import type { FollowUpMessage } from '../queues/queues.js';
import { bodyValidator } from '../validation.js';
import type { ActionDefinition, ActionFacts, Applied, HistoryEvent, PlanInput } from './definition.js';
import { actionDefinition, actionDefinitions } from './registry.js';
import { StockView } from './stock.js';

/** The outcome of one action of a batch. */
export type RunOutcome =
  | { kind: 'succeeded'; result: Record<string, string>; orderNumber: string | null; next: NextAction | null }
  | { kind: 'rejected'; error: ActionError; next: NextAction | null }
  /** Another delivery of the same job finished it already: nothing to do. */
  | { kind: 'finished-before' }
  /** An earlier action of the same order has not finished: try again later. */
  | { kind: 'wait' }
  | { kind: 'missing' }
  /** Not applied: retry (or, when `unrecoverable`, give up at once). */
  | { kind: 'error'; error: Error; unrecoverable: boolean };

export interface ActionError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** The next unfinished action of an order whose action just finished: it may be waiting for it. */
export interface NextAction {
  id: string;
  type: string;
}

/** An action to apply, as its job names it. */
export interface ActionToRun {
  id: string;
  type: string;
}

export interface RunnerDeps {
  orm: MikroORM;
  config: Config;
  log: Logger;
  /** The live webhook subscriptions (cached between changes). */
  subscribers(): Promise<Subscriber[]>;
}

/** Raised when a stored payload no longer matches its schema: a defect to fix, not a condition to retry. */
export class InvalidPayloadError extends Error {
  constructor(type: string, problems: string[]) {
    super(`stored payload of ${type} does not match its schema: ${problems.join('; ')}`);
    this.name = 'InvalidPayloadError';
  }
}

const TERMINAL = new Set(['succeeded', 'rejected']);

/** What a batch leaves to do after its commit. */
export interface BatchResult {
  outcomes: Map<string, RunOutcome>;
  followUps: FollowUpMessage[];
}

interface Decided {
  claim: ClaimedAction;
  definition: ActionDefinition;
  input: PlanInput<Record<string, unknown>>;
  plan: unknown;
}

/**
 * Applies actions of different orders together, in one PostgreSQL transaction (group commit): one statement claims
 * them and loads their orders, one reads the stock they need, one takes their document numbers and one writes
 * everything they decided, their outcomes and their follow-ups. Each action keeps its own outcome: a rejection is
 * decided before anything is written and recorded as such. If the batch fails as a whole (the database went away,
 * a constraint refused a row), each action is tried again on its own, so that a poisoned action cannot hold the
 * others back.
 */
export class ActionRunner {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly locks: StockLocks;
  private sequencesReady = false;

  constructor(private readonly deps: RunnerDeps) {
    const locking = (kind: 'payloadItems' | 'orderLines') =>
      actionDefinitions.filter((definition) => definition.stock?.lock === kind).map((definition) => definition.type);
    this.locks = { payloadItems: locking('payloadItems'), orderLines: locking('orderLines') };
    for (const definition of actionDefinitions) this.validators.set(definition.type, bodyValidator(definition.payload));
  }

  async run(actions: readonly ActionToRun[], now = new Date()): Promise<BatchResult> {
    try {
      return await this.apply(actions, now);
    } catch (error) {
      if (actions.length === 1) {
        const failure = error instanceof Error ? error : new Error(String(error));
        await this.countFailedAttempt(actions[0]!.id);
        return { outcomes: new Map([[actions[0]!.id, { kind: 'error', error: failure, unrecoverable: false }]]), followUps: [] };
      }
      this.deps.log.warn({ err: error, actions: actions.length }, 'batch failed; applying its actions one by one');
      const outcomes = new Map<string, RunOutcome>();
      const followUps: FollowUpMessage[] = [];
      for (const action of actions) {
        const single = await this.run([action], now);
        for (const [id, outcome] of single.outcomes) outcomes.set(id, outcome);
        followUps.push(...single.followUps);
      }
      return { outcomes, followUps };
    }
  }

  /**
   * The claim that counted the attempt rolled back with the transaction: count it on its own (best effort, the
   * database may be what failed), so that the action shows how often it was tried.
   */
  private async countFailedAttempt(actionId: string): Promise<void> {
    await this.deps.orm.em
      .fork()
      .execute(`update actions set attempts = attempts + 1, updated_at = now() where id = ? and status not in ('succeeded', 'rejected')`, [actionId])
      .catch((error: unknown) => this.deps.log.debug({ err: error, actionId }, 'could not count the failed attempt'));
  }

  private async apply(actions: readonly ActionToRun[], now: Date): Promise<BatchResult> {
    const { orm, config } = this.deps;
    const em = orm.em.fork();
    if (!this.sequencesReady) {
      await ensureSequences(em, config.numbers);
      this.sequencesReady = true;
    }
    const subscribers = await this.deps.subscribers();
    const parts = [...new Set(actions.flatMap((action) => actionDefinition(action.type).needs))] as SnapshotPart[];
    const outcomes = new Map<string, RunOutcome>();
    const followUps: FollowUpMessage[] = [];

    await em.transactional(async (tx) => {
      const claims = await claimAndLoad(tx, actions.map((action) => action.id), parts, this.locks);
      const claimed: ClaimedAction[] = [];
      for (const claim of claims) {
        if (claim.claimed) claimed.push(claim.claimed);
        else if (claim.status === null) outcomes.set(claim.id, { kind: 'missing' });
        else outcomes.set(claim.id, TERMINAL.has(claim.status) ? { kind: 'finished-before' } : { kind: 'wait' });
      }
      if (claimed.length === 0) return;

      const valid = claimed.filter((claim) => {
        const check = this.validators.get(claim.type);
        if (!check) {
          outcomes.set(claim.id, { kind: 'error', error: new Error(`unknown action type ${claim.type}`), unrecoverable: true });
          return false;
        }
        if (check(claim.payload)) return true;
        const problems = (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
        outcomes.set(claim.id, { kind: 'error', error: new InvalidPayloadError(claim.type, problems), unrecoverable: true });
        return false;
      });
      const stock = await this.stockFor(tx, valid);

      // Decide every action in the order its claim came (accepted first), each seeing the stock earlier ones moved.
      const decided: Decided[] = [];
      const changes = noChanges();
      for (const claim of valid) {
        const definition = actionDefinition(claim.type);
        const input: PlanInput<Record<string, unknown>> = { action: facts(claim), payload: claim.payload, order: claim.order, stock, config, now };
        try {
          const plan = definition.plan(input);
          if (definition.stock?.moves) stock.record(definition.stock.moves(plan));
          decided.push({ claim, definition, input, plan });
        } catch (error) {
          if (!(error instanceof DomainError)) {
            outcomes.set(claim.id, { kind: 'error', error: error instanceof Error ? error : new Error(String(error)), unrecoverable: false });
            continue;
          }
          const rejection: ActionError = { code: error.code, message: error.message, details: error.details };
          addChanges(changes, this.rejected(claim, rejection, now, subscribers, followUps));
          outcomes.set(claim.id, { kind: 'rejected', error: rejection, next: null });
        }
      }

      // Numbers last: their counter rows stay locked from here until the commit.
      const counts = new Map<SequenceName, number>();
      for (const { definition } of decided) {
        if (definition.sequence) counts.set(definition.sequence, (counts.get(definition.sequence) ?? 0) + 1);
      }
      const numbers = await takeNumbers(tx, counts, config.numbers);
      for (const { claim, definition, input, plan } of decided) {
        const number = definition.sequence ? numbers.get(definition.sequence)!.shift()! : null;
        const written = definition.write(plan, { ...input, number });
        addChanges(changes, this.succeeded(claim, written, now, subscribers, followUps));
        outcomes.set(claim.id, { kind: 'succeeded', result: written.result, orderNumber: number ?? claim.order?.number ?? null, next: null });
      }

      const finished = claimed.filter((claim) => {
        const outcome = outcomes.get(claim.id);
        return outcome?.kind === 'succeeded' || outcome?.kind === 'rejected';
      });
      // One row: the finished actions announced to waiting requests (delivered at commit), and each order's next.
      const announce = announceFinished(finished.map((claim) => claim.id));
      const [written] = await writeChanges<{ next: { order_id: string; id: string; type: string }[] }>(tx, changes, {
        sql: `select ${announce.sql} as announced, (
                select coalesce(jsonb_agg(jsonb_build_object('order_id', f.order_id, 'id', n.id, 'type', n.type)), '[]')
                from unnest(?::uuid[], ?::bigint[]) as f(order_id, seq)
                join lateral (
                  select n.id, n.type from actions n
                  where n.order_id = f.order_id and n.seq > f.seq and n.status in ('queued', 'processing')
                  order by n.seq limit 1) n on true) as next`,
        params: [...announce.params, `{${finished.map((claim) => claim.orderId).join(',')}}`, `{${finished.map((claim) => claim.seq).join(',')}}`],
      });
      const nextOf = new Map((written?.next ?? []).map((row) => [row.order_id, { id: row.id, type: row.type }]));
      for (const claim of finished) {
        const outcome = outcomes.get(claim.id)!;
        if (outcome.kind === 'succeeded' || outcome.kind === 'rejected') outcome.next = nextOf.get(claim.orderId) ?? null;
      }
    });
    return { outcomes, followUps };
  }

  /** Stock levels of the SKUs (and the sources) the actions of the batch read; they were locked by the claim. */
  private async stockFor(em: EntityManager, claimed: readonly ClaimedAction[]): Promise<StockView> {
    const skus = new Set<string>();
    const sources = new Set<string>();
    for (const claim of claimed) {
      const reads = actionDefinition(claim.type).stock;
      if (!reads) continue;
      for (const sku of reads.skus(claim.payload, claim.order)) skus.add(sku);
      for (const source of reads.sources?.(claim.payload) ?? []) sources.add(source);
    }
    if (skus.size === 0 && sources.size === 0) return StockView.empty();
    const read = await readStock(em, [...skus].sort(), [...sources].sort());
    return new StockView(read.levels, new Set(read.sources));
  }

  /** The changes of an applied action: its own, its history, its follow-ups and its outcome. */
  private succeeded(claim: ClaimedAction, applied: Applied, now: Date, subscribers: readonly Subscriber[], followUps: FollowUpMessage[]): Changes {
    const changes = applied.changes;
    for (const event of applied.events) addChanges(changes, this.history(claim, event, now, subscribers, followUps, true));
    changes.changes.push(outcome(claim, now, { status: 'succeeded', result: applied.result, error: null }));
    return changes;
  }

  /**
   * The changes of a rejected action: its outcome, an `action.rejected` entry in the order's history, and the event
   * for subscribers (also when the rejected placement left no order to hold a history).
   */
  private rejected(claim: ClaimedAction, rejection: ActionError, now: Date, subscribers: readonly Subscriber[], followUps: FollowUpMessage[]): Changes {
    const changes = noChanges();
    changes.changes.push(outcome(claim, now, { status: 'rejected', result: null, error: rejection }));
    const event: HistoryEvent = { type: 'action.rejected', data: { actionType: claim.type, ...rejection } };
    addChanges(changes, this.history(claim, event, now, subscribers, followUps, claim.order !== null));
    this.deps.log.info({ actionId: claim.id, orderId: claim.orderId, actionType: claim.type, reqId: claim.requestId, code: rejection.code }, 'action rejected');
    return changes;
  }

  /**
   * A history entry (when the order exists) and what it sets off after commit, written to the outbox: webhook
   * deliveries for the subscriptions that want the event, an e-mail of a kind switched on, a refund payment.
   * Follow-ups nobody would notice are not written at all.
   */
  private history(
    claim: ClaimedAction,
    event: HistoryEvent,
    now: Date,
    subscribers: readonly Subscriber[],
    followUps: FollowUpMessage[],
    hasOrder: boolean,
  ): Changes {
    const changes = noChanges();
    const at = now.toISOString();
    if (hasOrder) {
      changes.inserts.push({
        table: 'order_events',
        row: { order_id: claim.orderId, type: event.type, actor: claim.actorName, action_id: claim.id, data: event.data, created_at: at },
      });
    }
    const followUp = (queue: QueueName, name: string, payload: Record<string, unknown>) => {
      const message: FollowUpMessage = { id: uuidv7(), queue, name, payload };
      const dueAt = new Date(now.getTime() + this.deps.config.relayAfterMs).toISOString();
      changes.inserts.push({ table: 'outbox', row: { id: message.id, queue, name, payload, created_at: at, due_at: dueAt } });
      followUps.push(message);
    };
    const wanted = followUpsOf(event.type, event.data);
    for (const type of wanted.webhooks) {
      const published: WebhookEvent = { id: uuidv7(), type, orderId: claim.orderId, occurredAt: at, data: event.data };
      for (const subscriber of subscribersOf(type, subscribers)) {
        const deliveryId = uuidv7();
        changes.inserts.push({
          table: 'webhook_deliveries',
          row: {
            id: deliveryId,
            subscription_id: subscriber.id,
            event_id: published.id,
            event_type: type,
            order_id: hasOrder ? claim.orderId : null,
            payload: webhookBody(published),
            status: 'pending',
            attempts: 0,
            created_at: at,
            updated_at: at,
          },
        });
        followUp('webhooks', DELIVER_JOB, { deliveryId });
      }
    }
    if (wanted.email && this.deps.config.mail.enabled.includes(wanted.email)) {
      followUp('notifications', EMAIL_JOB, { eventId: uuidv7(), kind: wanted.email, orderId: claim.orderId, data: event.data });
    }
    if (wanted.refundPayment) followUp('refunds', REFUND_PAYMENT_JOB, { refundId: wanted.refundPayment });
    return changes;
  }
}

const facts = (claim: ClaimedAction): ActionFacts => ({
  id: claim.id,
  type: claim.type,
  orderId: claim.orderId,
  actorName: claim.actorName,
  actorRole: claim.actorRole,
  createdAt: claim.createdAt,
});

function outcome(
  claim: ClaimedAction,
  now: Date,
  ended: { status: 'succeeded' | 'rejected'; result: Record<string, string> | null; error: ActionError | null },
) {
  const at = now.toISOString();
  return { table: 'actions' as const, key: { id: claim.id }, set: { ...ended, finished_at: at, updated_at: at } };
}

/**
 * What an operator reads of a failure: a PostgreSQL error in its own words and with its SQLSTATE, without the
 * statement it came from (the driver puts the whole statement first, and a batch's runs to kilobytes); any other
 * error as it is. The log keeps everything.
 */
export function failureOf(error: Error): ActionError {
  const { code, routine } = error as { code?: unknown; routine?: unknown };
  const fromDatabase = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof routine === 'string';
  const after = error.message.lastIndexOf(' - ');
  const message = fromDatabase && after >= 0 ? error.message.slice(after + 3) : error.message;
  return {
    code: 'INFRASTRUCTURE_FAILURE',
    message: message.length > 1000 ? `${message.slice(0, 1000)}…` : message,
    details: { name: error.name, ...(fromDatabase ? { sqlState: code } : {}) },
  };
}

/** Records that the queue gave up on an action after its last attempt; a retry from bull-board can still apply it. */
export async function markActionFailed(orm: MikroORM, actionId: string, error: Error): Promise<void> {
  const failure = failureOf(error);
  await orm.em.fork().execute(
    `update actions set status = 'failed', error = ?, updated_at = now()
     where id = ? and status not in ('succeeded', 'rejected')`,
    [JSON.stringify(failure), actionId],
  );
}
