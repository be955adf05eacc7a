import type { EntityManager } from '@mikro-orm/postgresql';

export interface StockLevel {
  sku: string;
  /** On hand per source, active or not. */
  sources: { code: string; onHand: number; active: boolean }[];
  reserved: number;
  /** On hand over active sources minus reserved; negative when backorders over-reserved. */
  salable: number;
}

const STOCK_LEVELS = `
  select i.sku,
    coalesce((select json_agg(json_build_object('code', s.source_code, 'onHand', s.on_hand, 'active', src.active)
                              order by s.source_code)
              from stock s join inventory_sources src on src.code = s.source_code
              where s.sku = i.sku), '[]') as sources,
    coalesce((select sum(r.qty) from reservations r where r.sku = i.sku and r.qty > 0), 0)::int as reserved
  from inventory_items i
  where i.sku in (select jsonb_array_elements_text(?::jsonb))
  order by i.sku`;

type StockRow = { sku: string; sources: StockLevel['sources']; reserved: number };

function toLevel(row: StockRow): StockLevel {
  const onHand = row.sources.filter((s) => s.active).reduce((total, s) => total + s.onHand, 0);
  return { sku: row.sku, sources: row.sources, reserved: row.reserved, salable: onHand - row.reserved };
}

/** Stock levels of the managed SKUs among `skus`; SKUs inventory does not know are absent from the result. */
export async function readStockLevels(em: EntityManager, skus: readonly string[]): Promise<StockLevel[]> {
  const rows = await em.execute<StockRow[]>(STOCK_LEVELS, [JSON.stringify(skus)]);
  return rows.map(toLevel);
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
