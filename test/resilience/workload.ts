import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Answer, Deployment } from '../support/deployment.js';
import { KEYS } from '../support/harness.js';
import { singleLineOrder } from '../support/fixtures.js';
import { checkInvariants, type InitialStock } from '../support/invariants.js';
import { pooled } from '../support/pool.js';
import { RECEIVER_ON_LOOPBACK, startReceiver, type Receiver } from '../support/receiver.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/wait.js';

/** `RESILIENCE=full` (npm run test:resilience) runs every scenario at full size; `npm test` runs a reduced one. */
export const FULL = process.env.RESILIENCE === 'full';

export const SKU = 'RES-SKU';
const ON_HAND = 1_000_000;

/** What a client saw while the faults went on: the actions it was given and the refusals it retried past. */
export interface ClientLog {
  accepted: Map<string, { type: string; expected: Expected }>;
  retried: Map<number, number>;
}

export type Expected = { status: 'succeeded' } | { status: 'rejected'; code: string };
const SUCCEEDS: Expected = { status: 'succeeded' };

interface Step {
  method: 'POST';
  path: string;
  body: unknown;
  type: string;
  expected: Expected;
}

/** A storefront or back office that retries with the same Idempotency-Key until it gets an answer. */
async function send(d: Deployment, log: ClientLog, step: Omit<Step, 'method'>, key: 'admin' | 'storefront'): Promise<Answer> {
  const idempotencyKey = randomUUID();
  for (let attempt = 1; ; attempt++) {
    const answer = await d.request('POST', step.path, { body: step.body, key, idempotencyKey });
    if (answer.status >= 200 && answer.status < 300) {
      const action = answer.json.action as { id: string };
      log.accepted.set(action.id, { type: step.type, expected: step.expected });
      return answer;
    }
    if (answer.status !== 0 && answer.status !== 503 && answer.status !== 429) {
      throw new Error(`${step.path} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    }
    log.retried.set(answer.status, (log.retried.get(answer.status) ?? 0) + 1);
    if (attempt > 600) throw new Error(`${step.path} still refused after ${attempt} attempts (${answer.status})`);
    await sleep(100);
  }
}

export async function stockUp(d: Deployment): Promise<InitialStock> {
  for (const [path, body] of [
    ['/v1/inventory/sources/main', { name: 'Main' }],
    [`/v1/inventory/items/${SKU}`, { sources: { main: ON_HAND } }],
  ] as const) {
    const answer = await d.request('PUT', path, { body });
    expect([200, 201], JSON.stringify(answer.json)).toContain(answer.status);
  }
  return { [SKU]: { main: ON_HAND } };
}

/**
 * What each order goes through, one action after the other (each waits for the previous one's 202, so the order of
 * acceptance, which is the order of application, is known): three of four orders are invoiced, partly shipped,
 * commented and partly refunded, one of them through a customer return; every fourth is held, refused an invoice,
 * released and canceled.
 */
function lifeOf(orderId: string, itemId: string, index: number): Step[] {
  const path = (tail: string) => `/v1/orders/${orderId}/${tail}`;
  const step = (tail: string, type: string, body: unknown, expected: Expected = SUCCEEDS): Step => ({
    method: 'POST',
    path: path(tail),
    body,
    type,
    expected,
  });
  if (index % 4 === 3) {
    return [
      step('hold', 'order.hold', { reason: 'fraud check' }),
      step('invoices', 'invoice.create', {}, { status: 'rejected', code: 'ORDER_ON_HOLD' }),
      step('unhold', 'order.unhold', { reason: 'cleared' }),
      step('cancel', 'order.cancel', { reason: 'customer asked' }),
      step('invoices', 'invoice.create', {}, { status: 'rejected', code: 'INVOICE_NOT_ALLOWED' }),
    ];
  }
  return [
    step('invoices', 'invoice.create', {}),
    step('shipments', 'shipment.create', {
      source: 'main',
      carrier: { code: 'ups', title: 'UPS' },
      trackingNumber: `1Z${index}`,
      items: [{ itemId, qty: 2 }],
    }),
    // Every fourth order sends a unit back instead (returnLife); the others are refunded one unit directly.
    ...(index % 4 === 2 ? [] : [step('refunds', 'refund.create', { items: [{ itemId, qty: 1, returnToStock: true }] })]),
    step('comments', 'order.comment', { comment: `note ${index}`, notifyCustomer: false }),
  ];
}

/**
 * A customer return of one shipped unit, asked for by the storefront, then approved, received and refunded. The
 * moves name the return, so they wait until its request is applied (retrying the query while PostgreSQL is away).
 */
async function returnLife(d: Deployment, log: ClientLog, orderId: string, itemId: string): Promise<void> {
  const body = { items: [{ itemId, qty: 1, reason: 'did_not_fit' }] };
  await send(d, log, { path: `/v1/orders/${orderId}/returns`, body, type: 'return.request', expected: SUCCEEDS }, 'storefront');
  const returnId = await eventually(
    'the return request applied',
    async () => {
      const rows = await d.sql<{ id: string }>('select id from returns where order_id = $1', [orderId]).catch(() => []);
      return rows[0]?.id ?? null;
    },
    120_000,
  );
  const moves = [
    ['approve', 'return.approve', {}],
    ['receive', 'return.receive', { source: 'main' }],
    ['refund', 'return.refund', { reason: 'returned' }],
  ] as const;
  for (const [move, type, moveBody] of moves) {
    await send(d, log, { path: `/v1/returns/${returnId}/${move}`, body: moveBody, type, expected: SUCCEEDS }, 'admin');
  }
}

/**
 * The burst: `orders` placements of 3 units, then each order's life, `concurrency` clients at a time. Returns what
 * the clients were given.
 */
export async function runWorkload(d: Deployment, orders: number, concurrency = 16): Promise<ClientLog> {
  const log: ClientLog = { accepted: new Map(), retried: new Map() };
  const placed: string[] = [];
  await pooled(Array.from({ length: orders }, (_, i) => i), concurrency, async (i) => {
    const answer = await send(d, log, { path: '/v1/orders', body: singleLineOrder(SKU, 3), type: 'order.place', expected: SUCCEEDS }, 'storefront');
    placed[i] = answer.json.orderId as string;
  });
  // Line ids are made when the placement applies.
  const lines = await eventually(
    'every placement applied',
    async () => {
      const rows = await d.sql<{ order_id: string; id: string }>('select order_id, id from order_lines where order_id = any($1)', [placed]);
      return rows.length === orders ? new Map(rows.map((row) => [row.order_id, row.id])) : null;
    },
    120_000,
  );
  await pooled(placed, concurrency, async (orderId, index) => {
    for (const step of lifeOf(orderId, lines.get(orderId)!, index)) await send(d, log, step, 'admin');
    if (index % 4 === 2) await returnLife(d, log, orderId, lines.get(orderId)!);
  });
  return log;
}

export interface Figures {
  accepted: number;
  succeeded: number;
  rejected: number;
  failed: number;
  lost: number;
  duplicated: number;
  unexpected: number;
}

/**
 * Waits until every accepted action has ended, then counts: lost (accepted, never ended), duplicated (documents or
 * history entries beyond one per applied action), unexpected outcomes; and checks every invariant.
 */
export async function settle(d: Deployment, log: ClientLog, initialStock: InitialStock, timeoutMs = 180_000): Promise<Figures> {
  const ids = [...log.accepted.keys()];
  const deadline = Date.now() + timeoutMs;
  let rows: { id: string; status: string; code: string | null }[] = [];
  for (;;) {
    rows = await d.sql('select id, status, error->>\'code\' as code from actions where id = any($1)', [ids]);
    const open = rows.filter((row) => !['succeeded', 'rejected', 'failed'].includes(row.status)).length;
    if (open === 0 || Date.now() > deadline) break;
    await sleep(250);
  }
  const byId = new Map(rows.map((row) => [row.id, row]));
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  const unexpected = ids.filter((id) => {
    const row = byId.get(id);
    const { expected } = log.accepted.get(id)!;
    return !row || row.status !== expected.status || (expected.status === 'rejected' && row.code !== expected.code);
  });
  const [dup] = await d.sql<{ n: number }>(`
    select
      (select count(*) from orders) - (select count(*) from actions where type = 'order.place' and status = 'succeeded')
      + (select count(*) from invoices) - (select count(*) from actions where type = 'invoice.create' and status = 'succeeded')
      + (select count(*) from shipments) - (select count(*) from actions where type = 'shipment.create' and status = 'succeeded')
      + (select count(*) from refunds) - (select count(*) from actions where type in ('refund.create', 'return.refund') and status = 'succeeded')
      + (select count(*) from returns) - (select count(*) from actions where type = 'return.request' and status = 'succeeded')
      + (select count(*) from (select action_id from order_events where action_id is not null
                               group by action_id, type having count(*) > 1) twice) as n`);
  const figures: Figures = {
    accepted: ids.length,
    succeeded: count('succeeded'),
    rejected: count('rejected'),
    failed: count('failed'),
    lost: ids.length - count('succeeded') - count('rejected') - count('failed'),
    duplicated: Number(dup!.n),
    unexpected: unexpected.length,
  };
  if (unexpected.length > 0) {
    const sample = unexpected.slice(0, 5).map((id) => ({ id, ...log.accepted.get(id), actual: byId.get(id) }));
    console.error('unexpected outcomes', JSON.stringify(sample));
  }
  expect(await checkInvariants((query, params) => d.sql(query, params), { initialStock })).toEqual([]);
  return figures;
}

/**
 * Injects `fault` `times` times, `everyMs` apart, starting `everyMs / 2` after the burst began; returns, for each,
 * how many accepted actions were still unfinished when it struck (a fault after the burst would prove nothing; the test needs at least one to strike mid-burst).
 */
export async function injectFaults(d: Deployment, times: number, everyMs: number, fault: (index: number) => Promise<void>): Promise<number[]> {
  const pending: number[] = [];
  await sleep(everyMs / 2);
  for (let index = 0; index < times; index++) {
    const [row] = await d.sql<{ n: number }>(`select count(*)::int as n from actions where status in ('queued', 'processing')`);
    pending.push(row!.n);
    await fault(index);
    await sleep(everyMs);
  }
  return pending;
}

export function report(scenario: string, figures: Record<string, unknown>): void {
  console.log(`resilience ${FULL ? 'full' : 'ci'} | ${scenario} | ${JSON.stringify(figures)}`);
}

/**
 * The outside world of a deployment, recording what reached it: an SMTP server for e-mails, a webhook subscriber
 * (subscribed to every event type) and a payment gateway that pays each idempotency key once.
 */
export class Witness {
  private constructor(
    readonly smtp: TestSmtp,
    readonly receiver: Receiver,
  ) {}

  static async start(): Promise<Witness> {
    const [smtp, receiver] = await Promise.all([startSmtp(), startReceiver()]);
    receiver.route('/hooks', () => ({ status: 204 }));
    receiver.route('/pay', (request) => ({ status: 200, body: { reference: `PAY-${String(request.headers['idempotency-key'])}` } }));
    return new Witness(smtp, receiver);
  }

  /** The settings that point a deployment at this witness. */
  env(): Record<string, string> {
    return {
      ...RECEIVER_ON_LOOPBACK,
      SMTP_URL: this.smtp.url,
      PAYMENT_PROVIDER: 'http',
      PAYMENT_PROVIDER_URL: `${this.receiver.url}/pay`,
      RELAY_RECHECK_MS: '1000',
    };
  }

  /** Forgets what was received so far: the next count is of one scenario alone. */
  forget(): void {
    this.smtp.messages.length = 0;
    this.receiver.requests.length = 0;
  }

  async subscribe(d: Deployment): Promise<void> {
    const answer = await d.request('POST', '/v1/webhooks', { body: { url: `${this.receiver.url}/hooks`, eventTypes: ['*'] } });
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
  }

  async close(): Promise<void> {
    await Promise.all([this.smtp.close(), this.receiver.close()]);
  }
}

/** Per kind of work after commit: how many there should be, how many never happened, how many happened twice. */
export interface EffectCount {
  expected: number;
  lost: number;
  duplicated: number;
}

export interface EffectFigures {
  refundPayments: EffectCount;
  emails: EffectCount;
  webhooks: EffectCount;
  pdfs: EffectCount;
}

const duplicates = (ids: readonly string[]) => ids.length - new Set(ids).size;

/**
 * Waits until every follow-up is closed, then counts the effects of the work since `since` (when the witness last
 * forgot) against what the outside world received: every refund paid back once (one `refund.payment` entry), every
 * e-mail record sent and received once by the SMTP server (its Message-ID names the record), every webhook delivery
 * delivered and received once, every invoice, credit memo and return slip PDF served. A follow-up that failed for good fails
 * the count.
 */
export async function countEffects(d: Deployment, witness: Witness, since: Date, timeoutMs = 180_000): Promise<EffectFigures> {
  await eventually(
    'every follow-up closed',
    async () => (await d.sql<{ n: number }>('select count(*)::int as n from outbox where done_at is null'))[0]!.n === 0,
    timeoutMs,
  );
  const [failed] = await d.sql<{ n: number }>(`select count(*)::int as n from outbox where outcome = 'failed'`);

  const refunds = await d.sql<{ id: string; status: string; paid: number }>(
    `select r.id, r.payment_status as status,
            (select count(*)::int from order_events e
             where e.type = 'refund.payment' and e.data->>'refundId' = r.id::text and e.data->>'status' = 'succeeded') as paid
     from refunds r where r.created_at >= $1`,
    [since],
  );
  const emails = await d.sql<{ id: string; status: string }>('select id, status from emails where created_at >= $1', [since]);
  const [emailJobs] = await d.sql<{ n: number }>(
    `select count(*)::int as n from outbox where name = 'email.send' and created_at >= $1`,
    [since],
  );
  const received = witness.smtp.messages.map((m) => m.parsed.messageId ?? '');
  const deliveries = await d.sql<{ id: string; status: string }>('select id, status from webhook_deliveries where created_at >= $1', [
    since,
  ]);
  const hooked = witness.receiver.at('/hooks').map((r) => String(r.headers['orderflow-delivery-id']));
  const documents = await d.sql<{ kind: string; id: string }>(
    `select 'invoices' as kind, id from invoices where created_at >= $1
     union all select 'refunds', id from refunds where created_at >= $1
     union all select 'returns', id from returns where created_at >= $1`,
    [since],
  );
  let unserved = 0;
  await pooled(documents, 8, async ({ kind, id }) => {
    const response = await fetch(`${d.baseUrl}/v1/${kind}/${id}/pdf`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200 || body.subarray(0, 5).toString('latin1') !== '%PDF-') unserved += 1;
  });
  const [pdfRows] = await d.sql<{ n: number }>('select count(*)::int as n from pdf_documents where document_id = any($1)', [
    documents.map((document) => document.id),
  ]);
  expect(failed!.n, 'follow-ups failed for good').toBe(0);
  return {
    refundPayments: {
      expected: refunds.length,
      lost: refunds.filter((r) => r.status !== 'succeeded' || r.paid === 0).length,
      duplicated: refunds.reduce((sum, r) => sum + Math.max(0, r.paid - 1), 0),
    },
    emails: {
      expected: emailJobs!.n,
      lost: emailJobs!.n - emails.filter((e) => e.status === 'sent' && received.includes(`<${e.id}@orderflow>`)).length,
      duplicated: duplicates(received),
    },
    webhooks: {
      expected: deliveries.length,
      lost: deliveries.filter((delivery) => delivery.status !== 'delivered' || !hooked.includes(delivery.id)).length,
      duplicated: duplicates(hooked),
    },
    pdfs: {
      expected: documents.length,
      lost: unserved,
      duplicated: pdfRows!.n - documents.length,
    },
  };
}
