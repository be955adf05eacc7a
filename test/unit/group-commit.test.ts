import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/group-commit.js';

/** A batch runner that records the batches it was given and answers when `release` is called. */
function recorder(answer: (items: readonly number[]) => readonly (string | undefined)[] = (items) => items.map(String)) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const run = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise<void>((resolve) => releases.push(resolve));
    return answer(items);
  };
  const releaseAll = () => releases.splice(0).forEach((release) => release());
  return { batches, run, releaseAll };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('runs a lone item at once, and what arrives while batches run waits for the next batch', async () => {
    const { batches, run, releaseAll } = recorder();
    const group = new GroupCommit(run, { maxSize: 3, maxRunning: 1 });
    const first = group.submit(1);
    await turn();
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4, 5].map((item) => group.submit(item));
    await turn();
    expect(batches).toEqual([[1]]); // one batch runs at most
    releaseAll();
    expect(await first).toBe('1');
    await turn();
    expect(batches).toEqual([[1], [2, 3, 4]]); // at most maxSize per batch
    releaseAll();
    await turn();
    await turn();
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    releaseAll();
    expect(await Promise.all(later)).toEqual(['2', '3', '4', '5']);
  });

  it('puts what is submitted in one turn of the event loop into one batch, and runs up to maxRunning batches', async () => {
    const { batches, run, releaseAll } = recorder();
    const group = new GroupCommit(run, { maxSize: 2, maxRunning: 2 });
    const all = [1, 2, 3, 4, 5].map((item) => group.submit(item));
    await turn();
    expect(batches).toEqual([[1, 2], [3, 4]]);
    releaseAll();
    await turn();
    await turn();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    releaseAll();
    expect(await Promise.all(all)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('rejects alone an item the batch gave no result for', async () => {
    const { run, releaseAll } = recorder((items) => items.map((item) => (item === 2 ? undefined : String(item))));
    const group = new GroupCommit(run, { maxSize: 10, maxRunning: 1, describe: (item) => `item ${item}` });
    const results = Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));
    await turn();
    releaseAll();
    const settled = await results;
    expect(settled.map((one) => one.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('batch gave no result for item 2');
  });

  it('rejects every item of a batch that throws, or when `alone` says the error may be one item\'s runs them again one by one', async () => {
    const batches: number[][] = [];
    const run = async (items: readonly number[]) => {
      batches.push([...items]);
      if (items.includes(2)) throw new Error(`refused ${items.join(',')}`);
      return items.map(String);
    };
    const together = new GroupCommit(run, { maxSize: 10, maxRunning: 1 });
    const settledTogether = await Promise.allSettled([1, 2, 3].map((item) => together.submit(item)));
    expect(settledTogether.map((one) => (one.status === 'rejected' ? one.reason.message : one.value))).toEqual([
      'refused 1,2,3',
      'refused 1,2,3',
      'refused 1,2,3',
    ]);

    batches.length = 0;
    const alone = new GroupCommit(run, { maxSize: 10, maxRunning: 1, alone: (error) => String(error).includes('refused') });
    const settledAlone = await Promise.allSettled([1, 2, 3].map((item) => alone.submit(item)));
    expect(settledAlone.map((one) => (one.status === 'rejected' ? one.reason.message : one.value))).toEqual(['1', 'refused 2', '3']);
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);

    // An error of the whole batch is not tried once per item.
    batches.length = 0;
    const whole = new GroupCommit(run, { maxSize: 10, maxRunning: 1, alone: () => false });
    const settledWhole = await Promise.allSettled([1, 2, 3].map((item) => whole.submit(item)));
    expect(settledWhole.map((one) => one.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(batches).toEqual([[1, 2, 3]]);
  });
});
