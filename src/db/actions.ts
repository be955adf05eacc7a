import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { compareText } from '../domain/text.js';
import { Action } from './entities/actions.js';
import { uuidv7 } from './ids.js';

export interface NewAction {
  type: string;
  orderId: string;
  payload: Record<string, unknown>;
  actorName: string;
  actorRole: string;
  idempotencyKey: string | null;
  requestHash: string;
  requestId: string | null;
}

/**
 * Records an accepted action, and tells whether an earlier action of its order is still unfinished (the new one
 * will have to wait for it). With an idempotency key already used by the same actor nothing is inserted and null
 * comes back: the caller compares with the stored action.
 */
export async function insertAction(em: EntityManager, action: NewAction): Promise<{ action: Action; waits: boolean } | null> {
  // The statement's snapshot does not show the row it inserts: the subquery sees only earlier actions.
  const [row] = await em.execute(
    `with inserted as (
       insert into actions (id, type, order_id, payload, actor_name, actor_role, idempotency_key, request_hash, request_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (actor_name, idempotency_key) where idempotency_key is not null do nothing
       returning *)
     select inserted.*, exists (
       select 1 from actions earlier
       where earlier.order_id = inserted.order_id and earlier.status not in ('succeeded', 'rejected')) as waits
     from inserted`,
    [
      uuidv7(),
      action.type,
      action.orderId,
      JSON.stringify(action.payload),
      action.actorName,
      action.actorRole,
      action.idempotencyKey,
      action.requestHash,
      action.requestId,
    ],
  );
  if (!row) return null;
  const { waits, ...columns } = row as Record<string, unknown>;
  return { action: em.map(Action, columns), waits: waits === true };
}

/** JSON with keys sorted at every level, so that equal bodies hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Identifies a request by what it asks (type, target, body), to tell a replay from a reuse of its key. */
export function requestHash(request: { type: string; target: string; payload: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ type: request.type, target: request.target, payload: request.payload }))
    .digest('hex');
}
