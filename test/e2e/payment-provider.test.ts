import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { RECEIVER_ON_LOOPBACK, startReceiver, type Receiver, type ReceivedRequest, type Responder } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * SPEC §3.6: the money of a committed refund goes back through the payment provider after commit, with the refund
 * id as the provider's idempotency key. PAYMENT_PROVIDER=http POSTs to a gateway adapter, here a real HTTP server.
 */
const SETTLE_MS = 400;

interface HistoryEvent {
  type: string;
  actor: string;
  data: Record<string, unknown>;
}

let gateway: Receiver;
/** Refund ids the simulated gateway paid out, with how many times (an idempotent gateway pays each key once). */
const payouts = new Map<string, number>();

beforeAll(async () => {
  gateway = await startReceiver();
});
afterAll(() => gateway?.close());

/** The gateway answers with `plan` until it decides to pay; paying an idempotency key again pays nothing more. */
function idempotentGateway(plan: (request: ReceivedRequest, sameKey: number) => 'pay' | { status: number; body: string }, reference: string): Responder {
  return (request, earlier) => {
    const key = String(request.headers['idempotency-key']);
    const decision = plan(request, earlier.filter((r) => r.headers['idempotency-key'] === key).length);
    if (decision !== 'pay') return decision;
    if (!payouts.has(key)) payouts.set(key, 0);
    payouts.set(key, payouts.get(key)! + 1);
    return { status: 200, body: { reference } };
  };
}

function client(h: () => Harness) {
  const act = async (path: string, body: unknown) => {
    const res = await h().post(path, body, { idempotencyKey: newKey(), prefer: 'wait=15' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().action.result as Record<string, string>;
  };
  /** A paid order of 5997 by credit card, refunded one T-shirt (1999 + 200 tax = 2199). */
  const refundedOrder = async (externalId: string) => {
    const orderId = (await act('/v1/orders', orderBody({ externalId, payment: { method: 'creditcard', captured: true } }))).orderId!;
    await act(`/v1/orders/${orderId}/invoices`, {});
    const [shirt] = (await h().get(`/v1/orders/${orderId}`)).json().items;
    const refundId = (await act(`/v1/orders/${orderId}/refunds`, { items: [{ itemId: shirt.id, qty: 1 }], reason: 'too small' })).refundId!;
    return { orderId, refundId };
  };
  const refund = async (refundId: string) => {
    const res = await h().get(`/v1/refunds/${refundId}`);
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const history = async (orderId: string): Promise<HistoryEvent[]> => (await h().get(`/v1/orders/${orderId}/history`)).json().items;
  return { refundedOrder, refund, history };
}

const callsFor = (path: string, refundId: string) => gateway.at(path).filter((r) => r.headers['idempotency-key'] === refundId);

describe('refund payments through an HTTP payment provider', () => {
  let h: Harness;
  const { refundedOrder, refund, history } = client(() => h);

  beforeAll(async () => {
    h = await startHarness({ env: { ...RECEIVER_ON_LOOPBACK, PAYMENT_PROVIDER: 'http', PAYMENT_PROVIDER_URL: `${gateway.url}/pay` } });
  });
  afterAll(() => h?.close());

  it('pays a refund back once: POST with the refund id as Idempotency-Key, reference recorded', async () => {
    gateway.route('/pay', idempotentGateway(() => 'pay', 'PAY-1'));
    const { orderId, refundId } = await refundedOrder('pay-1');
    expect(await refund(refundId)).toMatchObject({ number: 'RFD-000001', grandTotal: 2199 });

    await eventually('the refund to be paid', async () => (await refund(refundId)).paymentStatus === 'succeeded');
    await sleep(SETTLE_MS);
    const calls = callsFor('/pay', refundId);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.method).toBe('POST');
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.headers['idempotency-key']).toBe(refundId);
    expect(JSON.parse(call!.body)).toEqual({ refundId, orderId, amount: 2199, currency: 'USD', paymentMethod: 'creditcard' });
    expect(payouts.get(refundId)).toBe(1);

    const payments = (await history(orderId)).filter((e) => e.type === 'refund.payment');
    expect(payments).toEqual([
      {
        ...payments[0],
        actor: 'system',
        data: { refundId, number: 'RFD-000001', provider: 'http', status: 'succeeded', reference: 'PAY-1' },
      },
    ]);
    expect(await h.sql('select payment_status, payment_reference from refunds where id = ?', [refundId])).toEqual([
      { payment_status: 'succeeded', payment_reference: 'PAY-1' },
    ]);
  });

  it('retries a gateway answering 503 twice with the same idempotency key; the refund is paid once', async () => {
    gateway.route('/pay', idempotentGateway((_request, sameKey) => (sameKey < 2 ? { status: 503, body: 'gateway busy' } : 'pay'), 'PAY-2'));
    const { orderId, refundId } = await refundedOrder('pay-2');

    await eventually('the refund to be paid', async () => (await refund(refundId)).paymentStatus === 'succeeded');
    await sleep(SETTLE_MS);
    const calls = callsFor('/pay', refundId);
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.headers['idempotency-key']).toBe(refundId);
      expect(JSON.parse(call.body)).toEqual({ refundId, orderId, amount: 2199, currency: 'USD', paymentMethod: 'creditcard' });
    }
    // Exponential backoff from JOB_BACKOFF_MS=50 (the harness): 50 ms, then 100 ms.
    expect(calls[1]!.receivedAt - calls[0]!.receivedAt).toBeGreaterThanOrEqual(50);
    expect(calls[2]!.receivedAt - calls[1]!.receivedAt).toBeGreaterThanOrEqual(100);
    expect(payouts.get(refundId)).toBe(1);

    const payments = (await history(orderId)).filter((e) => e.type === 'refund.payment');
    expect(payments.map((e) => e.data)).toEqual([
      { refundId, number: 'RFD-000002', provider: 'http', status: 'succeeded', reference: 'PAY-2' },
    ]);
  });
});

describe('a refund payment the provider keeps refusing (JOB_ATTEMPTS=2)', () => {
  let h: Harness;
  const { refundedOrder, refund, history } = client(() => h);

  beforeAll(async () => {
    h = await startHarness({ env: { ...RECEIVER_ON_LOOPBACK, PAYMENT_PROVIDER: 'http', PAYMENT_PROVIDER_URL: `${gateway.url}/pay-down`, JOB_ATTEMPTS: '2' } });
  });
  afterAll(() => h?.close());

  it('marks the payment failed for an operator while the refund stays committed', async () => {
    gateway.route('/pay-down', () => ({ status: 500, body: 'gateway down' }));
    const { orderId, refundId } = await refundedOrder('pay-down');

    await eventually('the payment to fail for good', async () => (await refund(refundId)).paymentStatus === 'failed');
    await sleep(SETTLE_MS);
    const calls = callsFor('/pay-down', refundId);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(JSON.parse(call.body)).toEqual({ refundId, orderId, amount: 2199, currency: 'USD', paymentMethod: 'creditcard' });
    }

    const entries = await history(orderId);
    expect(entries.filter((e) => e.type === 'refund.payment').map((e) => ({ actor: e.actor, data: e.data }))).toEqual([
      {
        actor: 'system',
        data: { refundId, number: 'RFD-000001', status: 'failed', error: 'payment provider answered 500: gateway down' },
      },
    ]);
    expect(entries.filter((e) => e.type === 'refund.create').map((e) => e.data.refundId)).toEqual([refundId]);

    // The refund itself is committed: the credit memo exists and the order counts it.
    expect(await refund(refundId)).toMatchObject({ number: 'RFD-000001', grandTotal: 2199, paymentStatus: 'failed' });
    const order = (await h.get(`/v1/orders/${orderId}`)).json();
    expect(order.totals).toEqual({
      subTotal: 4997, shipping: 500, tax: 500, discount: 0, grandTotal: 5997,
      invoiced: 5997, paid: 5997, refunded: 2199, refundable: 3798, due: 0,
    });
    expect(order.refunds).toEqual([{ id: refundId, number: 'RFD-000001', grandTotal: 2199 }]);
    expect(order.items[0]).toMatchObject({ qtyRefunded: 1, qtyToRefund: 1 });
  });
});

describe('a payment provider URL inside the network (WEBHOOK_ALLOW_PRIVATE_NETWORKS unset)', () => {
  let h: Harness;
  const { refundedOrder, refund, history } = client(() => h);

  beforeAll(async () => {
    // The harness skips the start-up check (that is main's; see below), as a URL stored before the guard would.
    h = await startHarness({ env: { PAYMENT_PROVIDER: 'http', PAYMENT_PROVIDER_URL: `${gateway.url}/pay-inside`, JOB_ATTEMPTS: '1' } });
  });
  afterAll(() => h?.close());

  it('refuses every call without connecting: the payment fails with the reason', async () => {
    gateway.route('/pay-inside', idempotentGateway(() => 'pay', 'PAY-INSIDE'));
    const { orderId, refundId } = await refundedOrder('pay-inside');
    await eventually('the payment to fail for good', async () => (await refund(refundId)).paymentStatus === 'failed');
    await sleep(SETTLE_MS);
    expect(gateway.at('/pay-inside')).toEqual([]);
    const entries = await history(orderId);
    expect(entries.filter((e) => e.type === 'refund.payment').map((e) => e.data)).toEqual([
      { refundId, number: 'RFD-000001', status: 'failed', error: '127.0.0.1 is a loopback address' },
    ]);
  });

  it.each([
    ['an address literal', () => `${gateway.url}/pay`, () => '127.0.0.1 is a loopback address'],
    ['a name that resolves inward', () => `http://${hostname()}:9/pay`, () => `${hostname()} resolves to `],
  ])('refuses to start with %s, saying why', async (_case, url, reason) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', PAYMENT_PROVIDER: 'http', PAYMENT_PROVIDER_URL: url(), WEBHOOK_ALLOW_PRIVATE_NETWORKS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    // pino writes a fatal line at once, maybe before an earlier line still on its way: look for it, not at the end.
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const fatal = lines.filter((line) => line.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toContain(`PAYMENT_PROVIDER_URL is refused: ${reason()}`);
    expect(fatal[0]!.msg).toContain('WEBHOOK_ALLOW_PRIVATE_NETWORKS=true');
    expect(output).not.toContain('orderflow started');
  }, 60_000);
});

describe('refund payments at most WORKER_CONCURRENCY at a time', () => {
  let h: Harness;
  const { refundedOrder, refund } = client(() => h);

  beforeAll(async () => {
    h = await startHarness({
      env: { ...RECEIVER_ON_LOOPBACK, PAYMENT_PROVIDER: 'http', PAYMENT_PROVIDER_URL: `${gateway.url}/slow-pay`, WORKER_CONCURRENCY: '2' },
    });
  });
  afterAll(() => h?.close());

  it('holds a batch of refund actions, but pays two refunds at a time to a slow gateway', async () => {
    let inFlight = 0;
    let most = 0;
    gateway.route('/slow-pay', async () => {
      most = Math.max(most, ++inFlight);
      await sleep(300);
      inFlight -= 1;
      return { status: 200, body: { reference: 'SLOW' } };
    });
    const refunds = [];
    for (const n of [1, 2, 3, 4, 5]) refunds.push((await refundedOrder(`slow-${n}`)).refundId);
    for (const refundId of refunds) {
      await eventually(`refund ${refundId} to be paid`, async () => (await refund(refundId)).paymentStatus === 'succeeded');
    }
    expect(most).toBe(2);
    expect(refunds.map((refundId) => callsFor('/slow-pay', refundId).length)).toEqual([1, 1, 1, 1, 1]);
  });
});
