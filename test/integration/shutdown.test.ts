import { once } from 'node:events';
import { createConnection, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { rawAnswers } from '../support/http.js';
import { harnessEnv, OrderflowProcess } from '../support/processes.js';
import { eventually } from '../support/wait.js';
import { checkInvariants } from '../support/invariants.js';

let h: Harness;
beforeAll(async () => {
  // Jobs cut off by the shutdown wait for their lock to lapse before another worker takes them: keep that short.
  h = await startHarness({ workers: false, env: { JOB_LOCK_MS: '2000' } });
});
afterAll(() => h.close());

it('SIGTERM during a burst exits 0 within the grace period and loses nothing: another worker finishes the rest', async () => {
  const worker = await OrderflowProcess.start('workers/all.ts', {
    ...harnessEnv(h.config),
    SHUTDOWN_GRACE_MS: '3000',
    JOB_LOCK_MS: '2000',
  });
  // Enough that a worker holding a batch of 64 per queue is still busy when it is stopped.
  const total = 600;
  const accepted = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      h.post('/v1/orders', singleLineOrder(`SKU-${i}`), { key: 'storefront', idempotencyKey: newKey() }),
    ),
  );
  expect(accepted.every((a) => a.statusCode === 202)).toBe(true);
  await eventually('some actions applied', async () => {
    const [row] = await h.sql<{ n: number }>(`select count(*)::int as n from actions where status = 'succeeded'`);
    return row!.n >= 10;
  });

  const stoppedAt = Date.now();
  expect(await worker.stop()).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(3000 + 2000);
  const [left] = await h.sql<{ n: number }>(`select count(*)::int as n from actions where status <> 'succeeded'`);
  expect(left!.n).toBeGreaterThan(0); // the burst was really cut in the middle

  await h.startWorkers(); // another worker takes over whatever was left
  await eventually(
    'every action finished',
    async () => {
      const [row] = await h.sql<{ n: number }>(`select count(*)::int as n from actions where status = 'succeeded'`);
      return row!.n === total;
    },
    30_000,
  );
  const [orders] = await h.sql<{ n: number; distinct_numbers: number; max: string }>(
    'select count(*)::int as n, count(distinct number)::int as distinct_numbers, max(number) as max from orders',
  );
  expect(orders).toEqual({ n: total, distinct_numbers: total, max: String(100_000_000 + total) });
  const events = await h.sql<{ n: number }>(`select count(*)::int as n from order_events where type = 'order.place'`);
  expect(events).toEqual([{ n: total }]);
  expect(await checkInvariants(h.sql)).toEqual([]);
}, 90_000);

it('answers a request reaching a closing API on a keep-alive connection 503 SHUTTING_DOWN, problem+json with Retry-After', async () => {
  const closing = await startHarness({ workers: false });
  try {
    await closing.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = closing.app.server.address() as AddressInfo;
    const placed = await closing.post('/v1/orders', singleLineOrder('SKU-CLOSING'), { key: 'storefront', idempotencyKey: newKey() });
    expect(placed.statusCode).toBe(202);
    const { orderId, action } = placed.json<{ orderId: string; action: { id: string } }>();

    // One connection: a long poll in flight (no worker applies the action), and a request pipelined behind it once
    // the close has begun. The long poll is answered; the late request is told to go elsewhere.
    const socket = createConnection({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(socket, 'close');
    const request = (path: string, extra: string[] = []) =>
      [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${KEYS.storefront}`, ...extra, '', ''].join('\r\n');
    socket.write(request(`/v1/actions/${action.id}`, ['Prefer: wait=2']));
    await sleep(300);
    const closed = closing.app.close();
    await sleep(100);
    socket.write(request(`/v1/orders/${orderId}`));
    await closed;
    await ended;

    const [longPoll, late, ...rest] = rawAnswers(Buffer.concat(chunks));
    expect(rest).toEqual([]);
    expect(longPoll!.status).toBe(200);
    expect(JSON.parse(longPoll!.body)).toMatchObject({ id: action.id, status: 'queued' });
    expect(late!.status).toBe(503);
    expect(late!.headers).toMatchObject({ 'content-type': 'application/problem+json; charset=utf-8', 'retry-after': '1', connection: 'close' });
    expect(JSON.parse(late!.body)).toEqual({
      type: 'urn:orderflow:problem:SHUTTING_DOWN',
      title: 'Shutting down',
      status: 503,
      detail: 'This process is shutting down; send the request again.',
      code: 'SHUTTING_DOWN',
    });
  } finally {
    await closing.close();
  }
}, 60_000);
