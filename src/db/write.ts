import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Writes as data: what an action (or a batch of them) decided, as rows to insert and rows to change, written by one
 * data-modifying statement. Rows are plain objects keyed by column name; PostgreSQL reads each group of rows with
 * `jsonb_populate_recordset`, so every value takes the type of its column and no column type is declared twice.
 */
export type Row = Record<string, unknown>;

/** Tables the action pipeline writes. */
export type Table =
  | 'actions'
  | 'orders'
  | 'order_lines'
  | 'order_addresses'
  | 'order_events'
  | 'reservations'
  | 'stock'
  | 'invoices'
  | 'invoice_items'
  | 'payments'
  | 'shipments'
  | 'shipment_items'
  | 'refunds'
  | 'refund_items'
  | 'returns'
  | 'return_items'
  | 'outbox'
  | 'webhook_deliveries';

/** Sets columns of an existing row to values, and adds to counters, keyed by `key`. */
export interface Change {
  table: Table;
  key: Row;
  set?: Row;
  add?: Record<string, number>;
}

/**
 * Adds to a counter of a row, inserting the row with that amount when it does not exist yet (stock put back on
 * hand). Only for amounts the row's checks accept as a new row: PostgreSQL checks the row it would insert before it
 * finds the conflict, so take units away with a `Change`.
 */
export interface Increment {
  table: Table;
  key: Row;
  add: Record<string, number>;
}

export interface Changes {
  inserts: { table: Table; row: Row }[];
  changes: Change[];
  increments: Increment[];
}

export const noChanges = (): Changes => ({ inserts: [], changes: [], increments: [] });

/** Appends `more` to `into`. */
export function addChanges(into: Changes, more: Changes): Changes {
  into.inserts.push(...more.inserts);
  into.changes.push(...more.changes);
  into.increments.push(...more.increments);
  return into;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ident = (name: string): string => {
  // Column and table names come from orderflow's own code, never from a request; the check keeps it that way.
  if (!IDENTIFIER.test(name)) throw new Error(`not a column name: ${name}`);
  return `"${name}"`;
};

const keyOf = (row: Row, columns: readonly string[]) => JSON.stringify(columns.map((column) => row[column]));

/**
 * Merges changes of the same row (a statement may change a row once), increments of a changed row included, sums
 * the other increments of the same row, then groups rows of the same shape: one statement part per group.
 */
function groups(changes: Changes) {
  const inserts = new Map<string, { table: Table; columns: string[]; rows: Row[] }>();
  for (const { table, row } of changes.inserts) {
    const columns = Object.keys(row).sort();
    const id = `${table}:${columns.join(',')}`;
    const group = inserts.get(id) ?? { table, columns, rows: [] };
    group.rows.push(row);
    inserts.set(id, group);
  }

  const merged = new Map<string, Change & { set: Row; add: Record<string, number> }>();
  for (const change of changes.changes) {
    const keyColumns = Object.keys(change.key).sort();
    const id = `${change.table}:${keyColumns.join(',')}:${keyOf(change.key, keyColumns)}`;
    const into = merged.get(id) ?? { table: change.table, key: change.key, set: {}, add: {} };
    for (const [column, value] of Object.entries(change.set ?? {})) {
      if (column in into.set && JSON.stringify(into.set[column]) !== JSON.stringify(value)) {
        throw new Error(`${change.table} ${keyOf(change.key, keyColumns)}: ${column} set twice to different values`);
      }
      into.set[column] = value;
    }
    for (const [column, delta] of Object.entries(change.add ?? {})) into.add[column] = (into.add[column] ?? 0) + delta;
    merged.set(id, into);
  }
  const summed = new Map<string, Increment>();
  for (const increment of changes.increments) {
    const keyColumns = Object.keys(increment.key).sort();
    const id = `${increment.table}:${keyColumns.join(',')}:${keyOf(increment.key, keyColumns)}`;
    // A row also changed by this statement exists: the increment joins that change, since PostgreSQL applies only
    // one of two modifications of a row in one statement (a batch shipping a SKU and putting it back on hand).
    const changed = merged.get(id);
    if (changed) {
      for (const [column, delta] of Object.entries(increment.add)) changed.add[column] = (changed.add[column] ?? 0) + delta;
      continue;
    }
    const into = summed.get(id) ?? { table: increment.table, key: increment.key, add: {} };
    for (const [column, delta] of Object.entries(increment.add)) into.add[column] = (into.add[column] ?? 0) + delta;
    summed.set(id, into);
  }
  const updates = new Map<string, { table: Table; key: string[]; set: string[]; add: string[]; rows: Row[] }>();
  for (const change of merged.values()) {
    const key = Object.keys(change.key).sort();
    const set = Object.keys(change.set).sort();
    const add = Object.keys(change.add).sort();
    const id = `${change.table}:${key.join(',')}:${set.join(',')}:${add.join(',')}`;
    const group = updates.get(id) ?? { table: change.table, key, set, add, rows: [] };
    group.rows.push({ ...change.key, ...change.set, ...change.add });
    updates.set(id, group);
  }
  const upserts = new Map<string, { table: Table; key: string[]; add: string[]; rows: Row[] }>();
  for (const increment of summed.values()) {
    const key = Object.keys(increment.key).sort();
    const add = Object.keys(increment.add).sort();
    const id = `${increment.table}:${key.join(',')}:${add.join(',')}`;
    const group = upserts.get(id) ?? { table: increment.table, key, add, rows: [] };
    group.rows.push({ ...increment.key, ...increment.add });
    upserts.set(id, group);
  }
  return { inserts: [...inserts.values()], updates: [...updates.values()], upserts: [...upserts.values()] };
}

/**
 * The statement that writes `changes`, as data-modifying CTEs, one per group of rows, each reading its rows from
 * one JSON parameter, followed by `tail` (a `select …` that reads `tailParams`, or nothing). Returns null when there
 * is nothing to write and no tail.
 */
export function writeStatement(changes: Changes, tail?: { sql: string; params: unknown[] }): { sql: string; params: unknown[] } | null {
  const { inserts, updates, upserts } = groups(changes);
  const parts: string[] = [];
  const params: unknown[] = [];
  const rowsOf = (table: Table, rows: Row[]) => {
    params.push(JSON.stringify(rows));
    return `jsonb_populate_recordset(null::${ident(table)}, ?::jsonb)`;
  };
  for (const group of inserts) {
    const columns = group.columns.map(ident).join(', ');
    parts.push(`insert into ${ident(group.table)} (${columns}) select ${columns} from ${rowsOf(group.table, group.rows)}`);
  }
  for (const group of updates) {
    const assignments = [
      ...group.set.map((column) => `${ident(column)} = x.${ident(column)}`),
      ...group.add.map((column) => `${ident(column)} = t.${ident(column)} + x.${ident(column)}`),
    ].join(', ');
    const match = group.key.map((column) => `t.${ident(column)} = x.${ident(column)}`).join(' and ');
    // One VALUES row per changed row, so that the planner knows how few there are and finds each by its index
    // (a set-returning function counts as 100 rows, for which scanning a small table looks cheaper).
    const values = group.rows.map(() => '(?::jsonb)').join(', ');
    params.push(...group.rows.map((row) => JSON.stringify(row)));
    parts.push(
      `update ${ident(group.table)} t set ${assignments}
       from (values ${values}) as v(r) cross join lateral jsonb_populate_record(null::${ident(group.table)}, v.r) x
       where ${match}`,
    );
  }
  for (const group of upserts) {
    const columns = [...group.key, ...group.add].map(ident).join(', ');
    const assignments = group.add.map((column) => `${ident(column)} = t.${ident(column)} + excluded.${ident(column)}`).join(', ');
    parts.push(
      `insert into ${ident(group.table)} as t (${columns}) select ${columns} from ${rowsOf(group.table, group.rows)}
       on conflict (${group.key.map(ident).join(', ')}) do update set ${assignments}`,
    );
  }
  if (parts.length === 0 && !tail) return null;
  const ctes = parts.map((part, index) => `w${index} as (${part})`);
  const main = tail ? tail.sql : 'select 1';
  return {
    sql: ctes.length > 0 ? `with ${ctes.join(',\n')}\n${main}` : main,
    params: [...params, ...(tail?.params ?? [])],
  };
}

/** Writes `changes` in the caller's transaction; returns the rows of `tail`. */
export async function writeChanges<T>(em: EntityManager, changes: Changes, tail?: { sql: string; params: unknown[] }): Promise<T[]> {
  const statement = writeStatement(changes, tail);
  if (!statement) return [];
  return em.execute<T[]>(statement.sql, statement.params);
}
