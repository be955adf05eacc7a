import type { EntityManager } from '@mikro-orm/postgresql';

export interface StockLevel {
  sku: string;
  /** On hand per source, active or not. */
  sources: { code: string; onHand: number; active: boolean }[];
  reserved: number;
  /** On hand over active sources minus reserved; negative when backorders over-reserved. */
  salable: number;
}

type StockRow = Omit<StockLevel, 'salable'>;

function toLevel(row: StockRow): StockLevel {
  const onHand = row.sources.filter((s) => s.active).reduce((total, s) => total + s.onHand, 0);
  return { ...row, salable: onHand - row.reserved };
}

/**
 * Stock levels of the managed SKUs among `skus` (SKUs inventory does not know are absent), and which of `sources`
 * exist, in one statement.
 */
export async function readStock(
  em: EntityManager,
  skus: readonly string[],
  sources: readonly string[] = [],
): Promise<{ levels: StockLevel[]; sources: string[] }> {
  const [row] = await em.execute<{ levels: StockRow[]; sources: string[] }[]>(
    `select
       (select coalesce(jsonb_agg(jsonb_build_object(
          'sku', i.sku,
          'sources', (select coalesce(jsonb_agg(jsonb_build_object('code', s.source_code, 'onHand', s.on_hand, 'active', src.active)
                                               order by s.source_code), '[]')
                      from stock s join inventory_sources src on src.code = s.source_code where s.sku = i.sku),
          'reserved', (select coalesce(sum(r.qty), 0) from reservations r where r.sku = i.sku and r.qty > 0))
          order by i.sku), '[]')
        from inventory_items i where i.sku in (select jsonb_array_elements_text(?::jsonb))) as levels,
       (select coalesce(jsonb_agg(code), '[]') from inventory_sources where code in (select jsonb_array_elements_text(?::jsonb))) as sources`,
    [JSON.stringify(skus), JSON.stringify(sources)],
  );
  return { levels: (row?.levels ?? []).map(toLevel), sources: row?.sources ?? [] };
}

/** Stock levels of the managed SKUs among `skus`; SKUs inventory does not know are absent from the result. */
export async function readStockLevels(em: EntityManager, skus: readonly string[]): Promise<StockLevel[]> {
  return (await readStock(em, skus)).levels;
}

/**
 * Same, but first locks the SKUs' inventory rows until the transaction ends, in SKU order so that concurrent
 * placements never deadlock: two orders can never reserve the same last unit. The levels are read by a second
 * statement: under READ COMMITTED each statement sees what committed before it began, so reading in the locking
 * statement itself would see reservations as they were before the wait for the lock.
 */
export async function lockStockLevels(em: EntityManager, skus: readonly string[]): Promise<StockLevel[]> {
  await em.execute(
    'select sku from inventory_items where sku in (select jsonb_array_elements_text(?::jsonb)) order by sku for update',
    [JSON.stringify(skus)],
  );
  return readStockLevels(em, skus);
}
