import type { Listener } from './listener.js';

/** The channel on which the action pipeline announces, at commit, the ids of the actions it finished. */
export const FINISHED_CHANNEL = 'orderflow_actions_finished';

/** The SQL that announces `ids` (comma-separated) to every listening process once the transaction commits. */
export const announceFinished = (ids: readonly string[]) => ({ sql: `pg_notify('${FINISHED_CHANNEL}', ?)`, params: [ids.join(',')] });

export interface Announcement {
  /** Resolves when the action was announced finished, after `ms`, or on abort, whichever comes first. */
  heard: Promise<void>;
  /** Stops listening (the action was found finished meanwhile). */
  cancel(): void;
}

/**
 * Lets a request that waits for an action (`Prefer: wait`) learn the moment it finished, from the notification
 * the worker sends at commit, instead of polling the database. Listen first, then read the action: a notification
 * that arrives in between is not missed.
 */
export class FinishedActions {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(listener: Listener) {
    listener.on(FINISHED_CHANNEL, (payload) => {
      for (const id of payload.split(',')) this.wake(id);
    });
    // While the listener was away an announcement may have been missed: everyone looks again.
    listener.onReconnect(() => {
      for (const id of [...this.waiting.keys()]) this.wake(id);
    });
  }

  listen(actionId: string, ms: number, signal?: AbortSignal): Announcement {
    let done: () => void = () => undefined;
    const heard = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const onAbort = () => done();
      signal?.addEventListener('abort', onAbort, { once: true });
      done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const waiters = this.waiting.get(actionId);
        waiters?.delete(done);
        if (waiters?.size === 0) this.waiting.delete(actionId);
        resolve();
      };
      this.waiting.set(actionId, (this.waiting.get(actionId) ?? new Set()).add(done));
    });
    return { heard, cancel: () => done() };
  }

  private wake(actionId: string): void {
    for (const done of [...(this.waiting.get(actionId) ?? [])]) done();
  }
}
