import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type Workers } from '../../src/workers/workers.js';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { RECEIVER_ON_LOOPBACK, startReceiver, type Receiver } from '../support/receiver.js';
import { PrivateRedis } from '../support/redis-server.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/wait.js';

/**
 * Work after commit is owned by PostgreSQL until it is done (issue: effects lost with Redis): every e-mail, webhook
 * delivery and refund payment has an outbox row that stays open until the effect happened or failed for good, and
 * the relay hands open rows to Redis again whatever Redis lost.
 */
let smtp: TestSmtp;
let receiver: Receiver;
/** Refund ids the gateway paid out, with how many times. */
const payouts = new Map<string, number>();
let gatewayDown = false;

beforeAll(async () => {
  [smtp, receiver] = await Promise.all([startSmtp(), startReceiver()]);
  receiver.route('/hooks', () => ({ status: 200, body: 'ok' }));
  receiver.route('/pay', (request) => {
    if (gatewayDown) return { status: 503, body: 'gateway down' };
    const key = String(request.headers['idempotency-key']);
    payouts.set(key, (payouts.get(key) ?? 0) + 1);
    return { status: 200, body: { reference: `PAY-${key.slice(0, 8)}` } };
  });
});
afterAll(async () => {
  await Promise.all([smtp?.close(), receiver?.close()]);
});

const env = () => ({
  ...RECEIVER_ON_LOOPBACK,
  SMTP_URL: smtp.url,
  PAYMENT_PROVIDER: 'http',
  PAYMENT_PROVIDER_URL: `${receiver.url}/pay`,
});

async function act(h: Harness, path: string, body: unknown, key: 'admin' | 'storefront' = 'admin') {
  const res = await h.post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=15' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().action.result as Record<string, string>;
}

/** A paid order of 5997 by card, placed by `email`, with one T-shirt refunded (2199). */
async function refundedOrder(h: Harness, email: string) {
  const body = orderBody({ customer: { email, firstName: 'Ada', lastName: 'Lovelace' }, payment: { method: 'card', captured: true } });
  const orderId = (await act(h, '/v1/orders', body, 'storefront')).orderId!;
  await act(h, `/v1/orders/${orderId}/invoices`, {});
  const [shirt] = (await h.get(`/v1/orders/${orderId}`)).json().items;
  const { refundId } = await act(h, `/v1/orders/${orderId}/refunds`, { items: [{ itemId: shirt.id, qty: 1 }] });
  return { orderId, refundId: refundId! };
}

const openRows = async (h: Harness) =>
  Number((await h.sql<{ n: string }>('select count(*) as n from outbox where done_at is null'))[0]!.n);

const historyTypes = async (h: Harness, orderId: string, prefix: string) =>
  (await h.get(`/v1/orders/${orderId}/history`)).json().items
    .map((e: { type: string; data: Record<string, unknown> }) => ({ type: e.type, status: e.data.status }))
    .filter((e: { type: string }) => e.type.startsWith(prefix));

describe('when Redis restarts empty', () => {
  let redis: PrivateRedis;
  let h: Harness;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    h = await startHarness({ redisUrl: redis.url, env: env(), workers: false });
    const subscribed = await h.post('/v1/webhooks', { url: `${receiver.url}/hooks`, eventTypes: ['*'] });
    expect(subscribed.statusCode).toBe(201);
  });
  afterAll(async () => {
    await h?.close();
    await redis?.destroy();
  });

  it('a refund whose provider call failed is paid once Redis and the provider are back, with one history entry', async () => {
    await h.startWorkers();
    gatewayDown = true;
    const { orderId, refundId } = await refundedOrder(h, 'redis-refund@example.com');
    await eventually('the provider to have refused once', async () => receiver.at('/pay').some((r) => r.headers['idempotency-key'] === refundId));

    await redis.stop(); // every job, the retrying payment's among them, is gone
    gatewayDown = false;
    await redis.start();

    await eventually('the refund to be paid', async () => {
      const [row] = await h.sql<{ payment_status: string }>('select payment_status from refunds where id = ?', [refundId]);
      return row?.payment_status === 'succeeded';
    }, 20_000);
    expect(payouts.get(refundId)).toBe(1);
    expect(await historyTypes(h, orderId, 'refund.payment')).toEqual([{ type: 'refund.payment', status: 'succeeded' }]);
    await eventually('every follow-up closed', async () => (await openRows(h)) === 0, 20_000);
    expect(await h.sql(`select name, outcome from outbox where name = 'refund.payment' and payload->>'refundId' = ?`, [refundId])).toEqual([
      { name: 'refund.payment', outcome: 'done' },
    ]);
    await h.stopWorkers();
  });

  it('e-mails and webhook deliveries whose jobs Redis lost are sent again, each exactly once', async () => {
    // Only the action queues run: the follow-ups the actions ask for wait in Redis, unsent. The relay starts with
    // the effect workers, after Redis lost them (else it could hand them over again before the loss is seen).
    const actionsOnly: Workers = await startWorkers(h.runtime, ['orders', 'invoices', 'shipments', 'refunds']);
    const email = 'redis-lost@example.com';
    const { orderId } = await refundedOrder(h, email);
    const [{ n: waiting }] = (await h.sql<{ n: number }>(
      `select count(*)::int as n from outbox where done_at is null and name in ('email.send', 'webhook.deliver')`,
    )) as [{ n: number }];
    // order placed, invoice created, refund issued e-mails; a delivery for each event (the subscription wants all).
    expect(waiting).toBeGreaterThanOrEqual(3 + 3);
    // The worker hands them to Redis after its commit, so the last may arrive a moment after the answer.
    await eventually('the three e-mail jobs in Redis', async () => (await h.runtime.queues.get('notifications').getJobCounts('waiting')).waiting === 3);

    await redis.stop();
    await redis.start();
    await eventually('the producer to reconnect', () => h.runtime.redis.ping().then((pong) => pong === 'PONG', () => false));
    expect((await h.runtime.queues.get('notifications').getJobCounts('waiting')).waiting ?? 0).toBe(0);
    const effects = await startWorkers(h.runtime, ['notifications', 'webhooks', 'maintenance']);
    try {
      await eventually('every follow-up closed', async () => (await openRows(h)) === 0, 20_000);
      const subjects = smtp.to(email).map((m) => m.parsed.subject).sort();
      expect(subjects).toEqual([expect.stringMatching(/^Invoice INV-/), expect.stringMatching(/^Refund for order/), expect.stringMatching(/^Your order/)]);
      const messageIds = smtp.to(email).map((m) => m.parsed.messageId);
      expect(new Set(messageIds).size).toBe(3);

      const deliveries = await h.sql<{ id: string; status: string; attempts: number }>(
        'select id, status, attempts from webhook_deliveries where order_id = ?',
        [orderId],
      );
      expect(deliveries.length).toBe(waiting - 3);
      expect(deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
      const received = receiver.at('/hooks').filter((r) => deliveries.some((d) => d.id === r.headers['orderflow-delivery-id']));
      expect(received).toHaveLength(deliveries.length);
      expect(await h.sql(`select distinct outcome from outbox where payload->>'orderId' = ? or name = 'webhook.deliver'`, [orderId])).toEqual([
        { outcome: 'done' },
      ]);
    } finally {
      await effects.close();
      await actionsOnly.close();
    }
  });
});

describe('claims and failures', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...env(), JOB_ATTEMPTS: '2' }, workers: false });
  });
  afterAll(() => h?.close());

  it('an e-mail whose sender died while sending is sent once its claim lapsed, before the retries run out', async () => {
    const actionsOnly = await startWorkers(h.runtime, ['orders', 'invoices', 'shipments', 'refunds']);
    const email = 'interrupted@example.com';
    const orderId = (await act(h, '/v1/orders', orderBody({ customer: { email, firstName: 'Ada', lastName: 'L' } }), 'storefront')).orderId!;
    await actionsOnly.close();
    const [job] = await h.sql<{ id: string; payload: { eventId: string } }>(
      `select id, payload from outbox where name = 'email.send' and payload->>'orderId' = ?`,
      [orderId],
    );
    // What a worker killed in the middle of sending leaves: the record claimed, 25 s ago, never finished.
    await h.sql(
      `insert into emails (id, event_id, order_id, kind, recipient, subject, status, attempts, claimed_at, created_at)
       values (gen_random_uuid(), ?, ?, 'order_placed', ?, 'Your order', 'sending', 1, now() - interval '25 seconds', now())`,
      [job!.payload.eventId, orderId, email],
    );

    const notifications = await startWorkers(h.runtime, ['notifications']);
    try {
      const record = await eventually('the e-mail to be recorded sent', async () => {
        const [row] = await h.sql<{ status: string; attempts: number }>('select status, attempts from emails where order_id = ?', [orderId]);
        return row?.status === 'sent' ? row : null;
      }, 20_000);
      expect(record).toEqual({ status: 'sent', attempts: 2 });
      const state = await eventually('the job to settle', async () => {
        const settled = await h.runtime.queues.get('notifications').getJobState(job!.id);
        return settled === 'completed' || settled === 'failed' ? settled : null;
      });
      expect(state).toBe('completed');
      expect(await historyTypes(h, orderId, 'email.')).toEqual([{ type: 'email.sent', status: undefined }]);
      expect(await h.sql('select outcome from outbox where id = ?', [job!.id])).toEqual([{ outcome: 'done' }]);
      expect(smtp.to(email)).toHaveLength(1);
    } finally {
      await notifications.close();
    }
  });

  it('a payment that failed for good closes its row failed, with history and metric; a retry from the board pays it', async () => {
    await h.startWorkers();
    gatewayDown = true;
    const { orderId, refundId } = await refundedOrder(h, 'failed-for-good@example.com');
    const [row] = await h.sql<{ id: string }>(`select id from outbox where name = 'refund.payment' and payload->>'refundId' = ?`, [refundId]);
    await eventually('the row to close failed', async () => {
      const [now] = await h.sql<{ outcome: string | null }>('select outcome from outbox where id = ?', [row!.id]);
      return now?.outcome === 'failed';
    });
    expect(await h.sql('select payment_status from refunds where id = ?', [refundId])).toEqual([{ payment_status: 'failed' }]);
    expect(await historyTypes(h, orderId, 'refund.payment')).toEqual([{ type: 'refund.payment', status: 'failed' }]);
    const metrics = await h.runtime.metrics.registry.getSingleMetricAsString('orderflow_effects_total');
    expect(metrics).toContain('orderflow_effects_total{name="refund.payment",outcome="failed"} 1');

    gatewayDown = false;
    const job = await h.runtime.queues.get('refunds').getJob(row!.id);
    await job!.retry(); // what bull-board's Retry does
    await eventually('the row to close done', async () => {
      const [now] = await h.sql<{ outcome: string | null }>('select outcome from outbox where id = ?', [row!.id]);
      return now?.outcome === 'done';
    });
    expect(await h.sql('select payment_status from refunds where id = ?', [refundId])).toEqual([{ payment_status: 'succeeded' }]);
    expect(await historyTypes(h, orderId, 'refund.payment')).toEqual([
      { type: 'refund.payment', status: 'failed' },
      { type: 'refund.payment', status: 'succeeded' },
    ]);
    expect(payouts.get(refundId)).toBe(1);
  });
});
