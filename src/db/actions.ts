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

/** An actions row as the driver returns it (snake_case columns, JSON parsed, timestamps as PostgreSQL's text). */
interface ActionRow {
  id: string;
  seq: string;
  type: string;
  order_id: string;
  payload: Record<string, unknown>;
  actor_name: string;
  actor_role: string;
  idempotency_key: string | null;
  request_hash: string;
  request_id: string | null;
  status: Action['status'];
  result: Record<string, unknown> | null;
  error: Action['error'];
  attempts: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** The row as the entity's shape, without the ORM's identity map: intake reads it once and answers. */
function actionOfRow(row: ActionRow): Action {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    orderId: row.order_id,
    payload: row.payload,
    actorName: row.actor_name,
    actorRole: row.actor_role,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    requestId: row.request_id,
    status: row.status,
    result: row.result,
    error: row.error,
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
  };
}

/** The action with this id, read without the ORM's identity map. */
export async function selectAction(em: EntityManager, id: string): Promise<Action | null> {
  const [row] = await em.execute<ActionRow[]>('select * from actions where id = ?', [id]);
  return row ? actionOfRow(row) : null;
}

/** The action an actor recorded with this idempotency key. */
export async function selectActionByKey(em: EntityManager, actorName: string, key: string): Promise<Action | null> {
  const [row] = await em.execute<ActionRow[]>('select * from actions where actor_name = ? and idempotency_key = ?', [actorName, key]);
  return row ? actionOfRow(row) : null;
}

/** Whether an earlier action of the action's order is still unfinished: the action has to wait for it. */
export async function waitsForEarlier(em: EntityManager, action: { orderId: string; seq: number }): Promise<boolean> {
  const [row] = await em.execute<{ waits: boolean }[]>(
    `select exists (select 1 from actions where order_id = ? and seq < ? and status not in ('succeeded', 'rejected')) as waits`,
    [action.orderId, action.seq],
  );
  return row?.waits === true;
}

export interface RecordedAction {
  action: Action;
  /** An earlier action of its order is still unfinished: the new one will have to wait for it. */
  waits: boolean;
}

/**
 * Records accepted actions in one statement (one transaction), answering for each what was recorded, or null
 * when its actor had already used its idempotency key (nothing is inserted: the caller compares with the stored
 * action; two of the batch with the same key record the first).
 */
export async function insertActions(em: EntityManager, actions: readonly NewAction[]): Promise<(RecordedAction | null)[]> {
  const records = actions.map((action) => ({
    id: uuidv7(),
    type: action.type,
    order_id: action.orderId,
    payload: action.payload,
    actor_name: action.actorName,
    actor_role: action.actorRole,
    idempotency_key: action.idempotencyKey,
    request_hash: action.requestHash,
    request_id: action.requestId,
  }));
  // The statement's snapshot does not show the rows it inserts: the subquery sees only earlier statements' actions,
  // and an earlier action of the same batch is found below, by its seq.
  const rows = await em.execute<(ActionRow & { waits: boolean })[]>(
    `with inserted as (
       insert into actions (id, type, order_id, payload, actor_name, actor_role, idempotency_key, request_hash, request_id)
       select id, type, order_id, payload, actor_name, actor_role, idempotency_key, request_hash, request_id
       from rows from (jsonb_to_recordset(?::jsonb) as (id uuid, type text, order_id uuid, payload jsonb, actor_name text,
         actor_role text, idempotency_key text, request_hash text, request_id text)) with ordinality
         as x(id, type, order_id, payload, actor_name, actor_role, idempotency_key, request_hash, request_id, n)
       order by n
       on conflict (actor_name, idempotency_key) where idempotency_key is not null do nothing
       returning *)
     select inserted.*, exists (
       select 1 from actions earlier
       where earlier.order_id = inserted.order_id and earlier.status not in ('succeeded', 'rejected')) as waits
     from inserted`,
    [JSON.stringify(records)],
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const firstOfOrder = new Map<string, bigint>();
  for (const row of rows) {
    const first = firstOfOrder.get(row.order_id);
    if (first === undefined || BigInt(row.seq) < first) firstOfOrder.set(row.order_id, BigInt(row.seq));
  }
  return records.map(({ id }) => {
    const row = byId.get(id);
    if (!row) return null;
    const { waits, ...columns } = row;
    return { action: actionOfRow(columns), waits: waits === true || BigInt(row.seq) > firstOfOrder.get(row.order_id)! };
  });
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
