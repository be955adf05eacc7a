import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/wait.js';

/** Debian's Chromium, as installed by .ci/run; no browser is downloaded. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';

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
});
afterAll(async () => {
  await browser?.close();
  await h.close();
});

const actionStatus = async (id: string) =>
  (await h.sql<{ status: string }>('select status from actions where id = ?', [id]))[0]?.status;

it('an operator finds a failed job in bull-board, retries it, and the action succeeds', async () => {
  // A fault in PostgreSQL makes the placement fail for good (one attempt).
  await h.sql(`create function refuse_orders() returns trigger language plpgsql as $$
    begin raise exception 'orders table is read-only (simulated)'; end $$`);
  await h.sql('create trigger refuse_orders before insert on orders for each row execute function refuse_orders()');
  const accepted = await h.post('/v1/orders', singleLineOrder('BOARD-1'), { key: 'storefront', idempotencyKey: newKey() });
  const { orderId, action } = accepted.json();
  await eventually('the action to fail', async () => (await actionStatus(action.id)) === 'failed');
  await h.sql('drop trigger refuse_orders on orders'); // the operator fixed the cause

  const context = await browser.newContext({ httpCredentials: { username: 'ops', password: KEYS.admin } });
  const page = await context.newPage();
  await page.goto(`${base}/admin/queues/queue/orders?status=failed`);
  const card = page.locator('li, article, div[class*="card"]').filter({ hasText: action.id }).first();
  await card.waitFor({ timeout: 15_000 });
  await expect(card.textContent()).resolves.toContain('order.place');
  await card.getByRole('button', { name: 'Data', exact: true }).or(card.getByText('Data', { exact: true })).first().click();
  await expect(card.textContent()).resolves.toContain(orderId); // the job's data leads to GET /v1/orders/{id}
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/board-failed-job.png`, fullPage: true });

  // The card's icon buttons name themselves in a tooltip: the first one is Retry.
  const retry = card.locator('button:not([role="tab"])').first();
  await retry.hover();
  await page.getByText('Retry', { exact: true }).last().waitFor({ timeout: 5000 });
  await retry.click();
  await page.getByRole('button', { name: 'Confirm' }).click(); // "Are you sure that you want to retry this job?"

  await eventually('the action to succeed after the retry', async () => (await actionStatus(action.id)) === 'succeeded');
  const order = (await h.get(`/v1/orders/${orderId}`)).json();
  expect(order).toMatchObject({ id: orderId, number: '100000001', status: 'pending' });

  await page.goto(`${base}/admin/queues/queue/orders?status=completed`);
  await page.locator('body').filter({ hasText: action.id }).waitFor({ timeout: 15_000 });
  await page.locator('body').filter({ hasText: '100000001' }).waitFor({ timeout: 15_000 }); // the order number
  await page.screenshot({ path: `${ARTIFACTS}/board-retried-job.png`, fullPage: true });
  await context.close();
});
