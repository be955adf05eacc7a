import type { ActionToRun, BatchResult, RunOutcome } from '../actions/runner.js';

interface Waiting {
  action: ActionToRun;
  resolve(outcome: RunOutcome): void;
  reject(error: unknown): void;
}

/**
 * Group commit: the action jobs a worker process is running at the same time are applied together, one batch per
 * transaction. While a batch is being applied the jobs that arrive wait for the next one, so under load batches
 * fill up by themselves and an idle worker applies a lone action at once (no timer to wait for).
 */
export class Batcher {
  private waiting: Waiting[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly apply: (actions: readonly ActionToRun[]) => Promise<BatchResult>,
    private readonly afterCommit: (result: BatchResult) => Promise<void>,
    private readonly maxSize: number,
    private readonly maxRunning: number,
  ) {}

  submit(action: ActionToRun): Promise<RunOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ action, resolve, reject });
      // Jobs handed over in the same turn of the event loop go into the same batch.
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
    while (this.running < this.maxRunning && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxSize);
      this.running += 1;
      this.runBatch(batch).finally(() => {
        this.running -= 1;
        this.drain();
      });
    }
  }

  private async runBatch(batch: Waiting[]): Promise<void> {
    try {
      const result = await this.apply(batch.map((waiting) => waiting.action));
      await this.afterCommit(result);
      for (const waiting of batch) {
        const outcome = result.outcomes.get(waiting.action.id);
        if (outcome) waiting.resolve(outcome);
        else waiting.reject(new Error(`batch gave no outcome for action ${waiting.action.id}`));
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
