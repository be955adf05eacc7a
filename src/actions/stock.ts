import type { StockLevel } from '../db/stock.js';

/**
 * The stock a batch of actions reads: the levels of the SKUs it locked, as they were when the lock was granted,
 * plus what earlier actions of the same batch reserved and took. An action of the batch therefore sees the stock
 * as if the batch's earlier actions had committed before it; what they release (a cancel, a restock) it does not
 * see, as if they came after it.
 */
export class StockView {
  private readonly levels: Map<string, StockLevel>;
  private readonly reservedInBatch = new Map<string, number>();
  private readonly takenInBatch = new Map<string, number>();

  constructor(
    levels: readonly StockLevel[],
    private readonly sources: ReadonlySet<string>,
  ) {
    this.levels = new Map(levels.map((level) => [level.sku, level]));
  }

  static empty(): StockView {
    return new StockView([], new Set());
  }

  /** SKUs that inventory manages: placing reserves them, shipping takes them from a source. */
  isManaged(sku: string): boolean {
    return this.levels.has(sku);
  }

  sourceExists(code: string): boolean {
    return this.sources.has(code);
  }

  /** On hand over active sources minus reserved (negative when backorders over-reserved). */
  salable(sku: string): number {
    const level = this.levels.get(sku);
    if (!level) return 0;
    const onHand = level.sources.filter((s) => s.active).reduce((total, s) => total + this.onHand(sku, s.code), 0);
    return onHand - level.reserved - (this.reservedInBatch.get(sku) ?? 0);
  }

  onHand(sku: string, source: string): number {
    const found = this.levels.get(sku)?.sources.find((s) => s.code === source);
    return (found?.onHand ?? 0) - (this.takenInBatch.get(`${sku}\u0000${source}`) ?? 0);
  }

  /** Counts what an action of the batch reserved and took off the shelves, for the actions after it. */
  record(moves: StockMoves): void {
    for (const { sku, qty } of moves.reserve ?? []) this.reservedInBatch.set(sku, (this.reservedInBatch.get(sku) ?? 0) + qty);
    for (const { sku, source, qty } of moves.take ?? []) {
      const id = `${sku}\u0000${source}`;
      this.takenInBatch.set(id, (this.takenInBatch.get(id) ?? 0) + qty);
    }
  }
}

/** How a decided action moves stock: units it reserves (placements) and units it takes from a source (shipments). */
export interface StockMoves {
  reserve?: readonly { sku: string; qty: number }[];
  take?: readonly { sku: string; source: string; qty: number }[];
}
