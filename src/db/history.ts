import type { EntityManager } from '@mikro-orm/postgresql';
import { OrderEvent } from './entities/orders.js';

export interface HistoryEntry {
  orderId: string;
  type: string;
  actor: string;
  actionId?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

/** Appends one entry to an order's history (never updated, never deleted), written at the caller's commit. */
export function appendHistory(em: EntityManager, entry: HistoryEntry): void {
  em.create(OrderEvent, {
    orderId: entry.orderId,
    type: entry.type,
    actor: entry.actor,
    actionId: entry.actionId ?? null,
    data: entry.data ?? {},
    createdAt: entry.at,
  });
}
