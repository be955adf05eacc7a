import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiKey } from '../../config/config.js';
import type { Action } from '../db/entities/actions.js';
import {
  insertActions,
  requestHash,
  selectAction,
  selectActionByKey,
  waitsForEarlier,
  type NewAction,
  type RecordedAction,
} from '../db/actions.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { GroupCommit } from '../group-commit.js';
import type { EnqueuedAction } from '../queues/queues.js';
import type { Runtime } from '../runtime.js';
import { Problem } from './problem.js';

export interface ActionRequest {
  type: string;
  orderId: string;
  /** Shown with the job in bull-board when the order exists already. */
  orderNumber?: string | null;
  /** What the request is about besides its body (e.g. the invoice paid), so a key reused elsewhere is caught. */
  target: string;
  payload: Record<string, unknown>;
  actor: ApiKey;
  idempotencyKey?: string;
  requestId: string;
}

const TERMINAL = new Set(['succeeded', 'rejected']);
const ENQUEUE_TIMEOUT_MS = 1000;
const BACKLOG_TTL_MS = 1000;
const WAITING_JOB_DELAY_MS = 1000;
const SAFETY_POLL_MS = 1000;
/** Requests accepted at the same time are recorded in one statement, and enqueued in one round trip to Redis. */
const MAX_BATCH = 128;
const RECORDING_BATCHES = 4;
const ENQUEUE_BATCHES = 2;

/**
 * The durable intake (SPEC §1): records the action in PostgreSQL, then enqueues it. Accepted means committed:
 * when Redis cannot take the job the action stays queued and the relay enqueues it later. The requests accepted at
 * the same time share one INSERT (one commit) and one enqueue (group commit): under load a request costs a share of
 * a round trip, and a lone request goes at once.
 */
export class Intake {
  private backlog = { count: 0, readAt: 0 };
  private backlogRead: Promise<void> | null = null;
  private acceptedCount = 0;
  private readonly recording: GroupCommit<NewAction, RecordedAction | null>;
  private readonly enqueuing: GroupCommit<EnqueuedAction, true>;

  constructor(private readonly runtime: Runtime) {
    this.recording = new GroupCommit((actions) => insertActions(runtime.orm.em.fork(), actions), {
      maxSize: MAX_BATCH,
      maxRunning: RECORDING_BATCHES,
      // A request PostgreSQL refuses fails alone, not the requests recorded with it; a database that is down fails all.
      alone: (error) => !isDatabaseUnavailable(error),
    });
    this.enqueuing = new GroupCommit(
      async (actions) => {
        await runtime.queues.enqueueActions(actions);
        return actions.map(() => true as const);
      },
      { maxSize: MAX_BATCH, maxRunning: ENQUEUE_BATCHES },
    );
  }

  async accept(request: ActionRequest): Promise<Action> {
    const hash = requestHash(request);
    if (await this.backlogFull()) {
      const replay = request.idempotencyKey ? await this.findByKey(request.actor.name, request.idempotencyKey) : null;
      if (replay) return this.checkReplay(replay, hash);
      throw new Problem(503, 'BACKLOG_FULL', 'Service busy', 'Too many actions are waiting to be applied; retry later with the same Idempotency-Key.', {
        headers: { 'retry-after': '2' },
      });
    }

    const inserted = await this.recording.submit({
      type: request.type,
      orderId: request.orderId,
      payload: request.payload,
      actorName: request.actor.name,
      actorRole: request.actor.role,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: hash,
      requestId: request.requestId,
    });
    if (!inserted) {
      const existing = await this.findByKey(request.actor.name, request.idempotencyKey!);
      if (!existing) throw new Error('idempotency conflict without a stored action');
      const replay = this.checkReplay(existing, hash);
      if (!TERMINAL.has(replay.status)) await this.enqueue(replay, request.orderNumber);
      return replay;
    }
    const { action, waits } = inserted;
    this.runtime.log.info(
      { reqId: request.requestId, actionId: action.id, orderId: action.orderId, actionType: action.type },
      'action accepted',
    );
    if (++this.acceptedCount === this.runtime.config.faultKillBeforeEnqueue) process.kill(process.pid, 'SIGKILL');
    // Behind an unfinished action of its order the job starts delayed: the earlier action's worker wakes it when it
    // ends (the delay is only the safety net), instead of it being claimed in vain and put back.
    await this.enqueue(action, request.orderNumber, waits ? WAITING_JOB_DELAY_MS : 0);
    if (waits) await this.wakeIfFree(action);
    return action;
  }

  /**
   * The earlier action may have finished between the insert and the enqueue: its worker then found no job to wake,
   * and this one would sleep its whole delay. Looked at once more after the enqueue, it starts at once.
   */
  private async wakeIfFree(action: Action): Promise<void> {
    try {
      if (!(await waitsForEarlier(this.runtime.orm.em.fork(), action))) await this.runtime.queues.wakeAction(action);
    } catch (error) {
      this.runtime.log.debug({ err: error, actionId: action.id }, 'could not look at the earlier action again; the delay will');
    }
  }

  findAction(actionId: string): Promise<Action | null> {
    return selectAction(this.runtime.orm.em.fork(), actionId);
  }

  /**
   * Waits until the action has finished or `seconds` passed; returns it as it is then. The worker's announcement
   * at commit ends the wait at once; reading the action again every second is only the safety net for an
   * announcement this process could not hear.
   */
  async wait(actionId: string, seconds: number, signal?: AbortSignal): Promise<Action | null> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const announcement = this.runtime.finished.listen(actionId, Math.min(SAFETY_POLL_MS, deadline - Date.now()), signal);
      const action = await this.findAction(actionId);
      if (!action || TERMINAL.has(action.status) || Date.now() >= deadline || signal?.aborted) {
        announcement.cancel();
        return action;
      }
      await announcement.heard;
    }
  }

  private checkReplay(action: Action, hash: string): Action {
    if (action.requestHash !== hash) {
      throw new Problem(409, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency key reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.', {
        actionId: action.id,
      });
    }
    return action;
  }

  private findByKey(actorName: string, key: string): Promise<Action | null> {
    return selectActionByKey(this.runtime.orm.em.fork(), actorName, key);
  }

  private async enqueue(action: Action, orderNumber?: string | null, delayMs = 0): Promise<void> {
    const enqueued = this.enqueuing.submit({ id: action.id, type: action.type, orderId: action.orderId, orderNumber, delayMs });
    const timeout = sleep(ENQUEUE_TIMEOUT_MS, 'timeout' as const, { ref: false });
    try {
      if ((await Promise.race([enqueued, timeout])) === 'timeout') throw new Error('enqueue timed out');
    } catch (error) {
      enqueued.catch(() => undefined);
      this.runtime.log.warn({ err: error, actionId: action.id }, 'could not enqueue; the relay will');
    }
  }

  /**
   * Backpressure: the count of unapplied actions, read at most once a second per process. While it is read again
   * requests go on with the count of a second ago (a read takes the longer the longer the backlog, and every
   * request arriving meanwhile would wait); only a count older than two seconds (the first request, or the first
   * after a pause) is waited for.
   */
  private async backlogFull(): Promise<boolean> {
    const age = Date.now() - this.backlog.readAt;
    if (age > BACKLOG_TTL_MS) {
      this.backlogRead ??= this.runtime.orm.em
        .fork()
        .execute<{ count: string }[]>(`select count(*) from actions where status in ('queued', 'processing')`)
        .then(([row]) => {
          this.backlog = { count: Number(row?.count ?? 0), readAt: Date.now() };
        })
        .finally(() => {
          this.backlogRead = null;
        });
      if (age > 2 * BACKLOG_TTL_MS) await this.backlogRead;
      else this.backlogRead.catch(() => undefined); // a failed read is tried again by the next request
    }
    return this.backlog.count >= this.runtime.config.intakeMaxBacklog;
  }
}
