import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Subscriber } from '../domain/follow-ups.js';
import type { Listener } from './listener.js';

/** The channel on which a change of the webhook subscriptions is announced (see `announceSubscriptions`). */
const CHANNEL = 'orderflow_webhook_subscriptions';

/** The live subscriptions, with the event types each wants. */
export async function liveSubscribers(em: EntityManager): Promise<Subscriber[]> {
  const rows = await em.execute<{ id: string; event_types: string[] }[]>(
    'select id, event_types from webhook_subscriptions where deleted_at is null',
  );
  return rows.map((row) => ({ id: row.id, eventTypes: row.event_types }));
}

/** Tells every process, once the caller's transaction commits, that the subscriptions changed. */
export async function announceSubscriptions(em: EntityManager): Promise<void> {
  await em.execute(`select pg_notify('${CHANNEL}', '')`);
}

/**
 * The live subscriptions as the action pipeline needs them for every action, read once and kept until a change is
 * announced. While the listener is away (a change could be missed) they are read afresh every time.
 */
export class Subscribers {
  private cached: Promise<Subscriber[]> | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly listener: Listener,
  ) {
    listener.on(CHANNEL, () => (this.cached = null));
    listener.onReconnect(() => (this.cached = null));
  }

  get(): Promise<Subscriber[]> {
    if (!this.listener.connected) return liveSubscribers(this.orm.em.fork());
    this.cached ??= liveSubscribers(this.orm.em.fork()).catch((error: unknown) => {
      this.cached = null;
      throw error;
    });
    return this.cached;
  }
}
