import type { EntityManager } from '@mikro-orm/postgresql';
import { formatDocumentNumber } from '../domain/numbers.js';
import type { SequenceFormat } from '../../config/config.js';

/** The gapless sequences of SPEC §2. */
export type SequenceName = 'order' | 'invoice' | 'shipment' | 'refund' | 'return';

/**
 * Makes sure every sequence has its counter row, holding the last number used (`start - 1` before the first).
 * Idempotent; the rows of a database that already numbered documents keep their values.
 */
export async function ensureSequences(em: EntityManager, formats: Record<SequenceName, SequenceFormat>): Promise<void> {
  const rows = Object.entries(formats).map(([name, format]) => ({ name, value: format.start - 1 }));
  await em.execute(
    `insert into sequences (name, value) select name, value from jsonb_to_recordset(?::jsonb) as x(name text, value bigint)
     on conflict (name) do nothing`,
    [JSON.stringify(rows)],
  );
}

/**
 * Takes the next `count` numbers of each sequence in the caller's transaction, in one statement. The counter rows
 * stay locked until that transaction ends, so a rolled-back batch gives its numbers back and no two documents
 * share one: take them last, just before the write and the commit.
 */
export async function takeNumbers(
  em: EntityManager,
  counts: ReadonlyMap<SequenceName, number>,
  formats: Record<SequenceName, SequenceFormat>,
): Promise<Map<SequenceName, string[]>> {
  const taken = new Map<SequenceName, string[]>();
  if (counts.size === 0) return taken;
  const rows = await em.execute<{ name: SequenceName; value: string }[]>(
    `update sequences s set value = s.value + x.n
     from jsonb_to_recordset(?::jsonb) as x(name text, n int)
     where s.name = x.name
     returning s.name, s.value`,
    [JSON.stringify([...counts].map(([name, n]) => ({ name, n })))],
  );
  for (const row of rows) {
    const count = counts.get(row.name)!;
    const last = Number(row.value);
    taken.set(
      row.name,
      Array.from({ length: count }, (_, i) => formatDocumentNumber(last - count + 1 + i, formats[row.name])),
    );
  }
  if (taken.size !== counts.size) throw new Error(`sequences without a counter row: ${[...counts.keys()].filter((n) => !taken.has(n)).join(', ')}`);
  return taken;
}
