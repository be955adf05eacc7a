import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTime } from '../../src/console/format.js';
import { orderBody } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/wait.js';

/**
 * SPEC §3.10: an operator works in the console as in a browser, against the whole of orderflow (API, workers,
 * PostgreSQL, Redis), and every figure the page shows is checked against the API too.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const ZONE = 'Europe/Paris';

let h: Harness;
let browser: Browser;
let base: string;

beforeAll(async () => {
  h = await startHarness({ env: { JOB_ATTEMPTS: '1' } });
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse', contactEmail: 'wh@example.com' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/sources/east', { name: 'East depot', active: false })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 100 } })).statusCode).toBe(200);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Places the §4.1 order (2 T-shirts at 19.99 with 4.00 tax, an e-book at 9.99, shipping 5.00 + 1.00 tax). */
async function place(externalId: string): Promise<{ id: string; number: string; items: { id: string; sku: string }[] }> {
  const res = await h.post('/v1/orders', orderBody({ externalId }), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
  expect(res.statusCode, res.body).toBe(201);
  return (await h.get(`/v1/orders/${res.json().orderId}`)).json();
}

const newContext = () => browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: ZONE });

async function signIn(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/console`);
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await page.getByLabel('API key').fill(KEYS.admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/console/orders`);
  return page;
}

/** An operator signed in for the tests of one describe block, in a browser context of their own. */
function signedInOperator(): () => Page {
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    context = await newContext();
    page = await signIn(context);
  });
  afterAll(() => context?.close());
  return () => page!;
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/console-${name}.png`, fullPage: true });

/** The texts of a table row's cells, found by the text of its first cell. */
async function rowCells(page: Page, table: string, first: string): Promise<string[]> {
  const rows = await page.locator(`${table} tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())),
  );
  const matching = rows.filter((cells) => cells[0] === first);
  expect(matching, `one row ${first} in ${table}`).toHaveLength(1);
  return matching[0]!;
}

/** A figure of the totals card. */
const total = (page: Page, label: string) => page.locator(`dl.totals dt:text-is("${label}") + dd`).textContent();

const count = async (table: string, orderId: string) =>
  Number((await h.sql<{ n: string }>(`select count(*) as n from ${table} where order_id = ?`, [orderId]))[0]!.n);

async function openForm(page: Page, opener: string | RegExp) {
  await page.getByRole('button', { name: opener, exact: true }).click();
  await page.locator('#open-form').waitFor();
}

async function submit(page: Page, label: string) {
  await Promise.all([page.waitForURL(/\?action=/), page.getByRole('button', { name: label, exact: true }).click()]);
}

describe('an operator takes an order from placement to refund', () => {
  let context: BrowserContext;
  let page: Page;
  let order: Awaited<ReturnType<typeof place>>;

  beforeAll(async () => {
    order = await place('web-1001');
    await place('web-1002'); // another order the search must leave out
    context = await newContext();
  });
  afterAll(() => context?.close());

  it('signs in with the admin key; the session cookie is HttpOnly, SameSite=Strict, on /console', async () => {
    const login = await context.newPage();
    await login.goto(`${base}/console/login`);
    await shot(login, 'login');
    await login.close();
    page = await signIn(context);
    const cookies = await context.cookies();
    expect(cookies.map(({ name, path, httpOnly, sameSite, secure }) => ({ name, path, httpOnly, sameSite, secure }))).toEqual([
      { name: 'orderflow_console', path: '/console', httpOnly: true, sameSite: 'Strict', secure: false },
    ]);
    expect(cookies[0]!.value).not.toContain(KEYS.admin);
    await expect(page.locator('.who').textContent()).resolves.toContain(`Signed in as ops · times in ${ZONE}`);
  });

  it('finds the order by its number', async () => {
    await page.getByLabel('Number, e-mail or external id').fill(order.number);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=100000001/);
    const rows = page.locator('table.orders tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    expect(await rowCells(page, 'table.orders', order.number)).toEqual([
      '100000001',
      formatTime((await h.get(`/v1/orders/${order.id}`)).json().createdAt, ZONE),
      'ada@example.com',
      'web-1001',
      'Pending',
      'USD 59.97',
    ]);
    await shot(page, 'orders');
    await page.getByRole('link', { name: order.number, exact: true }).click();
    await page.waitForURL(`${base}/console/orders/${order.id}`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Order 100000001 Pending');
    expect(await total(page, 'Grand total')).toBe('USD 59.97');
    await shot(page, 'order-placed');
  });

  it('offers only the actions the figures allow, pre-filled with what is still to do', async () => {
    const offered = await page.locator('.toolbar button').allTextContents();
    expect(offered).toEqual(['Invoice…', 'Ship…', 'Cancel…', 'Hold…', 'Comment…']); // nothing paid: no refund
    await openForm(page, 'Invoice…');
    await expect(page.getByLabel('Quantity of TSHIRT-M to invoice').inputValue()).resolves.toBe('2');
    await expect(page.getByLabel('Quantity of EBOOK-1 to invoice').inputValue()).resolves.toBe('1');
    await expect(page.getByLabel('State').inputValue()).resolves.toBe('paid');
    await shot(page, 'invoice-form');
  });

  it('invoices one T-shirt and the e-book', async () => {
    await page.getByLabel('Quantity of TSHIRT-M to invoice').fill('1');
    await submit(page, 'Create invoice');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Invoice INV-000001.');
    // 19.99 + 2.00 tax (half of 4.00) + 9.99 + shipping 5.00 + 1.00 shipping tax
    expect(await total(page, 'Invoiced')).toBe('USD 37.98');
    expect(await total(page, 'Paid')).toBe('USD 37.98');
    expect(await total(page, 'Refundable')).toBe('USD 37.98');
    expect(await rowCells(page, 'table.lines', 'TSHIRT-M')).toEqual([
      'TSHIRT-M', 'T-shirt M', 'USD 19.99', '2', '1', '0', '0', '0', '1', '2', '1', '1', '0', 'USD 4.00', 'USD 0.00', 'USD 39.98',
    ]);
    expect(await rowCells(page, 'section table', 'INV-000001')).toEqual([
      'INV-000001', 'Paid', '1 × TSHIRT-M, 1 × EBOOK-1', 'USD 37.98', 'USD 37.98', '—', expect.any(String), 'PDF of INV-000001', '',
    ]);
    const api = (await h.get(`/v1/orders/${order.id}`)).json();
    expect(api.totals).toMatchObject({ invoiced: 3798, paid: 3798, refundable: 3798, due: 0 });
    expect(api.items[0]).toMatchObject({ sku: 'TSHIRT-M', qtyInvoiced: 1, qtyToInvoice: 1 });
  });

  it('ships both T-shirts from the main warehouse and records the delivery', async () => {
    await openForm(page, 'Ship…');
    await expect(page.getByLabel('Quantity of TSHIRT-M to ship').inputValue()).resolves.toBe('2');
    await expect(page.getByLabel('Quantity of EBOOK-1 to ship').count()).resolves.toBe(0); // not stockable
    await expect(page.getByLabel('From source').inputValue()).resolves.toBe('main');
    await page.getByLabel('Carrier code').fill('ups');
    await page.getByLabel('Carrier name').fill('UPS');
    await page.getByLabel('Tracking number').fill('1Z999');
    await submit(page, 'Create shipment');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Shipment SHP-000001.');

    await openForm(page, 'Record delivery of SHP-000001…');
    await submit(page, 'Record delivery');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Delivery SHP-000001.');
    const shipment = (await h.get(`/v1/shipments/${(await h.get(`/v1/orders/${order.id}`)).json().shipments[0].id}`)).json();
    expect(shipment).toMatchObject({ number: 'SHP-000001', state: 'delivered', source: 'main', trackingNumber: '1Z999', items: [{ sku: 'TSHIRT-M', qty: 2 }] });
    expect(await rowCells(page, 'section table', 'SHP-000001')).toEqual([
      'SHP-000001', 'Delivered', '2 × TSHIRT-M', 'main', 'UPS', '1Z999',
      formatTime(shipment.createdAt, ZONE), formatTime(shipment.deliveredAt, ZONE), '',
    ]);
  });

  it('refunds one T-shirt back into stock', async () => {
    await openForm(page, 'Refund…');
    await expect(page.getByLabel('Quantity of TSHIRT-M to refund').inputValue()).resolves.toBe('0');
    await page.getByLabel('Quantity of TSHIRT-M to refund').fill('1');
    await page.getByLabel('Put TSHIRT-M back in stock').check();
    await page.getByLabel('Reason').first().fill('did not fit');
    await submit(page, 'Create refund');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Refund RFD-000001.');
    expect(await total(page, 'Refunded')).toBe('USD 21.99'); // 19.99 + 2.00 tax
    expect(await total(page, 'Refundable')).toBe('USD 15.99');
    expect(await rowCells(page, 'table.lines', 'TSHIRT-M')).toEqual([
      'TSHIRT-M', 'T-shirt M', 'USD 19.99', '2', '1', '2', '1', '0', '1', '0', '0', '0', '1', 'USD 4.00', 'USD 0.00', 'USD 39.98',
    ]);
    await shot(page, 'order-refunded');

    const api = (await h.get(`/v1/orders/${order.id}`)).json();
    expect(api.totals).toMatchObject({ invoiced: 3798, paid: 3798, refunded: 2199, refundable: 1599 });
    const refund = (await h.get(`/v1/refunds/${api.refunds[0].id}`)).json();
    expect(refund).toMatchObject({ grandTotal: 2199, reason: 'did not fit', items: [{ sku: 'TSHIRT-M', qty: 1, returnToStock: true }] });
    // 100 on hand, 2 shipped, 1 back; the other order still holds 2
    expect((await h.get('/v1/inventory/items/TSHIRT-M')).json()).toMatchObject({ sources: [{ code: 'main', onHand: 99 }], reserved: 2, salable: 97 });
  });

  it('shows the history as a timeline with its actors, in the operator’s zone', async () => {
    const events = page.locator('ol.timeline li');
    const texts = (await events.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
    expect(texts.find((text) => text.includes('Placed'))).toContain('by shop');
    expect(texts.find((text) => text.includes('Refunded'))).toContain('by ops');
    expect(texts.some((text) => text.includes('Status changed by ops') && text.includes('Pending → Processing'))).toBe(true);
    const placed = (await h.get(`/v1/orders/${order.id}/history`)).json().items[0];
    await expect(page.locator(`ol.timeline time[datetime="${placed.createdAt}"]`).first().textContent()).resolves.toBe(formatTime(placed.createdAt, ZONE));
  });

  it('serves the documents as PDFs', async () => {
    const link = page.getByRole('link', { name: 'PDF of INV-000001' });
    const href = await link.getAttribute('href');
    const pdf = await eventually('the invoice PDF', async () => {
      const res = await page.request.get(`${base}${href}`);
      return res.status() === 200 && res;
    });
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('reads well on a tablet', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.reload();
    await shot(page, 'order-tablet');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0); // wide tables scroll inside their box, the page does not
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows the stock per SKU and source on the inventory page', async () => {
    await page.getByRole('link', { name: 'Inventory' }).click();
    await page.waitForURL(`${base}/console/inventory`);
    expect(await rowCells(page, 'table', 'main')).toEqual(['main', 'Main warehouse', 'wh@example.com', 'yes']);
    expect(await rowCells(page, 'table', 'east')).toEqual(['east', 'East depot', '—', 'no']);
    expect(await rowCells(page, 'table.stock', 'TSHIRT-M')).toEqual(['TSHIRT-M', '—', '99', '2', '97']);
    await shot(page, 'inventory');
  });
});

describe('a customer return, from request to credit memo', () => {
  const operator = signedInOperator();

  it('records the request, approves it, receives one of the two units, and refunds what arrived', async () => {
    const page = operator();
    const order = await place('web-return');
    expect((await h.post(`/v1/orders/${order.id}/invoices`, {}, { prefer: 'wait=10' })).statusCode).toBe(201);
    const shipment = { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1ZRET' };
    expect((await h.post(`/v1/orders/${order.id}/shipments`, shipment, { prefer: 'wait=10' })).statusCode).toBe(201);
    const [before] = (await h.get('/v1/inventory/items/TSHIRT-M')).json().sources;
    await page.goto(`${base}/console/orders/${order.id}`);

    await openForm(page, 'Return…');
    await expect(page.getByLabel('Quantity of EBOOK-1 to send back').count()).resolves.toBe(0); // never shipped
    await page.getByLabel('Quantity of TSHIRT-M to send back').fill('2');
    await page.getByLabel('Reason').selectOption('did_not_fit');
    await submit(page, 'Record return request');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Return request RMA-000001.');
    await expect(page.getByRole('button', { name: 'Receive RMA-000001…' }).count()).resolves.toBe(0); // not approved yet

    await openForm(page, 'Approve RMA-000001…');
    await page.getByLabel('Instructions for the customer').fill('Use the original box.');
    await submit(page, 'Approve return');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Return approval RMA-000001.');

    await openForm(page, 'Receive RMA-000001…');
    await expect(page.getByLabel('Units of TSHIRT-M that arrived').inputValue()).resolves.toBe('2');
    await expect(page.getByLabel('Received at source').inputValue()).resolves.toBe('main');
    await page.getByLabel('Units of TSHIRT-M that arrived').fill('1');
    await submit(page, 'Record receipt');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Applied: Return receipt RMA-000001.');
    expect(await rowCells(page, 'section table', 'RMA-000001')).toEqual([
      'RMA-000001', 'Received (Use the original box.)', '2 × TSHIRT-M', '1 × TSHIRT-M', '—', 'main',
      formatTime((await h.get(`/v1/returns/${(await h.get(`/v1/orders/${order.id}`)).json().returns[0].id}`)).json().createdAt, ZONE),
      'Return slip RMA-000001', 'Refund RMA-000001…',
    ]);

    await openForm(page, 'Refund RMA-000001…');
    await page.getByLabel('Fee kept back (USD)').fill('2.00');
    await submit(page, 'Create credit memo');
    const applied = (await page.getByRole('status').first().textContent()) ?? '';
    expect(applied).toMatch(/Applied: Return refund (RMA-000001, RFD-\d{6}|RFD-\d{6}, RMA-000001)\./);
    await shot(page, 'order-return');

    const api = (await h.get(`/v1/orders/${order.id}`)).json();
    const ret = (await h.get(`/v1/returns/${api.returns[0].id}`)).json();
    expect(ret).toMatchObject({
      state: 'refunded',
      source: 'main',
      moves: [],
      items: [{ sku: 'TSHIRT-M', qty: 2, reason: 'did_not_fit', qtyResellable: 1, qtyDamaged: 0 }],
    });
    const refund = (await h.get(`/v1/refunds/${ret.refundId}`)).json();
    // One T-shirt (19.99 + 2.00 tax) less the 2.00 fee; receiving put it back on hand, the credit memo does not again.
    expect(refund).toMatchObject({ grandTotal: 1999, adjustmentFee: 200, items: [{ sku: 'TSHIRT-M', qty: 1, returnToStock: false }] });
    expect((await h.get('/v1/inventory/items/TSHIRT-M')).json().sources).toEqual([{ ...before, onHand: before.onHand + 1 }]);
  });
});

describe('outcomes an operator must see', () => {
  const operator = signedInOperator();

  it('shows a refused action with its code and message, keeping what was typed', async () => {
    const page = operator();
    const order = await place('web-refused');
    await h.post(`/v1/orders/${order.id}/invoices`, {}, { prefer: 'wait=10' });
    await page.goto(`${base}/console/orders/${order.id}`);
    await openForm(page, 'Refund…');
    await page.getByLabel('Extra refund (USD)').fill('999.00');
    const [response] = await Promise.all([page.waitForResponse((res) => res.request().method() === 'POST'), page.getByRole('button', { name: 'Create refund' }).click()]);
    expect(response.status()).toBe(422);
    const alert = page.getByRole('alert');
    await expect(alert.locator('code').textContent()).resolves.toBe('REFUND_LIMIT_EXCEEDED');
    const [rejected] = await h.sql<{ error: { message: string } }>(`select error from actions where order_id = ? and status = 'rejected'`, [order.id]);
    await expect(alert.textContent()).resolves.toContain(rejected!.error.message);
    await expect(page.locator('#open-form .details').textContent()).resolves.toBe(
      'The figures behind it: grand total: USD 999.00 · refundable: USD 59.97',
    );
    await expect(page.getByLabel('Extra refund (USD)').inputValue()).resolves.toBe('999.00');
    expect(await count('refunds', order.id)).toBe(0);
    await shot(page, 'refused');
  });

  it('refuses a malformed amount before asking the API, and records nothing', async () => {
    const page = operator();
    const order = await place('web-malformed');
    await h.post(`/v1/orders/${order.id}/invoices`, {}, { prefer: 'wait=10' });
    await page.goto(`${base}/console/orders/${order.id}?form=refund`);
    const actions = await h.sql(`select id from actions where order_id = ?`, [order.id]);
    await page.getByLabel('Shipping to refund (USD)').fill('5,00');
    await page.getByRole('button', { name: 'Create refund' }).click();
    await expect(page.locator('.field-error').textContent()).resolves.toBe('Type an amount like USD 19.99, with a dot before the decimals.');
    expect(await h.sql(`select id from actions where order_id = ?`, [order.id])).toEqual(actions);
  });

  it('offers Unhold instead of Invoice while the order is on hold', async () => {
    const page = operator();
    const order = await place('web-hold');
    await page.goto(`${base}/console/orders/${order.id}`);
    await openForm(page, 'Hold…');
    await page.getByLabel('Reason').fill('fraud check');
    await submit(page, 'Hold order');
    await expect(page.locator('h1').textContent()).resolves.toBe(`Order ${order.number} On hold`);
    expect(await page.locator('.toolbar button').allTextContents()).toEqual(['Unhold…', 'Comment…']);
    await openForm(page, 'Unhold…');
    await submit(page, 'Unhold order');
    await expect(page.locator('h1').textContent()).resolves.toBe(`Order ${order.number} Pending`);
    expect(await page.locator('.toolbar button').allTextContents()).toEqual(['Invoice…', 'Ship…', 'Cancel…', 'Hold…', 'Comment…']);
    expect((await h.get(`/v1/orders/${order.id}`)).json().status).toBe('pending');
  });

  it('says an action is still being applied, and the page catches up by itself', async () => {
    const page = operator();
    const order = await place('web-slow');
    await page.goto(`${base}/console/orders/${order.id}?form=comment`);
    await page.getByLabel('Comment', { exact: true }).fill('Left at reception');
    await h.stopWorkers();
    try {
      await submit(page, 'Add comment');
      await expect(page.getByRole('status').first().textContent()).resolves.toContain('Still being applied: Comment.');
      await expect(page.locator('meta[http-equiv="refresh"]').getAttribute('content')).resolves.toBe('2');
    } finally {
      await h.startWorkers();
    }
    await page.locator('.notice-ok').filter({ hasText: 'Applied: Comment.' }).waitFor({ timeout: 15_000 });
    await expect(page.locator('ol.timeline').textContent()).resolves.toContain('“Left at reception”');
    await expect(page.locator('meta[http-equiv="refresh"]').count()).resolves.toBe(0);
  });

  it('lists failed actions with a link to their job in bull-board', async () => {
    const page = operator();
    const order = await place('web-failing');
    await h.sql(`create function refuse_shipments() returns trigger language plpgsql as $$
      begin raise exception 'shipments table is read-only (simulated)'; end $$`);
    await h.sql('create trigger refuse_shipments before insert on shipments for each row execute function refuse_shipments()');
    try {
      const accepted = await h.post(`/v1/orders/${order.id}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z1' });
      const actionId: string = accepted.json().action.id;
      await eventually('the shipment to fail', async () => (await h.get(`/v1/actions/${actionId}`)).json().status === 'failed');
      await page.getByRole('link', { name: 'Failed actions' }).click();
      await page.waitForURL(`${base}/console/failed-actions`);
      const row = page.locator('table.failed tbody tr').filter({ hasText: actionId });
      const link = row.getByRole('link', { name: 'Open the job in bull-board' });
      await expect(link.getAttribute('href')).resolves.toBe(`/admin/queues/queue/shipments/${actionId}`);
      const cells = await rowCells(page, 'table.failed', formatTime((await h.get(`/v1/actions/${actionId}`)).json().createdAt, ZONE));
      expect(cells.slice(1, 3)).toEqual([`Shipment shipment.create${actionId}`, order.number]);
      expect(cells[3]).toBe('INFRASTRUCTURE_FAILURE shipments table is read-only (simulated)'); // the database's words, not the statement
      expect(cells[4]).toBe('1');
      await shot(page, 'failed-actions');
      // The order page says what holds its later actions back.
      await page.getByRole('link', { name: order.number }).click();
      await expect(page.getByRole('status').first().textContent()).resolves.toContain('later actions of this order wait for it');
    } finally {
      await h.sql('drop trigger refuse_shipments on shipments');
    }
  });
});

describe('payments, cancellation and the list filters', () => {
  const operator = signedInOperator();

  it('registers payments on a pending invoice in yen, by keyboard, the amount typed in major units', async () => {
    const page = operator();
    // The §4.1 order in JPY: the same integers are yen, which have no minor unit.
    const res = await h.post('/v1/orders', orderBody({ externalId: 'web-yen', currency: 'JPY' }), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
    expect(res.statusCode, res.body).toBe(201);
    const orderId: string = res.json().orderId;
    await page.goto(`${base}/console/orders/${orderId}`);
    expect(await total(page, 'Grand total')).toBe('JPY 5,997');

    await page.getByRole('button', { name: 'Invoice…' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#open-form').waitFor();
    // The opened form takes the focus.
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Quantity of TSHIRT-M to invoice', null, { timeout: 5000 });
    await page.getByLabel('State').selectOption('pending');
    await page.getByLabel('Due in days').fill('14');
    await page.getByLabel('Due in days').press('Enter');
    await page.waitForURL(/\?action=/);
    await expect(page.locator('h1').textContent()).resolves.toMatch(/Pending payment$/);
    expect(await total(page, 'Due')).toBe('JPY 5,997');

    await openForm(page, /^Register payment on INV-\d+…$/);
    await expect(page.getByLabel('Amount (JPY)').inputValue()).resolves.toBe('5997');
    await page.getByLabel('Amount (JPY)').fill('2000.5');
    await page.getByRole('button', { name: 'Register payment', exact: true }).click();
    await expect(page.locator('#open-form .field-error').textContent()).resolves.toBe('JPY has no decimals.');
    await page.getByLabel('Amount (JPY)').fill('2000');
    await page.getByLabel('Reference').fill('BT-778');
    await submit(page, 'Register payment');
    expect(await total(page, 'Paid')).toBe('JPY 2,000');
    expect(await total(page, 'Due')).toBe('JPY 3,997');

    await openForm(page, /^Register payment on INV-\d+…$/);
    await expect(page.getByLabel('Amount (JPY)').inputValue()).resolves.toBe('3997'); // what is still due
    await submit(page, 'Register payment');
    await expect(page.locator('h1').textContent()).resolves.toMatch(/Processing$/);
    await expect(page.getByRole('button', { name: /^Register payment on/ }).count()).resolves.toBe(0);
    const payments = await h.sql<{ amount: number; reference: string | null }>(
      'select amount::int as amount, reference from payments where order_id = ? order by created_at',
      [orderId],
    );
    expect(payments).toEqual([{ amount: 2000, reference: 'BT-778' }, { amount: 3997, reference: null }]);
  });

  it('cancels what is neither invoiced nor shipped', async () => {
    const page = operator();
    const order = await place('web-cancel');
    await page.goto(`${base}/console/orders/${order.id}?form=cancel`);
    expect(await rowCells(page, '#open-form table', 'TSHIRT-M')).toEqual(['TSHIRT-M', 'T-shirt M', '2']);
    await page.getByLabel('Reason').fill('customer asked');
    await submit(page, 'Cancel order');
    await expect(page.locator('h1').textContent()).resolves.toBe(`Order ${order.number} Canceled`);
    expect(await page.locator('.toolbar button').allTextContents()).toEqual(['Comment…']);
    expect((await h.get(`/v1/orders/${order.id}`)).json().items.map((line: { qtyCanceled: number }) => line.qtyCanceled)).toEqual([2, 1]);
  });

  it('filters the list by status and by the day placed in the operator’s zone', async () => {
    const page = operator();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());
    await page.goto(`${base}/console/orders?status=canceled`);
    const numbers = await page.locator('table.orders tbody th').allTextContents();
    expect(numbers.length).toBeGreaterThan(0);
    const canceled = (await h.get('/v1/orders?status=canceled')).json().items.map((o: { number: string }) => o.number);
    expect(numbers).toEqual(canceled);
    await page.getByLabel('Placed from').fill(today);
    await page.getByLabel('Placed until').fill(today);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/from=/);
    await expect(page.locator('table.orders tbody th').allTextContents()).resolves.toEqual(canceled);
    await page.goto(`${base}/console/orders?from=2020-01-01&to=2020-01-31`);
    await expect(page.locator('.empty').textContent()).resolves.toBe('No order matches.');
  });
});

describe('a form submitted twice applies once', () => {
  it('replaying the same form (same idempotency key) records one invoice', async () => {
    const context = await newContext();
    const page = await signIn(context);
    const order = await place('web-replay');
    await page.goto(`${base}/console/orders/${order.id}?form=invoice`);
    const form = page.locator('#open-form form');
    const action = `${base}${await form.getAttribute('action')}`;
    const fields = await form.evaluate((element) => Object.fromEntries(new FormData(element as HTMLFormElement) as unknown as Iterable<[string, string]>));
    expect(Object.keys(fields).sort()).toEqual(['csrf', 'idempotencyKey', `qty.${order.items[0]!.id}`, `qty.${order.items[1]!.id}`, 'dueInDays', 'state'].sort());
    const first = await page.request.post(action, { form: fields, maxRedirects: 0 });
    const second = await page.request.post(action, { form: fields, maxRedirects: 0 });
    expect([first.status(), second.status()]).toEqual([303, 303]);
    expect(second.headers().location).toBe(first.headers().location);
    expect(await count('invoices', order.id)).toBe(1);
    expect(await h.sql(`select count(*)::int as n from actions where order_id = ? and type = 'invoice.create'`, [order.id])).toEqual([{ n: 1 }]);
    await context.close();
  });

  it('a real double click records one invoice', async () => {
    const context = await newContext();
    const page = await signIn(context);
    const order = await place('web-double');
    await page.goto(`${base}/console/orders/${order.id}?form=invoice`);
    await page.getByRole('button', { name: 'Create invoice' }).dblclick();
    await page.waitForURL(/\?action=/);
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('Applied: Invoice');
    expect(await count('invoices', order.id)).toBe(1);
    expect(await h.sql(`select count(*)::int as n from actions where order_id = ? and type = 'invoice.create'`, [order.id])).toEqual([{ n: 1 }]);
    await context.close();
  });
});

describe('access to the console', () => {
  it('refuses a storefront key at sign-in and sets no cookie', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('API key').fill(KEYS.storefront);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That is a storefront key: the console needs an admin key.');
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await context.cookies()).toEqual([]);
    await page.getByLabel('API key').fill('not-a-key-of-this-deployment');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That is not an API key of this deployment.');
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('redirects every page and form to the sign-in without a valid session', async () => {
    const context = await newContext();
    const order = await place('web-nosession');
    for (const path of ['/console', '/console/orders', `/console/orders/${order.id}`, '/console/inventory', '/console/failed-actions']) {
      const res = await context.request.get(`${base}${path}`, { maxRedirects: 0 });
      expect([path, res.status(), res.headers().location]).toEqual([path, 303, '/console/login']);
    }
    const post = await context.request.post(`${base}/console/orders/${order.id}/cancel`, { form: { reason: 'x' }, maxRedirects: 0 });
    expect([post.status(), post.headers().location]).toEqual([303, '/console/login']);
    const forged = await context.request.get(`${base}/console/orders`, {
      maxRedirects: 0,
      headers: { cookie: `orderflow_console=${Buffer.from('{"k":"ops","e":9999999999,"z":"UTC"}').toString('base64url')}.forged` },
    });
    expect(forged.status()).toBe(303);
    expect((await h.get(`/v1/orders/${order.id}`)).json().status).toBe('pending');
    await context.close();
  });

  it('refuses a form posted without the CSRF token, or with another, and writes nothing', async () => {
    const context = await newContext();
    const page = await signIn(context);
    const order = await place('web-csrf');
    const before = await h.sql(`select id from actions where order_id = ?`, [order.id]);
    const url = `${base}/console/orders/${order.id}/cancel`;
    const missing = await page.request.post(url, { form: { idempotencyKey: newKey(), reason: 'forged' }, maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    expect(await missing.text()).toContain('CSRF_TOKEN_INVALID');
    const wrong = await page.request.post(url, { form: { csrf: 'A'.repeat(43), idempotencyKey: newKey(), reason: 'forged' }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect(await h.sql(`select id from actions where order_id = ?`, [order.id])).toEqual(before);
    expect((await h.get(`/v1/orders/${order.id}`)).json().status).toBe('pending');
    await context.close();
  });

  it('signs out: the session ends and pages lead to the sign-in again', async () => {
    const context = await newContext();
    const page = await signIn(context);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console/login`);
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${base}/console/orders`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await context.close();
  });
});
