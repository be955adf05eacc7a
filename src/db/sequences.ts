import type { EntityManager } from '@mikro-orm/postgresql';
import { formatDocumentNumber } from '../domain/numbers.js';
import type { SequenceFormat } from '../../config/config.js';

/**
 * Takes the next value of a gapless sequence inside the caller's transaction. The counter row stays locked until
 * that transaction ends, so a rolled-back action gives its number back and no two documents share one.
 */
export async function nextDocumentNumber(em: EntityManager, name: string, format: SequenceFormat): Promise<string> {
  const [row] = await em.execute<{ value: string }[]>(
    `insert into sequences (name, value) values (?, ?)
     on conflict (name) do update set value = sequences.value + 1
     returning value`,
    [name, format.start],
  );
  if (!row) throw new Error(`sequence ${name} returned no value`);
  return formatDocumentNumber(Number(row.value), format);
}
