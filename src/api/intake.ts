import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiKey } from '../../config/config.js';
import { Action } from '../db/entities/actions.js';
import { insertAction, requestHash } from '../db/actions.js';
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

/**
 * The durable intake (SPEC §1): records the action in PostgreSQL, then enqueues it. Accepted means committed:
 * when Redis cannot take the job the action stays queued and the relay enqueues it later.
 */
export class Intake {
  private backlog = { count: 0, readAt: 0 };
  private acceptedCount = 0;

  constructor(private readonly runtime: Runtime) {}

  async accept(request: ActionRequest): Promise<Action> {
    const em = this.runtime.orm.em.fork();
    const hash = requestHash(request);
    if (await this.backlogFull(em)) {
      const replay = request.idempotencyKey ? await this.findByKey(em, request.actor.name, request.idempotencyKey) : null;
      if (replay) return this.checkReplay(replay, hash);
      throw new Problem(503, 'BACKLOG_FULL', 'Service busy', 'Too many actions are waiting to be applied; retry later with the same Idempotency-Key.', {
        headers: { 'retry-after': '2' },
      });
    }

    const inserted = await insertAction(em, {
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
      const existing = await this.findByKey(em, request.actor.name, request.idempotencyKey!);
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
    return action;
  }

  findAction(actionId: string): Promise<Action | null> {
    return this.runtime.orm.em.fork().findOne(Action, actionId);
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
      const action = await this.runtime.orm.em.fork().findOne(Action, actionId);
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

  private findByKey(em: EntityManager, actorName: string, key: string): Promise<Action | null> {
    return em.findOne(Action, { actorName, idempotencyKey: key });
  }

  private async enqueue(action: Action, orderNumber?: string | null, delayMs = 0): Promise<void> {
    const enqueued = this.runtime.queues.enqueueActions([
      { id: action.id, type: action.type, orderId: action.orderId, orderNumber, delayMs },
    ]);
    const timeout = sleep(ENQUEUE_TIMEOUT_MS, 'timeout' as const, { ref: false });
    try {
      if ((await Promise.race([enqueued, timeout])) === 'timeout') throw new Error('enqueue timed out');
    } catch (error) {
      enqueued.catch(() => undefined);
      this.runtime.log.warn({ err: error, actionId: action.id }, 'could not enqueue; the relay will');
    }
  }

  /** Backpressure: the count of unapplied actions, read at most once a second per process. */
  private async backlogFull(em: EntityManager): Promise<boolean> {
    if (Date.now() - this.backlog.readAt > BACKLOG_TTL_MS) {
      const [row] = await em.execute<{ count: string }[]>(
        `select count(*) from actions where status in ('queued', 'processing')`,
      );
      this.backlog = { count: Number(row?.count ?? 0), readAt: Date.now() };
    }
    return this.backlog.count >= this.runtime.config.intakeMaxBacklog;
  }
}
