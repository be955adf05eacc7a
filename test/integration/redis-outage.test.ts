import { afterAll, beforeAll, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { PrivateRedis } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';
import { checkInvariants } from '../support/invariants.js';

let redis: PrivateRedis;
let h: Harness;
beforeAll(async () => {
  redis = await PrivateRedis.start();
  h = await startHarness({ redisUrl: redis.url });
});
afterAll(async () => {
  await h.close();
  await redis.destroy();
});

it('accepts orders while Redis is down and applies each exactly once after Redis comes back empty', async () => {
  await redis.stop();
  const keys = [newKey(), newKey()];
  const accepted = [];
  for (const key of keys) {
    const response = await h.post('/v1/orders', singleLineOrder('MUG'), { key: 'storefront', idempotencyKey: key });
    expect(response.statusCode).toBe(202);
    accepted.push(response.json().action.id as string);
  }
  expect(await h.sql(`select status from actions order by created_at`)).toEqual([{ status: 'queued' }, { status: 'queued' }]);

  await redis.start(); // a new, empty Redis: no jobs, no job schedulers
  for (const id of accepted) {
    await eventually(
      `action ${id} applied`,
      async () => (await h.sql<{ status: string }>('select status from actions where id = ?', [id]))[0]?.status === 'succeeded',
      20_000,
    );
  }
  expect(await h.sql('select number from orders order by number')).toEqual([{ number: '100000001' }, { number: '100000002' }]);
  expect(await h.sql('select attempts from actions')).toEqual([{ attempts: 1 }, { attempts: 1 }]);
  expect(await checkInvariants(h.sql)).toEqual([]);
});
