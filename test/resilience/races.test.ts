import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { harnessEnv, OrderflowProcess } from '../support/processes.js';
import { checkInvariants, type InitialStock } from '../support/invariants.js';
import { seededRandom } from '../support/domain.js';
import { pooled } from '../support/pool.js';

/**
 * Races (SPEC §1, §2, §3): bursts of concurrent requests against orders that have few units left, applied by two
 * worker processes. Actions of one order apply one at a time in acceptance order, so the races that matter are
 * across orders (shared stock rows, shared gapless number sequences) and between the processes claiming jobs.
 * Every burst is spread over many orders in a random interleaving; the outcome of every single action is derived
 * from the acceptance order (actions.seq) and asserted exactly, with the invariants of the whole database after.
 *
 * RESILIENCE=full sends 1,000 requests per scenario; the default (CI) sends 150. RACES_SEED replays a run's request
 * mix and sending order (the seed is printed with each scenario's figures).
 */
const FULL = process.env.RESILIENCE === 'full';
const REQUESTS = FULL ? 1000 : 150;
const TEST_TIMEOUT = FULL ? 300_000 : 60_000;
const SETTLE_TIMEOUT = FULL ? 240_000 : 45_000;
const IN_FLIGHT = 100;
const SEED = Number(process.env.RACES_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Two worker processes: the harness's own, and one more started like on another machine, logging to a file. */
let h: Harness;
let second: OrderflowProcess;
const logDir = mkdtempSync(join(tmpdir(), 'orderflow-races-'));
const secondLog = join(logDir, 'second-worker.log');
beforeAll(async () => {
  // The rate limit is not under test here, and a full run sends several thousand requests a minute with one key.
  h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '10000000' } });
  second = await OrderflowProcess.start(
    'workers/all.ts',
    harnessEnv(h.config),
    secondLog,
  );
  await h.put('/v1/inventory/sources/main', { name: 'Main' });
});
afterAll(async () => {
  expect(await second.stop()).toBe(0);
  await h.close();
  // The bursts were really shared: the second process applied some of the actions (it logs each rejection).
  expect(rejectedBySecond(null)).toBeGreaterThan(0);
  rmSync(logDir, { recursive: true, force: true });
});

/** Rejections the second worker process applied, among `ids` (all when null), read from its JSON log. */
function rejectedBySecond(ids: ReadonlySet<string> | null): number {
  let count = 0;
  for (const line of readFileSync(secondLog, 'utf8').split('\n')) {
    if (!line.includes('"action rejected"')) continue;
    const actionId = /"actionId":"([^"]+)"/.exec(line)?.[1]; // the last line may be still half written
    if (actionId && (ids === null || ids.has(actionId))) count++;
  }
  return count;
}

/** Stock set once before the orders came: it must end as that minus what shipped plus what refunds put back. */
const initialStock: InitialStock = {};

afterEach(async () => {
  expect(await checkInvariants(h.sql, { initialStock })).toEqual([]);
  const unfinished = await h.sql(
    `select status, count(*)::int as n from actions where status in ('queued', 'processing', 'failed') group by status`,
  );
  expect(unfinished).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const rng = seededRandom(SEED); // replayable with RACES_SEED
const pick = (n: number) => Math.floor(rng() * n);
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** `total` requests over orders: each order gets at least its `minimum`, the rest land on random orders. */
function spread(minimums: number[], total: number): number[] {
  const counts = [...minimums];
  for (let rest = total - minimums.reduce((a, b) => a + b, 0); rest > 0; rest--) counts[pick(counts.length)]! += 1;
  return counts;
}

const UNIT_PRICE = 1999;
const LINE_TAX = 100;
const LINE_DISCOUNT = 7;

/** One line of `qty` units whose tax and discount do not divide evenly by the units (exact proration, SPEC §2). */
function taxedOrder(sku: string, qty: number, shipping = { amount: 0, taxAmount: 0 }) {
  return orderBody({
    items: [{ sku, name: sku, qty, unitPrice: UNIT_PRICE, taxAmount: LINE_TAX, discountAmount: LINE_DISCOUNT }],
    shipping: { method: 'flatrate', title: 'Flat rate', discountAmount: 0, ...shipping },
    grandTotal: qty * UNIT_PRICE + LINE_TAX - LINE_DISCOUNT + shipping.amount + shipping.taxAmount,
  });
}

/** The part of `amount` (spread over `qty` units) that falls on unit `k` (0-based), SPEC §2. */
const share = (amount: number, qty: number, k: number) => Math.floor((amount * (k + 1)) / qty) - Math.floor((amount * k) / qty);
/** What the k-th single unit of a taxedOrder line is worth on an invoice or a refund. */
const unitTotal = (qty: number, k: number) => UNIT_PRICE + share(LINE_TAX, qty, k) - share(LINE_DISCOUNT, qty, k);

interface Placed {
  orderId: string;
  itemId: string;
}

async function place(body: unknown): Promise<Placed> {
  const placed = await h.post('/v1/orders', body, { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=30' });
  expect(placed.statusCode, placed.body).toBe(201);
  const orderId: string = placed.json().orderId;
  const order = (await h.get(`/v1/orders/${orderId}`)).json();
  return { orderId, itemId: order.items[0].id };
}

/** A write applied synchronously during set-up (Prefer: wait), which must succeed. */
async function apply(path: string, body: unknown): Promise<void> {
  const response = await h.post(path, body, { prefer: 'wait=30' });
  expect(response.statusCode, response.body).toBe(201);
}

const readOrder = async (orderId: string) => (await h.get(`/v1/orders/${orderId}`)).json();

interface Request {
  /** The order the request is about; none for a placement (its order id is assigned at intake). */
  orderId?: string;
  path: string;
  body: unknown;
  key?: 'storefront' | 'admin';
}

/** Every column of an action the assertions need, in acceptance order. */
interface Outcome {
  id: string;
  orderId: string;
  type: string;
  payload: Record<string, unknown>;
  status: string;
  code: string | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  result: Record<string, string> | null;
  attempts: number;
}

const IDS = `(select jsonb_array_elements_text(?::jsonb)::uuid)`;

/**
 * Sends the requests with at most IN_FLIGHT at once (each is accepted with 202, never anything else), then waits
 * until every action has ended, watching the actions table rather than holding 1,000 HTTP waits open.
 */
async function burst(requests: Request[]): Promise<{ outcomes: Outcome[]; ms: number }> {
  const started = Date.now();
  const responses: { statusCode: number; body: string; actionId?: string }[] = new Array(requests.length);
  await pooled(requests, IN_FLIGHT, async (request, index) => {
    const options = { idempotencyKey: newKey(), ...(request.key ? { key: request.key } : {}) };
    const response = await h.post(request.path, request.body, options);
    responses[index] = {
      statusCode: response.statusCode,
      body: response.body,
      actionId: response.statusCode === 202 ? response.json().action.id : undefined,
    };
  });
  expect(responses.filter((r) => r.statusCode !== 202).map((r) => `${r.statusCode} ${r.body.slice(0, 300)}`)).toEqual([]);
  const ids = responses.map((r) => r.actionId!);

  const deadline = Date.now() + SETTLE_TIMEOUT;
  for (;;) {
    const [row] = await h.sql<{ n: number }>(
      `select count(*)::int as n from actions where id in ${IDS} and status in ('queued', 'processing')`,
      [JSON.stringify(ids)],
    );
    if (row!.n === 0) break;
    if (Date.now() > deadline) {
      const states = await h.sql(`select status, count(*)::int as n from actions where id in ${IDS} group by status`, [JSON.stringify(ids)]);
      throw new Error(`the burst did not settle in ${SETTLE_TIMEOUT} ms: ${JSON.stringify(states)}`);
    }
    await sleep(100);
  }
  const ms = Date.now() - started;

  const outcomes = await h.sql<Outcome>(
    `select id, order_id as "orderId", type, payload, status, error->>'code' as code, error, result, attempts
     from actions where id in ${IDS} order by seq`,
    [JSON.stringify(ids)],
  );
  expect(outcomes).toHaveLength(requests.length);
  // Every request is an action of the order it was sent for.
  if (requests.every((r) => r.orderId)) {
    expect(countBy(outcomes.map((o) => o.orderId))).toEqual(countBy(requests.map((r) => r.orderId!)));
  }
  return { outcomes, ms };
}

function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** The outcomes of each order's actions, in acceptance order. */
function byOrder(outcomes: Outcome[]): Map<string, Outcome[]> {
  const groups = new Map<string, Outcome[]>();
  for (const outcome of outcomes) groups.set(outcome.orderId, [...(groups.get(outcome.orderId) ?? []), outcome]);
  return groups;
}

/** `succeeded`, or `rejected:<code>`, or the raw status: one comparable word per action. */
const verdict = (o: Outcome) => (o.status === 'rejected' ? `rejected:${o.code}` : o.status);
const repeat = <T>(value: T, n: number): T[] => Array<T>(n).fill(value);

async function documentCount(table: 'orders' | 'invoices' | 'shipments' | 'refunds'): Promise<number> {
  const [row] = await h.sql<{ n: number }>(`select count(*)::int as n from ${table}`);
  return row!.n;
}

/** The whole sequence is `prefix-000001…` without gap or repeat: the ones before the burst plus the burst's own. */
async function expectGapless(table: 'invoices' | 'shipments' | 'refunds', prefix: string, total: number): Promise<void> {
  const numbers = (await h.sql<{ number: string }>(`select number from ${table} order by number`)).map((n) => n.number);
  expect(numbers).toEqual(Array.from({ length: total }, (_, i) => `${prefix}-${String(i + 1).padStart(6, '0')}`));
}

/** The invoices or refunds the given actions created, in their actions' acceptance order. */
async function documentsOf(table: 'invoices' | 'refunds', outcomes: Outcome[]) {
  const resultKey = table === 'invoices' ? 'invoiceId' : 'refundId';
  return h.sql<{ orderId: string; number: string; grandTotal: number }>(
    `select a.order_id as "orderId", d.number, d.grand_total::int as "grandTotal"
     from actions a join ${table} d on d.id = (a.result->>'${resultKey}')::uuid
     where a.id in ${IDS} order by a.seq`,
    [JSON.stringify(outcomes.map((o) => o.id))],
  );
}

function figure(scenario: string, outcomes: Outcome[], duplicated: number, ms: number): void {
  const count = (status: string) => outcomes.filter((o) => o.status === status).length;
  const bySecond = rejectedBySecond(new Set(outcomes.map((o) => o.id)));
  const codes = Object.entries(countBy(outcomes.flatMap((o) => (o.code ? [o.code] : []))))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  console.log(
    `[races] ${scenario} | requests ${outcomes.length} | succeeded ${count('succeeded')} | rejected ${count('rejected')} (${codes}) | ` +
      `failed ${count('failed')} | duplicated ${duplicated} | retried ${outcomes.filter((o) => o.attempts > 1).length} | ` +
      `rejections by 2nd process ${bySecond} | ${ms} ms | seed ${SEED}`,
  );
}

/** The invoice and refund races share their orders: 20 orders of 3–5 units of RACE-DOC, with taxed shipping. */
const DOC_STOCK = 1000;
const DOC_SHIPPING = { amount: 500, taxAmount: 50 };
const SHIPPING_TOTAL = DOC_SHIPPING.amount + DOC_SHIPPING.taxAmount;
/** An adjustment refund (money alone, no units): a quarter of the orders get some, competing with unit refunds. */
const ADJUSTMENT = 450;
const documentOrderTotal = (qty: number) => qty * UNIT_PRICE + LINE_TAX - LINE_DISCOUNT + SHIPPING_TOTAL;

interface DocumentOrders {
  orders: Placed[];
  units: number[];
}

/** Orders the invoice race invoiced in full; the refund race takes them (or makes its own when run alone). */
let paidInFull: DocumentOrders | null = null;

async function placeDocumentOrders(): Promise<DocumentOrders> {
  await h.put('/v1/inventory/items/RACE-DOC', { sources: { main: DOC_STOCK } });
  initialStock['RACE-DOC'] = { main: DOC_STOCK };
  const units = Array.from({ length: 20 }, (_, i) => 3 + (i % 3));
  const orders = await Promise.all(units.map((qty) => place(taxedOrder('RACE-DOC', qty, DOC_SHIPPING))));
  return { orders, units };
}

async function invoiceInFull(placed: DocumentOrders): Promise<DocumentOrders> {
  await Promise.all(placed.orders.map((o) => apply(`/v1/orders/${o.orderId}/invoices`, {})));
  return placed;
}

const ship = (o: Placed) => ({
  source: 'main',
  carrier: { code: 'dhl', title: 'DHL' },
  trackingNumber: 'RACE',
  items: [{ itemId: o.itemId, qty: 1 }],
});

// ---------------------------------------------------------------------------------------------------------------

describe(`races with two worker processes (${REQUESTS} requests per scenario, seed ${SEED})`, () => {
  it(
    'one-unit invoices over 20 orders of 3–5 units: exactly the ordered units are invoiced with gapless numbers and exact totals',
    async () => {
      const { orders, units } = await placeDocumentOrders();
      const invoicesBefore = await documentCount('invoices');

      const perOrder = spread(units.map((u) => u + 1), REQUESTS);
      const requests = shuffle(
        orders.flatMap((o, i) =>
          repeat({ orderId: o.orderId, path: `/v1/orders/${o.orderId}/invoices`, body: { items: [{ itemId: o.itemId, qty: 1 }] } }, perOrder[i]!),
        ),
      );
      const { outcomes, ms } = await burst(requests);

      // In each order, in acceptance order: the first u invoices succeed, every later one finds nothing to invoice.
      const groups = byOrder(outcomes);
      orders.forEach((o, i) => {
        const u = units[i]!;
        expect(groups.get(o.orderId)!.map(verdict)).toEqual([...repeat('succeeded', u), ...repeat('rejected:INVOICE_NOT_ALLOWED', perOrder[i]! - u)]);
      });

      // Shipping goes whole on each order's first invoice; every unit carries its exact share of tax and discount;
      // an order's invoice numbers rise in its acceptance order.
      const invoices = await documentsOf('invoices', outcomes);
      orders.forEach((o, i) => {
        const own = invoices.filter((r) => r.orderId === o.orderId);
        const expected = Array.from({ length: units[i]! }, (_, k) => unitTotal(units[i]!, k) + (k === 0 ? SHIPPING_TOTAL : 0));
        expect(own.map((r) => r.grandTotal)).toEqual(expected);
        expect(own.map((r) => r.number)).toEqual([...own.map((r) => r.number)].sort());
      });

      for (const [i, o] of orders.entries()) {
        const view = await readOrder(o.orderId);
        const grandTotal = documentOrderTotal(units[i]!);
        expect(view.totals).toMatchObject({ grandTotal, invoiced: grandTotal, paid: grandTotal, due: 0, refunded: 0, refundable: grandTotal });
        expect(view.items[0]).toMatchObject({ qtyInvoiced: units[i], qtyToInvoice: 0, qtyToShip: units[i] });
        expect(view.invoices).toHaveLength(units[i]!);
        expect(view.status).toBe('processing');
      }
      // Invoicing leaves stock alone: every unit is still reserved.
      expect((await h.get('/v1/inventory/items/RACE-DOC')).json()).toMatchObject({
        sources: [{ code: 'main', onHand: DOC_STOCK }],
        reserved: units.reduce((a, b) => a + b, 0),
      });

      const created = (await documentCount('invoices')) - invoicesBefore;
      await expectGapless('invoices', 'INV', invoicesBefore + created);
      const duplicated = created - outcomes.filter((o) => o.status === 'succeeded').length;
      expect(duplicated).toBe(0);
      figure('invoices', outcomes, duplicated, ms);
      paidInFull = { orders, units };
    },
    TEST_TIMEOUT,
  );

  it(
    'one-unit refunds over 20 paid orders, some with adjustment refunds competing for the money: never more than paid',
    async () => {
      const { orders, units } = paidInFull ?? (await invoiceInFull(await placeDocumentOrders()));
      const refundsBefore = await documentCount('refunds');

      // Every order gets one-unit refunds; every fourth also adjustment refunds (money alone) competing for the cap.
      const competing = (i: number) => i % 4 === 3;
      const perOrder = spread(units.map((u) => u + 1), REQUESTS);
      const requests = shuffle(
        orders.flatMap((o, i) =>
          Array.from({ length: perOrder[i]! }, (_, k): Request => ({
            orderId: o.orderId,
            path: `/v1/orders/${o.orderId}/refunds`,
            body:
              competing(i) && k % 3 === 2
                ? { adjustmentRefund: ADJUSTMENT, reason: 'goodwill' }
                : { items: [{ itemId: o.itemId, qty: 1 }] },
          })),
        ),
      );
      const { outcomes, ms } = await burst(requests);

      /**
       * Replays an order's refunds in acceptance order with the checks of SPEC §3.6: nothing left at all →
       * REFUND_NOT_ALLOWED; no unit left → INVALID_QUANTITY; over the money received less refunded →
       * REFUND_LIMIT_EXCEEDED. Returns each verdict and the grand total of each refund made.
       */
      const replay = (u: number, actions: Outcome[]) => {
        const paid = documentOrderTotal(u);
        let refundedUnits = 0;
        let refunded = 0;
        const totals: number[] = [];
        const verdicts = actions.map((a) => {
          const adjustment = Number(a.payload.adjustmentRefund ?? 0);
          if (refundedUnits === u && paid - refunded <= 0) return 'rejected:REFUND_NOT_ALLOWED';
          if (adjustment === 0 && refundedUnits === u) return 'rejected:INVALID_QUANTITY';
          const total = adjustment > 0 ? adjustment : unitTotal(u, refundedUnits);
          if (total > paid - refunded) return 'rejected:REFUND_LIMIT_EXCEEDED';
          if (adjustment === 0) refundedUnits += 1;
          refunded += total;
          totals.push(total);
          return 'succeeded';
        });
        return { verdicts, totals, refundedUnits, refunded };
      };

      const groups = byOrder(outcomes);
      const refunds = await documentsOf('refunds', outcomes);
      let refundedUnitsTotal = 0;
      for (const [i, o] of orders.entries()) {
        const u = units[i]!;
        const own = groups.get(o.orderId)!;
        const expected = replay(u, own);
        expect(own.map(verdict)).toEqual(expected.verdicts);
        if (!competing(i)) {
          // Units alone: the first u succeed; every later one asks for a unit no longer refundable (the invoiced
          // shipping is still refundable money, so the refusal is INVALID_QUANTITY rather than REFUND_NOT_ALLOWED).
          expect(expected.verdicts).toEqual([...repeat('succeeded', u), ...repeat('rejected:INVALID_QUANTITY', perOrder[i]! - u)]);
          for (const rejection of own.slice(u)) {
            expect(rejection.error!.details).toEqual({ items: [{ itemId: o.itemId, sku: 'RACE-DOC', requested: 1, available: 0 }] });
          }
        }
        for (const rejection of own.filter((a) => a.code === 'REFUND_LIMIT_EXCEEDED')) {
          expect(rejection.error!.details!.refundable).toBeLessThan(Number(rejection.error!.details!.grandTotal));
        }

        // Each refund carries exactly its unit's share of tax and discount (or the adjustment), in acceptance order,
        // and the order's refund numbers rise in that order.
        const documents = refunds.filter((r) => r.orderId === o.orderId);
        expect(documents.map((r) => r.grandTotal)).toEqual(expected.totals);
        expect(documents.map((r) => r.number)).toEqual([...documents.map((r) => r.number)].sort());

        const view = await readOrder(o.orderId);
        const paid = documentOrderTotal(u);
        expect(expected.refunded).toBeLessThanOrEqual(paid);
        expect(view.totals).toMatchObject({ invoiced: paid, paid, refunded: expected.refunded, refundable: paid - expected.refunded, due: 0 });
        expect(view.items[0]).toMatchObject({ qtyInvoiced: u, qtyRefunded: expected.refundedUnits, qtyToRefund: u - expected.refundedUnits });
        expect(view.status).toBe(expected.refundedUnits === u ? 'closed' : 'processing');
        refundedUnitsTotal += expected.refundedUnits;
      }
      // Refunded units were never shipped: their reservations are released and nothing went back on hand.
      expect((await h.get('/v1/inventory/items/RACE-DOC')).json()).toMatchObject({
        sources: [{ code: 'main', onHand: DOC_STOCK }],
        reserved: units.reduce((a, b) => a + b, 0) - refundedUnitsTotal,
      });

      const created = (await documentCount('refunds')) - refundsBefore;
      expect(refunds).toHaveLength(created);
      await expectGapless('refunds', 'RFD', refundsBefore + created);
      const duplicated = created - outcomes.filter((o) => o.status === 'succeeded').length;
      expect(duplicated).toBe(0);
      figure('refunds', outcomes, duplicated, ms);
    },
    TEST_TIMEOUT,
  );

  it(
    'one-unit shipments over 20 orders sharing a SKU counted lower than reserved: exactly the units on hand ship, stock ends at 0',
    async () => {
      const units = Array.from({ length: 20 }, (_, i) => 3 + (i % 3));
      const reserved = units.reduce((a, b) => a + b, 0);
      const onHand = FULL ? 61 : 37;
      await h.put('/v1/inventory/items/RACE-SHP', { sources: { main: reserved } });
      const orders = await Promise.all(units.map((qty) => place(taxedOrder('RACE-SHP', qty))));
      await h.put('/v1/inventory/items/RACE-SHP', { sources: { main: onHand } }); // stock counted lower than reserved
      const shipmentsBefore = await documentCount('shipments');

      const perOrder = spread(units.map((u) => u + 1), REQUESTS);
      const requests = shuffle(
        orders.flatMap((o, i) => repeat({ orderId: o.orderId, path: `/v1/orders/${o.orderId}/shipments`, body: ship(o) }, perOrder[i]!)),
      );
      const { outcomes, ms } = await burst(requests);

      // Stock only falls, so in each order (in acceptance order) a run of successes is followed by rejections only:
      // SHIPMENT_NOT_ALLOWED once the order has shipped all of its units, else INSUFFICIENT_STOCK seeing 0 on hand.
      const groups = byOrder(outcomes);
      const shippedPerOrder = orders.map((o, i) => {
        const own = groups.get(o.orderId)!;
        const k = own.filter((a) => a.status === 'succeeded').length;
        const rest = k === units[i] ? 'rejected:SHIPMENT_NOT_ALLOWED' : 'rejected:INSUFFICIENT_STOCK';
        expect(own.map(verdict)).toEqual([...repeat('succeeded', k), ...repeat(rest, perOrder[i]! - k)]);
        return k;
      });
      expect(shippedPerOrder.reduce((a, b) => a + b, 0)).toBe(onHand);
      for (const rejection of outcomes.filter((o) => o.code === 'INSUFFICIENT_STOCK')) {
        expect(rejection.error!.details).toEqual({ source: 'main', items: [{ sku: 'RACE-SHP', requested: 1, available: 0 }] });
      }

      for (const [i, o] of orders.entries()) {
        const view = await readOrder(o.orderId);
        expect(view.items[0]).toMatchObject({ qtyShipped: shippedPerOrder[i], qtyToShip: units[i]! - shippedPerOrder[i]! });
        expect(view.shipments).toHaveLength(shippedPerOrder[i]!);
      }
      expect((await h.get('/v1/inventory/items/RACE-SHP')).json()).toEqual({
        sku: 'RACE-SHP',
        sources: [{ code: 'main', onHand: 0, active: true }],
        reserved: reserved - onHand,
        salable: onHand - reserved,
      });

      const created = (await documentCount('shipments')) - shipmentsBefore;
      await expectGapless('shipments', 'SHP', shipmentsBefore + created);
      const duplicated = created - outcomes.filter((o) => o.status === 'succeeded').length;
      expect(duplicated).toBe(0);
      figure('shipments', outcomes, duplicated, ms);
    },
    TEST_TIMEOUT,
  );

  it(
    'cancels mixed with refunds on partly invoiced and shipped orders: each action ends as its acceptance order dictates',
    async () => {
      interface Profile {
        qty: number;
        invoiced: number;
        /** The invoice is pending (credit terms): it brought no money, so nothing can be refunded. */
        pending?: true;
        shipped: number;
        status: string;
      }
      const profiles: Profile[] = [
        { qty: 4, invoiced: 0, shipped: 0, status: 'canceled' }, // all canceled, nothing to refund
        { qty: 4, invoiced: 4, shipped: 0, status: 'closed' }, // nothing to cancel, all refunded
        { qty: 5, invoiced: 2, shipped: 0, status: 'closed' }, // 3 canceled, 2 refunded
        { qty: 5, invoiced: 3, shipped: 2, status: 'closed' }, // 2 canceled, 3 refunded (some from shipped units)
        { qty: 5, invoiced: 2, shipped: 3, status: 'processing' }, // 2 canceled, 2 refunded, 1 still to invoice
        { qty: 5, invoiced: 3, shipped: 5, status: 'processing' }, // nothing to cancel, 3 shipped units refunded
        { qty: 4, invoiced: 2, pending: true, shipped: 0, status: 'pending_payment' }, // 2 canceled, no money to refund
      ];
      const plan = Array.from({ length: 3 * profiles.length }, (_, i) => profiles[i % profiles.length]!);
      const stock = plan.reduce((sum, p) => sum + p.qty, 0);
      await h.put('/v1/inventory/items/RACE-MIX', { sources: { main: stock } });
      initialStock['RACE-MIX'] = { main: stock };
      const orders = await Promise.all(plan.map((p) => place(taxedOrder('RACE-MIX', p.qty))));
      await Promise.all(
        orders.map(async (o, i) => {
          const p = plan[i]!;
          const items = [{ itemId: o.itemId, qty: p.invoiced }];
          if (p.invoiced > 0) await apply(`/v1/orders/${o.orderId}/invoices`, p.pending ? { items, state: 'pending' } : { items });
          if (p.shipped > 0) await apply(`/v1/orders/${o.orderId}/shipments`, { ...ship(o), items: [{ itemId: o.itemId, qty: p.shipped }] });
        }),
      );
      const onHandBefore = stock - plan.reduce((sum, p) => sum + p.shipped, 0);
      const refundsBefore = await documentCount('refunds');

      // Each order gets at least two cancels and one refund more than it has invoiced; the rest are a random mix.
      const perOrder = spread(plan.map((p) => p.invoiced + 3), REQUESTS);
      const requests = shuffle(
        orders.flatMap((o, i) => {
          const p = plan[i]!;
          const kinds = [...repeat('cancel', 2), ...repeat('refund', p.invoiced + 1)];
          while (kinds.length < perOrder[i]!) kinds.push(rng() < 0.3 ? 'cancel' : 'refund');
          return kinds.map((kind): Request =>
            kind === 'cancel'
              ? { orderId: o.orderId, path: `/v1/orders/${o.orderId}/cancel`, body: { reason: 'race' }, key: 'storefront' }
              : { orderId: o.orderId, path: `/v1/orders/${o.orderId}/refunds`, body: { items: [{ itemId: o.itemId, qty: 1, returnToStock: true }] } },
          );
        }),
      );
      const { outcomes, ms } = await burst(requests);

      /**
       * Replays an order's actions in acceptance order with SPEC §3 rules: a cancel takes qtyToCancel (what was
       * neither invoiced nor shipped); a refund takes one invoiced unit, from units not yet shipped first, within
       * the money received (none on a pending invoice).
       */
      const replay = (p: Profile, actions: Outcome[]) => {
        let canceled = 0;
        let refunded = 0;
        let returned = 0;
        const verdicts = actions.map((a) => {
          if (a.type === 'order.cancel') {
            const qty = p.qty - canceled - Math.max(p.invoiced, p.shipped);
            if (qty === 0) return 'rejected:CANCEL_NOT_ALLOWED';
            canceled += qty;
            return 'succeeded';
          }
          if (refunded === p.invoiced) return 'rejected:REFUND_NOT_ALLOWED';
          if (p.pending) return 'rejected:REFUND_LIMIT_EXCEEDED';
          if (Math.max(0, p.qty - p.shipped - refunded - canceled) === 0) returned += 1;
          refunded += 1;
          return 'succeeded';
        });
        return { verdicts, canceled, refunded, returned };
      };

      const groups = byOrder(outcomes);
      const returnedFromShipped = await h.sql<{ orderId: string; qty: number }>(
        `select l.order_id as "orderId", sum((moved->>'qty')::int)::int as qty
         from refund_items ri join order_lines l on l.id = ri.line_id cross join jsonb_array_elements(ri.from_shipped) moved
         where ri.return_to_stock and l.sku = 'RACE-MIX' group by l.order_id`,
      );
      let returnedTotal = 0;
      let reservedTotal = 0;
      for (const [i, o] of orders.entries()) {
        const p = plan[i]!;
        const expected = replay(p, groups.get(o.orderId)!);
        expect(groups.get(o.orderId)!.map(verdict)).toEqual(expected.verdicts);
        // The burst held enough of each kind for the outcome to be the same in any acceptance order.
        expect(expected.canceled).toBe(p.qty - Math.max(p.invoiced, p.shipped));
        expect(expected.refunded).toBe(p.pending ? 0 : p.invoiced);

        const view = await readOrder(o.orderId);
        const toShip = Math.max(0, p.qty - p.shipped - expected.refunded - expected.canceled);
        expect(view.items[0]).toMatchObject({
          qtyOrdered: p.qty,
          qtyInvoiced: p.invoiced,
          qtyShipped: p.shipped,
          qtyRefunded: expected.refunded,
          qtyCanceled: expected.canceled,
          qtyToShip: toShip,
          qtyToRefund: p.invoiced - expected.refunded,
          qtyToCancel: 0,
        });
        const sum = (n: number) => Array.from({ length: n }, (_, k) => unitTotal(p.qty, k)).reduce((a, b) => a + b, 0);
        const invoiced = sum(p.invoiced);
        const paid = p.pending ? 0 : invoiced;
        const refunded = sum(expected.refunded);
        expect(view.totals).toMatchObject({ invoiced, paid, due: invoiced - paid, refunded, refundable: paid - refunded });
        expect(view.refunds.map((r: { grandTotal: number }) => r.grandTotal)).toEqual(
          Array.from({ length: expected.refunded }, (_, k) => unitTotal(p.qty, k)),
        );
        expect(view.status).toBe(p.status);
        expect(returnedFromShipped.find((r) => r.orderId === o.orderId)?.qty ?? 0).toBe(expected.returned);
        returnedTotal += expected.returned;
        reservedTotal += toShip;
      }
      // Shipped units refunded with returnToStock went back on hand; only what is still to ship stays reserved.
      expect((await h.get('/v1/inventory/items/RACE-MIX')).json()).toMatchObject({
        sources: [{ code: 'main', onHand: onHandBefore + returnedTotal }],
        reserved: reservedTotal,
      });

      const created = (await documentCount('refunds')) - refundsBefore;
      await expectGapless('refunds', 'RFD', refundsBefore + created);
      const succeeded = outcomes.filter((o) => o.status === 'succeeded');
      const [cancelEvents] = await h.sql<{ n: number }>(
        `select count(*)::int as n from order_events where type = 'order.cancel' and action_id in ${IDS}`,
        [JSON.stringify(outcomes.map((o) => o.id))],
      );
      const applied = (type: string) => succeeded.filter((o) => o.type === type).length;
      const duplicated = created - applied('refund.create') + (cancelEvents!.n - applied('order.cancel'));
      expect(duplicated).toBe(0);
      figure('cancels+refunds', outcomes, duplicated, ms);
    },
    TEST_TIMEOUT,
  );

  it(
    'one-unit placements competing for the last units of a SKU: exactly the units on hand are sold, the rest OUT_OF_STOCK',
    async () => {
      const last = FULL ? 50 : 20;
      await h.put('/v1/inventory/items/RACE-LAST', { sources: { main: last } });
      initialStock['RACE-LAST'] = { main: last };
      const ordersBefore = await h.sql<{ n: number; max: string | null }>('select count(*)::int as n, max(number::bigint)::text as max from orders');

      const requests = Array.from({ length: REQUESTS }, (_, i): Request => ({
        path: '/v1/orders',
        body: { ...taxedOrder('RACE-LAST', 1), externalId: `race-${i}` },
        key: 'storefront',
      }));
      const { outcomes, ms } = await burst(requests);

      const succeeded = outcomes.filter((o) => o.status === 'succeeded');
      expect(succeeded).toHaveLength(last);
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.code)).toEqual(repeat('OUT_OF_STOCK', REQUESTS - last));
      for (const rejection of outcomes.filter((o) => o.status === 'rejected')) {
        expect(rejection.error!.details).toEqual({ skus: [{ sku: 'RACE-LAST', requested: 1, salable: 0 }] });
      }

      // Exactly one order per success, none for a rejection, numbered on from the last one without a gap.
      const created = await h.sql<{ id: string; number: string }>(
        `select id, number from orders where id in ${IDS} order by number::bigint`,
        [JSON.stringify(outcomes.map((o) => o.orderId))],
      );
      expect(created.map((c) => c.id).sort()).toEqual(succeeded.map((o) => o.orderId).sort());
      const first = Number(ordersBefore[0]!.max) + 1;
      expect(created.map((c) => Number(c.number))).toEqual(Array.from({ length: last }, (_, i) => first + i));
      expect(await documentCount('orders')).toBe(ordersBefore[0]!.n + last);

      const reservations = await h.sql<{ n: number; qty: number }>(
        `select count(*)::int as n, coalesce(sum(qty), 0)::int as qty from reservations where sku = 'RACE-LAST'`,
      );
      expect(reservations).toEqual([{ n: last, qty: last }]);
      expect((await h.get('/v1/inventory/items/RACE-LAST')).json()).toEqual({
        sku: 'RACE-LAST',
        sources: [{ code: 'main', onHand: last, active: true }],
        reserved: last,
        salable: 0,
      });

      const duplicated = created.length - succeeded.length;
      expect(duplicated).toBe(0);
      figure('placements', outcomes, duplicated, ms);
    },
    TEST_TIMEOUT,
  );
});
