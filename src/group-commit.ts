interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: what is submitted while earlier batches are running waits for the next batch, so under load
 * batches fill up by themselves, while a lone item goes at once (no timer to wait for). Items submitted in the
 * same turn of the event loop go into the same batch. `run` answers one result per item, in their order; an item
 * it gives no result rejects alone. A batch that throws rejects all its items, unless `alone` says the error may be
 * one item's: then the batch is run again item by item, in the order they came, so that one bad item fails only its
 * own submitter (an error of the whole, such as a database that is down, is not tried once per item).
 */
export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: readonly T[]) => Promise<readonly (R | undefined)[]>,
    private readonly options: { maxSize: number; maxRunning: number; alone?: (error: unknown) => boolean; describe?: (item: T) => string },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  private drain(): void {
    while (this.running < this.options.maxRunning && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxSize);
      this.running += 1;
      this.runBatch(batch).finally(() => {
        this.running -= 1;
        this.drain();
      });
    }
  }

  private async runBatch(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => {
        const result = results[index];
        if (result !== undefined) waiting.resolve(result);
        else waiting.reject(new Error(`batch gave no result for ${this.options.describe?.(waiting.item) ?? 'an item'}`));
      });
    } catch (error) {
      if (batch.length === 1 || !this.options.alone?.(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      for (const waiting of batch) await this.runBatch([waiting]); // in the order they came
    }
  }
}
