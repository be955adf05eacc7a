import { randomUUID } from 'node:crypto';
import type { AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanOverdue } from '../../src/workers/overdue.js';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { freePort, startSmtp, type ReceivedMail, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/wait.js';

/**
 * SPEC §3.4 (overdue reminders) and §3.8 (e-mail): every message goes out over a real SMTP server started here,
 * once per event, retried while the server is away, switchable per kind, only logged without SMTP_URL.
 */

const DAY_MS = 86_400_000;
const SELLER = 'orderflow demo store';

interface EmailRow {
  id: string;
  event_id: string;
  kind: string;
  recipient: string;
  subject: string;
  status: string;
  attempts: number;
  provider_id: string | null;
  last_error: string | null;
  /** timestamptz as PostgreSQL prints it */
  sent_at: string | null;
}

interface HistoryEvent {
  type: string;
  actor: string;
  data: Record<string, unknown>;
}

interface EmailJob {
  outboxId: string;
  kind: string;
  state: string;
  returnvalue: unknown;
}

/** Posts an action and waits for it to end (201 or 422). */
function act(h: Harness, path: string, body: unknown, key: 'storefront' | 'admin' = 'admin') {
  return h.post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=15' });
}

/** Places the SPEC §4.1 order (grand total 5997) for `email`; returns its id and number. */
async function place(h: Harness, email: string, firstName = 'Ada'): Promise<{ orderId: string; number: string }> {
  const res = await act(h, '/v1/orders', orderBody({ customer: { email, firstName, lastName: 'Lovelace' } }), 'storefront');
  expect(res.statusCode).toBe(201);
  const orderId: string = res.json().orderId;
  const order = (await h.get(`/v1/orders/${orderId}`)).json();
  return { orderId, number: order.number };
}

const emailRows = (h: Harness, orderId: string) =>
  h.sql<EmailRow>(
    `select id, event_id, kind, recipient, subject, status, attempts, provider_id, last_error, sent_at
     from emails where order_id = ? order by kind, created_at`,
    [orderId],
  );

const history = async (h: Harness, orderId: string): Promise<HistoryEvent[]> => {
  const res = await h.get(`/v1/orders/${orderId}/history`);
  expect(res.statusCode).toBe(200);
  return res.json().items;
};

/** The e-mail jobs the order's actions asked for (outbox rows), once every one of them has finished. */
async function settledEmailJobs(h: Harness, orderId: string, timeoutMs = 20_000): Promise<EmailJob[]> {
  return eventually(
    `e-mail jobs of order ${orderId} to finish`,
    async () => {
      const rows = await h.sql<{ id: string; payload: { kind: string } }>(
        `select id, payload from outbox where name = 'email.send' and payload->>'orderId' = ? order by created_at, id`,
        [orderId],
      );
      const jobs: EmailJob[] = [];
      for (const row of rows) {
        const queue = h.runtime.queues.get('notifications');
        const state = await queue.getJobState(row.id);
        if (state !== 'completed' && state !== 'failed') return null;
        // Read the job after it settled: a copy read while it ran has no return value yet.
        const job = await queue.getJob(row.id);
        jobs.push({ outboxId: row.id, kind: row.payload.kind, state, returnvalue: job!.returnvalue });
      }
      return jobs.sort((a, b) => a.kind.localeCompare(b.kind));
    },
    timeoutMs,
  );
}

const recipients = (mail: ReceivedMail) => (mail.parsed.to as AddressObject).value.map((a) => a.address);
const bySubject = (mails: ReceivedMail[]) => [...mails].sort((a, b) => (a.parsed.subject ?? '').localeCompare(b.parsed.subject ?? ''));

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

/** What composeEmail promises for a customer called Ada: greeting, body lines, seller; text and (escaped) HTML. */
function expectBody(mail: ReceivedMail, body: string[]) {
  const lines = ['Hello Ada,', '', ...body, '', SELLER];
  expect(mail.parsed.text?.replace(/\n$/, '')).toBe(lines.join('\n'));
  expect(mail.parsed.html).toBe(`<!doctype html><html><body>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`);
}

const smtpUp: TestSmtp[] = [];
afterAll(async () => {
  await Promise.all(smtpUp.map((server) => server.close()));
});

async function smtpServer(port = 0): Promise<TestSmtp> {
  const server = await startSmtp(port);
  smtpUp.push(server);
  return server;
}

describe('e-mail over SMTP', () => {
  let h: Harness;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await smtpServer();
    h = await startHarness({
      env: { SMTP_URL: smtp.url, REMINDER_INTERVAL_DAYS: '3', REMINDER_MAX: '2', JOB_BACKOFF_MS: '50' },
    });
    expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
    expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 100 } })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends order placed, invoice (PDF attached), shipment and refund e-mails to the customer, once each', async () => {
    const customer = 'ada@example.com';
    const { orderId, number } = await place(h, customer);
    expect(number).toBe('100000001');
    const order = (await h.get(`/v1/orders/${orderId}`)).json();
    const ebook = order.items.find((line: { sku: string }) => line.sku === 'EBOOK-1');

    const inv = await act(h, `/v1/orders/${orderId}/invoices`, {});
    expect(inv.statusCode).toBe(201);
    const invoiceId: string = inv.json().action.result.invoiceId;
    const shp = await act(h, `/v1/orders/${orderId}/shipments`, {
      source: 'main',
      carrier: { code: 'ups', title: 'United Parcel Service' },
      trackingNumber: '1Z999AA10123456784',
    });
    expect(shp.statusCode).toBe(201);
    const rf = await act(h, `/v1/orders/${orderId}/refunds`, { items: [{ itemId: ebook.id, qty: 1 }] });
    expect(rf.statusCode).toBe(201);

    const jobs = await settledEmailJobs(h, orderId);
    expect(jobs.map((j) => [j.kind, j.state, j.returnvalue])).toEqual([
      ['invoice_created', 'completed', 'sent'],
      ['order_placed', 'completed', 'sent'],
      ['refund_issued', 'completed', 'sent'],
      ['shipment_dispatched', 'completed', 'sent'],
    ]);

    const mails = bySubject(smtp.to(customer));
    expect(mails.map((m) => m.parsed.subject)).toEqual([
      'Invoice INV-000001 for order 100000001',
      'Order 100000001 is on its way',
      'Refund for order 100000001',
      'Your order 100000001',
    ]);
    for (const mail of mails) {
      expect(mail.envelopeTo).toEqual([customer]);
      expect(recipients(mail)).toEqual([customer]);
      expect(mail.envelopeFrom).toBe('no-reply@localhost');
      expect(mail.parsed.from?.value).toEqual([{ address: 'no-reply@localhost', name: 'orderflow' }]);
      expect(typeof mail.parsed.text).toBe('string');
      expect(typeof mail.parsed.html).toBe('string');
    }
    const [invoiceMail, shipmentMail, refundMail, placedMail] = mails as [ReceivedMail, ReceivedMail, ReceivedMail, ReceivedMail];
    expectBody(placedMail, ['Thank you for your order 100000001.', 'Total: USD 59.97.']);
    expectBody(invoiceMail, ['Invoice INV-000001 of USD 59.97 is attached.', 'It is paid.']);
    expectBody(shipmentMail, ['Shipment SHP-000001 left with United Parcel Service.', 'Tracking number: 1Z999AA10123456784.']);
    expectBody(refundMail, ['We refunded USD 9.99 (credit memo RFD-000001).']);

    // The invoice PDF rides along with the invoice e-mail, and only there.
    expect(invoiceMail.parsed.attachments).toHaveLength(1);
    const [pdf] = invoiceMail.parsed.attachments;
    expect(pdf!.filename).toBe('INV-000001.pdf');
    expect(pdf!.contentType).toBe('application/pdf');
    expect(pdf!.content.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const served = await h.get(`/v1/invoices/${invoiceId}/pdf`);
    expect(served.statusCode).toBe(200);
    expect(Buffer.compare(pdf!.content, served.rawPayload)).toBe(0);
    for (const mail of [placedMail, shipmentMail, refundMail]) expect(mail.parsed.attachments).toEqual([]);

    // One record per message: sent, one attempt, the provider's id (the Message-ID the server received).
    const rows = await emailRows(h, orderId);
    expect(rows.map((r) => [r.kind, r.recipient, r.subject, r.status, r.attempts, r.last_error])).toEqual([
      ['invoice_created', customer, 'Invoice INV-000001 for order 100000001', 'sent', 1, null],
      ['order_placed', customer, 'Your order 100000001', 'sent', 1, null],
      ['refund_issued', customer, 'Refund for order 100000001', 'sent', 1, null],
      ['shipment_dispatched', customer, 'Order 100000001 is on its way', 'sent', 1, null],
    ]);
    for (const row of rows) {
      expect(row.provider_id).toBe(`<${row.id}@orderflow>`);
      expect(Number.isNaN(new Date(row.sent_at ?? 'none').getTime())).toBe(false);
      expect(mails.filter((m) => m.parsed.messageId === row.provider_id)).toHaveLength(1);
    }

    const sentEvents = (await history(h, orderId)).filter((e) => e.type === 'email.sent');
    expect(sentEvents.map((e) => e.data.kind).sort()).toEqual(['invoice_created', 'order_placed', 'refund_issued', 'shipment_dispatched']);
    for (const event of sentEvents) {
      const row = rows.find((r) => r.kind === event.data.kind)!;
      expect(event.actor).toBe('system');
      expect(event.data).toEqual({ emailId: row.id, kind: row.kind, recipient: customer, subject: row.subject, providerId: row.provider_id });
    }
    expect((await history(h, orderId)).filter((e) => e.type.startsWith('email.') && e.type !== 'email.sent')).toEqual([]);
    expect(smtp.to(customer)).toHaveLength(4);
  }, 60_000);

  it('sends order_canceled when an order is canceled', async () => {
    const customer = 'cancel@example.com';
    const { orderId, number } = await place(h, customer);
    const canceled = await act(h, `/v1/orders/${orderId}/cancel`, { reason: 'customer asked' }, 'storefront');
    expect(canceled.statusCode).toBe(201);

    const jobs = await settledEmailJobs(h, orderId);
    expect(jobs.map((j) => [j.kind, j.returnvalue])).toEqual([
      ['order_canceled', 'sent'],
      ['order_placed', 'sent'],
    ]);
    const mails = bySubject(smtp.to(customer));
    expect(mails.map((m) => m.parsed.subject)).toEqual([`Order ${number} canceled`, `Your order ${number}`]);
    expect(mails.map(recipients)).toEqual([[customer], [customer]]);
    expectBody(mails[0]!, [`Your order ${number} was canceled.`, 'Reason: customer asked']);
    expect((await emailRows(h, orderId)).map((r) => [r.kind, r.status, r.attempts])).toEqual([
      ['order_canceled', 'sent', 1],
      ['order_placed', 'sent', 1],
    ]);
  });

  it('e-mails a comment to the customer only when notifyCustomer is true', async () => {
    const customer = 'comment@example.com';
    const { orderId, number } = await place(h, customer);
    const silent = await act(h, `/v1/orders/${orderId}/comments`, { comment: 'Internal: check the address', notifyCustomer: false });
    expect(silent.statusCode).toBe(201);
    const comment = 'Left at reception <b>desk 2</b> & signed by "Jo" O\'Neil';
    const told = await act(h, `/v1/orders/${orderId}/comments`, { comment, notifyCustomer: true });
    expect(told.statusCode).toBe(201);

    const jobs = await settledEmailJobs(h, orderId);
    expect(jobs.map((j) => [j.kind, j.returnvalue])).toEqual([
      ['comment', 'sent'],
      ['order_placed', 'sent'],
    ]);
    const mails = bySubject(smtp.to(customer));
    expect(mails.map((m) => m.parsed.subject)).toEqual([`About your order ${number}`, `Your order ${number}`]);
    expectBody(mails[0]!, [comment]);
    expect(mails[0]!.parsed.html).toContain('<p>Left at reception &lt;b&gt;desk 2&lt;/b&gt; &amp; signed by &quot;Jo&quot; O&#39;Neil</p>');
    expect(smtp.messages.filter((m) => (m.parsed.text ?? '').includes('Internal: check the address'))).toEqual([]);
    expect((await emailRows(h, orderId)).map((r) => [r.kind, r.subject, r.status])).toEqual([
      ['comment', `About your order ${number}`, 'sent'],
      ['order_placed', `Your order ${number}`, 'sent'],
    ]);
  });

  it('does not send twice when the same e-mail job is delivered twice', async () => {
    const customer = 'twice@example.com';
    const { orderId, number } = await place(h, customer);
    const [first] = await settledEmailJobs(h, orderId);
    expect(first).toMatchObject({ kind: 'order_placed', state: 'completed', returnvalue: 'sent' });
    expect(smtp.to(customer)).toHaveLength(1);

    const [outbox] = await h.sql<{ payload: Record<string, unknown> }>('select payload from outbox where id = ?', [first!.outboxId]);
    const queue = h.runtime.queues.get('notifications');
    const jobId = `dup-${randomUUID()}`;
    await queue.add('email.send', { ...outbox!.payload }, { jobId });
    const duplicate = await eventually('the duplicate job to finish', async () => {
      const state = await queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return null;
      return { state, returnvalue: (await queue.getJob(jobId))!.returnvalue }; // read once settled
    });
    expect(duplicate).toEqual({ state: 'completed', returnvalue: 'sent-before' });

    expect(smtp.to(customer)).toHaveLength(1);
    expect(smtp.to(customer)[0]!.parsed.subject).toBe(`Your order ${number}`);
    expect((await emailRows(h, orderId)).map((r) => [r.kind, r.status, r.attempts])).toEqual([['order_placed', 'sent', 1]]);
    expect((await history(h, orderId)).filter((e) => e.type.startsWith('email.')).map((e) => e.type)).toEqual(['email.sent']);
  });

  it('does not send twice when a duplicate of the job arrives while the first is still being sent', async () => {
    const customer = 'overlap@example.com';
    smtp.holdMs = 1500; // a slow server: the first delivery is still waiting for its answer
    try {
      const { orderId, number } = await place(h, customer);
      const [outbox] = await eventually('the order_placed job', () =>
        h.sql<{ id: string; payload: Record<string, unknown> }>(
          `select id, payload from outbox where name = 'email.send' and payload->>'orderId' = ?`,
          [orderId],
        ).then((rows) => (rows.length === 1 ? rows : null)),
      );
      await eventually('the first delivery in flight', async () => smtp.inFlight === 1);
      const queue = h.runtime.queues.get('notifications');
      const jobId = `dup-${randomUUID()}`;
      await queue.add('email.send', { ...outbox!.payload }, { jobId });
      await settledEmailJobs(h, orderId);
      await eventually('the duplicate job to finish', async () => {
        const state = await (await queue.getJob(jobId))?.getState();
        return state === 'completed' || state === 'failed';
      });
      await eventually('no delivery in flight', async () => smtp.inFlight === 0);

      expect(smtp.to(customer).map((m) => m.parsed.subject)).toEqual([`Your order ${number}`]);
      expect((await emailRows(h, orderId)).map((r) => [r.kind, r.status])).toEqual([['order_placed', 'sent']]);
      expect((await history(h, orderId)).filter((e) => e.type.startsWith('email.')).map((e) => e.type)).toEqual(['email.sent']);
    } finally {
      smtp.holdMs = 0;
    }
  });

  it('marks a pending invoice overdue past its due date and reminds the customer every interval, up to the maximum', async () => {
    const customer = 'late@example.com';
    const { orderId, number } = await place(h, customer);
    const inv = await act(h, `/v1/orders/${orderId}/invoices`, { state: 'pending', dueInDays: 10 });
    expect(inv.statusCode).toBe(201);
    const invoiceId: string = inv.json().action.result.invoiceId;
    const invoice = (await h.get(`/v1/invoices/${invoiceId}`)).json();
    expect(invoice).toMatchObject({ state: 'pending', grandTotal: 5997, paidAmount: 0 });
    const dueAt = new Date(invoice.dueAt as string);
    expect(dueAt.getTime() - new Date(invoice.createdAt as string).getTime()).toBe(10 * DAY_MS);

    const remindActions = () =>
      h.sql<{ id: string; actor_name: string; status: string }>(
        `select id, actor_name, status from actions where type = 'invoice.remind' and order_id = ? order by seq`,
        [orderId],
      );
    const overdueMails = () => smtp.to(customer).filter((m) => m.parsed.subject?.startsWith('Payment reminder'));
    const applied = async (actionId: string) => {
      const res = await h.get(`/v1/actions/${actionId}`, { key: 'storefront', prefer: 'wait=15' });
      expect(res.statusCode).toBe(200);
      return res.json();
    };

    // Not yet due: nothing.
    expect(await scanOverdue(h.runtime, new Date(dueAt.getTime() - DAY_MS))).toBe(0);
    expect(await remindActions()).toEqual([]);

    // A day past due: a system action marks the invoice overdue and sends the first reminder.
    const asOf = new Date(dueAt.getTime() + DAY_MS);
    expect(await scanOverdue(h.runtime, asOf)).toBe(1);
    const [remind1] = await remindActions();
    expect(remind1!.actor_name).toBe('system');
    expect(await applied(remind1!.id)).toMatchObject({
      type: 'invoice.remind', orderId, status: 'succeeded', result: { invoiceId }, error: null,
    });
    expect((await h.get(`/v1/invoices/${invoiceId}`)).json().state).toBe('overdue');
    expect((await h.get(`/v1/orders/${orderId}`)).json().status).toBe('pending_payment');
    await eventually('the first reminder', async () => overdueMails().length === 1);
    const [reminder] = overdueMails();
    expect(reminder!.parsed.subject).toBe(`Payment reminder: invoice ${invoice.number}`);
    expect(reminder!.envelopeTo).toEqual([customer]);
    expectBody(reminder!, [
      `Invoice ${invoice.number} for order ${number} was due on ${dueAt.toISOString().slice(0, 10)}.`,
      'Amount due: USD 59.97.',
    ]);

    // The same scan again records nothing new.
    expect(await scanOverdue(h.runtime, asOf)).toBe(0);
    expect(await remindActions()).toHaveLength(1);

    // A part payment keeps it overdue; the next reminder asks for what is left.
    const part = await act(h, `/v1/invoices/${invoiceId}/payments`, { amount: 997, method: 'banktransfer', reference: 'BT-1' });
    expect(part.statusCode).toBe(201);
    expect((await h.get(`/v1/invoices/${invoiceId}`)).json()).toMatchObject({ state: 'overdue', paidAmount: 997 });

    // REMINDER_INTERVAL_DAYS later: the second reminder.
    const asOf2 = new Date(asOf.getTime() + 3 * DAY_MS);
    expect(await scanOverdue(h.runtime, new Date(asOf2.getTime() - 60_000))).toBe(0);
    expect(await scanOverdue(h.runtime, asOf2)).toBe(1);
    const reminds = await remindActions();
    expect(reminds).toHaveLength(2);
    expect(reminds[1]!.actor_name).toBe('system');
    expect(await applied(reminds[1]!.id)).toMatchObject({ status: 'succeeded', result: { invoiceId } });
    await eventually('the second reminder', async () => overdueMails().length === 2);
    expectBody(overdueMails()[1]!, [
      `Invoice ${invoice.number} for order ${number} was due on ${dueAt.toISOString().slice(0, 10)}.`,
      'Amount due: USD 50.00.',
    ]);

    // REMINDER_MAX=2 reached: no third, however late.
    expect(await scanOverdue(h.runtime, new Date(asOf2.getTime() + 3 * DAY_MS))).toBe(0);
    expect(await scanOverdue(h.runtime, new Date(asOf2.getTime() + 60 * DAY_MS))).toBe(0);
    expect(await remindActions()).toHaveLength(2);
    const [invoiceRow] = await h.sql<{ state: string; reminders_sent: number; last_reminder_at: string }>(
      'select state, reminders_sent, last_reminder_at from invoices where id = ?',
      [invoiceId],
    );
    expect({ ...invoiceRow, last_reminder_at: new Date(invoiceRow!.last_reminder_at).toISOString() }).toEqual({
      state: 'overdue',
      reminders_sent: 2,
      last_reminder_at: asOf2.toISOString(),
    });

    // Paid in full: paid, and later scans leave it alone.
    const paid = await act(h, `/v1/invoices/${invoiceId}/payments`, { amount: 5000, method: 'banktransfer', reference: 'BT-2' });
    expect(paid.statusCode).toBe(201);
    expect((await h.get(`/v1/invoices/${invoiceId}`)).json()).toMatchObject({ state: 'paid', paidAmount: 5997 });
    expect((await h.get(`/v1/orders/${orderId}`)).json().status).toBe('processing');
    expect(await scanOverdue(h.runtime, new Date(asOf2.getTime() + 90 * DAY_MS))).toBe(0);
    expect(await remindActions()).toHaveLength(2);

    const jobs = await settledEmailJobs(h, orderId);
    expect(jobs.map((j) => [j.kind, j.returnvalue])).toEqual([
      ['invoice_created', 'sent'],
      ['invoice_overdue', 'sent'],
      ['invoice_overdue', 'sent'],
      ['order_placed', 'sent'],
    ]);
    expect(overdueMails()).toHaveLength(2);
    expect(bySubject(smtp.to(customer)).map((m) => m.parsed.subject)).toEqual([
      `Invoice ${invoice.number} for order ${number}`,
      `Payment reminder: invoice ${invoice.number}`,
      `Payment reminder: invoice ${invoice.number}`,
      `Your order ${number}`,
    ]);
    const remindEvents = (await history(h, orderId)).filter((e) => e.type === 'invoice.remind');
    expect(remindEvents.map((e) => [e.actor, e.data.reminder, e.data.remindersSent, e.data.state])).toEqual([
      ['system', true, 1, 'overdue'],
      ['system', true, 2, 'overdue'],
    ]);
    expect((await emailRows(h, orderId)).filter((r) => r.kind === 'invoice_overdue').map((r) => [r.status, r.attempts, r.subject])).toEqual([
      ['sent', 1, `Payment reminder: invoice ${invoice.number}`],
      ['sent', 1, `Payment reminder: invoice ${invoice.number}`],
    ]);
  }, 60_000);
});

describe('SMTP server down for a while', () => {
  let h: Harness;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    h = await startHarness({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, JOB_ATTEMPTS: '10', JOB_BACKOFF_MS: '100' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('retries the e-mail until the server is back, then delivers it exactly once', async () => {
    const customer = 'patient@example.com';
    const { orderId, number } = await place(h, customer);

    const failing = await eventually('two failed attempts', async () => {
      const [row] = await emailRows(h, orderId);
      return row && row.attempts >= 2 ? row : null;
    });
    expect(failing).toMatchObject({ kind: 'order_placed', provider_id: null });
    expect(['pending', 'sending']).toContain(failing.status); // between attempts, or during the next one
    expect(failing.last_error).toContain('ECONNREFUSED');
    const [outbox] = await h.sql<{ id: string }>(`select id from outbox where name = 'email.send' and payload->>'orderId' = ?`, [orderId]);
    const job = await h.runtime.queues.get('notifications').getJob(outbox!.id);
    expect(job!.attemptsMade).toBeGreaterThanOrEqual(1);
    expect(job!.failedReason).toContain('ECONNREFUSED');

    const smtp = await smtpServer(port);
    const jobs = await settledEmailJobs(h, orderId, 30_000);
    expect(jobs.map((j) => [j.kind, j.state, j.returnvalue])).toEqual([['order_placed', 'completed', 'sent']]);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.envelopeTo).toEqual([customer]);
    expect(smtp.messages[0]!.parsed.subject).toBe(`Your order ${number}`);

    const [row] = await emailRows(h, orderId);
    expect(row!.status).toBe('sent');
    expect(row!.attempts).toBeGreaterThan(1);
    expect(row!.last_error).toBeNull();
    expect(row!.provider_id).toBe(`<${row!.id}@orderflow>`);
    expect(smtp.messages[0]!.parsed.messageId).toBe(row!.provider_id);
    expect((await history(h, orderId)).filter((e) => e.type.startsWith('email.')).map((e) => e.type)).toEqual(['email.sent']);
  }, 60_000);
});

describe('SMTP server never there', () => {
  let h: Harness;

  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '50' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ends the record failed after the last attempt, with the error and an email.failed event', async () => {
    const customer = 'unlucky@example.com';
    const { orderId, number } = await place(h, customer);
    const jobs = await settledEmailJobs(h, orderId);
    expect(jobs.map((j) => [j.kind, j.state])).toEqual([['order_placed', 'failed']]);

    const rows = await emailRows(h, orderId);
    expect(rows.map((r) => [r.kind, r.recipient, r.subject, r.status, r.attempts, r.provider_id, r.sent_at])).toEqual([
      ['order_placed', customer, `Your order ${number}`, 'failed', 2, null, null],
    ]);
    expect(rows[0]!.last_error).toContain('ECONNREFUSED');
    const failed = (await history(h, orderId)).filter((e) => e.type.startsWith('email.'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      type: 'email.failed',
      actor: 'system',
      data: { emailId: rows[0]!.id, kind: 'order_placed', recipient: customer, error: rows[0]!.last_error, attempts: 2 },
    });
  });
});

describe('EMAILS switches kinds on and off', () => {
  let h: Harness;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await smtpServer();
    h = await startHarness({ env: { SMTP_URL: smtp.url, EMAILS: 'order_placed' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('with EMAILS=order_placed sends only the order_placed message', async () => {
    const customer = 'only@example.com';
    const { orderId, number } = await place(h, customer);
    const inv = await act(h, `/v1/orders/${orderId}/invoices`, {});
    expect(inv.statusCode).toBe(201);

    const jobs = await settledEmailJobs(h, orderId);
    // A kind switched off is not even queued.
    expect(jobs.map((j) => [j.kind, j.state, j.returnvalue])).toEqual([['order_placed', 'completed', 'sent']]);
    expect(await h.sql(`select payload->>'kind' as kind from outbox where name = 'email.send' and payload->>'orderId' = ?`, [orderId])).toEqual([
      { kind: 'order_placed' },
    ]);
    expect(smtp.messages.map((m) => [m.envelopeTo, m.parsed.subject])).toEqual([[[customer], `Your order ${number}`]]);
    expect((await emailRows(h, orderId)).map((r) => [r.kind, r.status])).toEqual([['order_placed', 'sent']]);
    expect((await history(h, orderId)).filter((e) => e.type.startsWith('email.')).map((e) => [e.type, e.data.kind])).toEqual([
      ['email.sent', 'order_placed'],
    ]);
  });
});

describe('without SMTP_URL', () => {
  let h: Harness;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await smtpServer();
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('records every message as logged and sends nothing over SMTP', async () => {
    expect(h.config.mail.smtpUrl).toBeNull();
    const customer = 'logged@example.com';
    const { orderId, number } = await place(h, customer);
    const inv = await act(h, `/v1/orders/${orderId}/invoices`, {});
    expect(inv.statusCode).toBe(201);

    const jobs = await settledEmailJobs(h, orderId);
    expect(jobs.map((j) => [j.kind, j.state, j.returnvalue])).toEqual([
      ['invoice_created', 'completed', 'logged'],
      ['order_placed', 'completed', 'logged'],
    ]);
    expect((await emailRows(h, orderId)).map((r) => [r.kind, r.recipient, r.subject, r.status, r.attempts, r.provider_id])).toEqual([
      ['invoice_created', customer, `Invoice INV-000001 for order ${number}`, 'logged', 1, null],
      ['order_placed', customer, `Your order ${number}`, 'logged', 1, null],
    ]);
    const events = (await history(h, orderId)).filter((e) => e.type.startsWith('email.'));
    expect(events.map((e) => [e.type, e.data.kind]).sort()).toEqual([
      ['email.logged', 'invoice_created'],
      ['email.logged', 'order_placed'],
    ]);
    expect(smtp.connections).toBe(0);
    expect(smtp.messages).toEqual([]);
  });
});
