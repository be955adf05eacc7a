import { Type } from '@sinclair/typebox';
import { planInvoice, planPayment, planReminder } from '../domain/invoice.js';
import { uuidv7 } from '../db/ids.js';
import type { OrderSnapshot, SnapshotInvoice } from '../db/snapshot.js';
import { applied, countLines, existingOrder } from './applied.js';
import { defineAction } from './definition.js';
import { DocumentItems, Strict, Text, Uuid } from './schemas.js';

/** Invoice actions (SPEC §3.4): invoicing an order, registering a payment, reminding of an overdue invoice. */

const DAY_MS = 86_400_000;

export const CreateInvoiceBody = Strict({
  items: Type.Optional(DocumentItems('units to invoice per line; default: everything still to invoice')),
  state: Type.Union([Type.Literal('paid'), Type.Literal('pending')], {
    default: 'paid',
    description: 'paid (default) or pending, for credit terms paid later by payment registrations',
  }),
  dueInDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'pending invoices: days until due' })),
});

const InvoiceResult = Type.Object({ invoiceId: Uuid('the invoice') });
const invoiceLocation = (result: Record<string, string>) => `/v1/invoices/${result.invoiceId}`;

/** The invoice of the order that the payload names (the API took the order from it, so it is this order's). */
function namedInvoice(order: OrderSnapshot, invoiceId: string): SnapshotInvoice {
  const invoice = order.invoices.find((candidate) => candidate.id === invoiceId);
  if (!invoice) throw new Error(`invoice ${invoiceId} is not one of order ${order.id}`);
  return invoice;
}

const statesWith = (order: OrderSnapshot, invoice: { id: string; state: SnapshotInvoice['state'] }) => [
  ...order.invoices.filter((other) => other.id !== invoice.id).map((other) => other.state),
  invoice.state,
];

export const createInvoice = defineAction({
  type: 'invoice.create',
  queue: 'invoices',
  route: {
    path: '/v1/orders/:id/invoices',
    role: 'admin',
    summary: 'Invoice an order (all that is still to invoice, or the items given)',
    tag: 'orders',
    target: { kind: 'order' },
  },
  body: CreateInvoiceBody,
  payload: CreateInvoiceBody,
  needs: [],
  sequence: 'invoice',
  plan(input) {
    const order = existingOrder(input);
    const plan = planInvoice(
      { number: order.number, held: order.held, lines: order.lines, shipping: order.shipping, invoiced: order.invoices.length > 0 },
      input.payload.items,
    );
    return { order, plan };
  },
  write({ order, plan }, input) {
    const { payload, now, config, number } = input;
    const paid = payload.state === 'paid' || plan.grandTotal === 0;
    const state = paid ? 'paid' : 'pending';
    const id = uuidv7();
    const at = now.toISOString();
    const { lines, changes } = countLines(order, new Map(plan.items.map((item) => [item.line.id, { qtyInvoiced: item.qty }])));
    changes.inserts.push({
      table: 'invoices',
      row: {
        id,
        order_id: order.id,
        number,
        state,
        due_at: paid ? null : new Date(now.getTime() + (payload.dueInDays ?? config.invoiceDueDays) * DAY_MS).toISOString(),
        sub_total: plan.subTotal,
        shipping_amount: plan.shipping,
        shipping_tax: plan.shippingTax,
        shipping_discount: plan.shippingDiscount,
        tax: plan.tax,
        discount: plan.discount,
        grand_total: plan.grandTotal,
        paid_amount: paid ? plan.grandTotal : 0,
        reminders_sent: 0,
        last_reminder_at: null,
        created_at: at,
        updated_at: at,
      },
    });
    for (const { line, ...amounts } of plan.items) {
      changes.inserts.push({
        table: 'invoice_items',
        row: {
          invoice_id: id,
          line_id: line.id,
          qty: amounts.qty,
          unit_price: amounts.unitPrice,
          row_total: amounts.rowTotal,
          tax_amount: amounts.taxAmount,
          discount_amount: amounts.discountAmount,
        },
      });
    }
    if (paid && plan.grandTotal > 0) {
      changes.inserts.push({
        table: 'payments',
        row: { id: uuidv7(), invoice_id: id, order_id: order.id, amount: plan.grandTotal, method: order.paymentMethod, reference: null, created_at: at },
      });
    }
    return applied(input, order, { lines, invoiceStates: statesWith(order, { id, state }) }, {
      data: {
        invoiceId: id,
        number,
        state,
        grandTotal: plan.grandTotal,
        items: plan.items.map((item) => ({ itemId: item.line.id, qty: item.qty })),
      },
      changes,
      result: { invoiceId: id },
    });
  },
  location: invoiceLocation,
  result: InvoiceResult,
});

export const PayInvoiceBody = Strict({
  amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000_000, description: 'minor units' }),
  method: Text(64, 'how the money came, e.g. banktransfer'),
  reference: Type.Optional(Text(200, 'the payment reference, e.g. the bank transfer id')),
});

export const payInvoice = defineAction({
  type: 'invoice.pay',
  queue: 'invoices',
  route: {
    path: '/v1/invoices/:id/payments',
    role: 'admin',
    summary: 'Register a payment on a pending invoice',
    tag: 'invoices',
    target: { kind: 'document', table: 'invoices', field: 'invoiceId', noun: 'invoice' },
  },
  body: PayInvoiceBody,
  payload: Strict({ ...PayInvoiceBody.properties, invoiceId: Uuid('the invoice paid') }),
  needs: [],
  plan(input) {
    const order = existingOrder(input);
    const invoice = namedInvoice(order, input.payload.invoiceId);
    return { order, invoice, plan: planPayment(invoice, input.payload.amount) };
  },
  write({ order, invoice, plan }, input) {
    const { payload, now } = input;
    const paymentId = uuidv7();
    const at = now.toISOString();
    return applied(input, order, { invoiceStates: statesWith(order, { id: invoice.id, state: plan.state }) }, {
      data: { invoiceId: invoice.id, number: invoice.number, paymentId, amount: payload.amount, method: payload.method, state: plan.state },
      changes: {
        inserts: [
          {
            table: 'payments',
            row: { id: paymentId, invoice_id: invoice.id, order_id: order.id, amount: payload.amount, method: payload.method, reference: payload.reference ?? null, created_at: at },
          },
        ],
        changes: [{ table: 'invoices', key: { id: invoice.id }, set: { paid_amount: plan.paidAmount, state: plan.state, updated_at: at } }],
        increments: [],
      },
      result: { paymentId, invoiceId: invoice.id },
    });
  },
  location: invoiceLocation,
  result: Type.Object({ paymentId: Uuid('the payment'), invoiceId: Uuid('the invoice paid') }),
});

/** Recorded by the overdue scan (actor `system`), not by the API: marks an invoice overdue and reminds the customer. */
export const remindInvoice = defineAction({
  type: 'invoice.remind',
  queue: 'invoices',
  route: null,
  body: Strict({}),
  payload: Strict({ invoiceId: Uuid('the unpaid invoice'), asOf: Type.String({ format: 'date-time' }) }),
  needs: [],
  plan(input) {
    const order = existingOrder(input);
    const invoice = namedInvoice(order, input.payload.invoiceId);
    const asOf = new Date(input.payload.asOf);
    return { order, invoice, asOf, plan: planReminder(invoice, asOf, input.config.reminders) };
  },
  write({ order, invoice, asOf, plan }, input) {
    const state = plan.markOverdue ? 'overdue' : invoice.state;
    const remindersSent = invoice.remindersSent + (plan.sendReminder ? 1 : 0);
    return applied(input, order, { invoiceStates: statesWith(order, { id: invoice.id, state }) }, {
      data: {
        invoiceId: invoice.id,
        invoiceNumber: invoice.number,
        state,
        dueAt: invoice.dueAt?.toISOString() ?? null,
        due: invoice.grandTotal - invoice.paidAmount,
        reminder: plan.sendReminder,
        remindersSent,
      },
      changes: {
        inserts: [],
        changes: [
          {
            table: 'invoices',
            key: { id: invoice.id },
            set: {
              state,
              reminders_sent: remindersSent,
              last_reminder_at: (plan.sendReminder ? asOf : invoice.lastReminderAt)?.toISOString() ?? null,
              updated_at: input.now.toISOString(),
            },
          },
        ],
        increments: [],
      },
      result: { invoiceId: invoice.id },
    });
  },
  location: invoiceLocation,
  result: InvoiceResult,
});
