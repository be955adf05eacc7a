import { Type } from '@sinclair/typebox';
import { planInvoice, planPayment, planReminder } from '../domain/invoice.js';
import { Invoice, InvoiceItem, Payment } from '../db/entities.js';
import { uuidv7 } from '../db/ids.js';
import { nextDocumentNumber } from '../db/sequences.js';
import { defineAction } from './definition.js';
import { lockOrder, recordApplied } from './order-state.js';
import { MAX_QTY, Strict, Text, Uuid } from './schemas.js';

const DAY_MS = 86_400_000;

export const DocumentItems = (description: string) =>
  Type.Array(
    Strict({
      itemId: Uuid('an item (line) id of this order'),
      qty: Type.Integer({ minimum: 0, maximum: MAX_QTY, description: 'units; 0 leaves the line out' }),
    }),
    { minItems: 1, maxItems: 500, description },
  );

export const CreateInvoiceBody = Strict({
  items: Type.Optional(DocumentItems('units to invoice per line; default: everything still to invoice')),
  state: Type.Union([Type.Literal('paid'), Type.Literal('pending')], {
    default: 'paid',
    description: 'paid (default) or pending, for credit terms paid later by payment registrations',
  }),
  dueInDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'pending invoices: days until due' })),
});

export const createInvoice = defineAction({
  type: 'invoice.create',
  queue: 'invoices',
  schema: CreateInvoiceBody,
  async handle(ctx, input) {
    const { em, action, config, now } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    const invoiced = locked.invoices.length > 0;
    const plan = planInvoice(
      {
        number: order.number,
        held: order.held,
        lines: order.lines.getItems(),
        shipping: { amount: order.shippingAmount, taxAmount: order.shippingTax, discountAmount: order.shippingDiscount },
        invoiced,
      },
      input.items,
    );
    const paid = input.state === 'paid' || plan.grandTotal === 0;
    // The number is taken last: its sequence stays locked until commit (gapless numbers, SPEC §2).
    const invoice = em.create(Invoice, {
      id: uuidv7(),
      orderId: order.id,
      number: await nextDocumentNumber(em, 'invoice', config.numbers.invoice),
      state: paid ? 'paid' : 'pending',
      dueAt: paid ? null : new Date(now.getTime() + (input.dueInDays ?? config.invoiceDueDays) * DAY_MS),
      subTotal: plan.subTotal,
      shippingAmount: plan.shipping,
      shippingTax: plan.shippingTax,
      shippingDiscount: plan.shippingDiscount,
      tax: plan.tax,
      discount: plan.discount,
      grandTotal: plan.grandTotal,
      paidAmount: paid ? plan.grandTotal : 0,
      remindersSent: 0,
      lastReminderAt: null,
      createdAt: now,
      updatedAt: now,
    });
    locked.invoices.push(invoice);
    for (const item of plan.items) {
      const { line, ...amounts } = item;
      em.create(InvoiceItem, { invoiceId: invoice.id, lineId: line.id, ...amounts });
      line.qtyInvoiced += item.qty;
    }
    if (paid && plan.grandTotal > 0) {
      em.create(Payment, {
        id: uuidv7(),
        invoiceId: invoice.id,
        orderId: order.id,
        amount: plan.grandTotal,
        method: order.paymentMethod,
        reference: null,
        createdAt: now,
      });
    }
    recordApplied(ctx, locked, {
      invoiceId: invoice.id,
      number: invoice.number,
      state: invoice.state,
      grandTotal: invoice.grandTotal,
      items: plan.items.map((item) => ({ itemId: item.line.id, qty: item.qty })),
    });
    return { invoiceId: invoice.id };
  },
});

export const PayInvoiceBody = Strict({
  amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000_000, description: 'minor units' }),
  method: Text(64, 'how the money came, e.g. banktransfer'),
  reference: Type.Optional(Text(200, 'the payment reference, e.g. the bank transfer id')),
});

export const payInvoice = defineAction({
  type: 'invoice.pay',
  queue: 'invoices',
  schema: Strict({ ...PayInvoiceBody.properties, invoiceId: Uuid('the invoice paid') }),
  async handle(ctx, input) {
    const { em, action, now } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    // The API took the order id from the invoice, so the invoice is this order's.
    const invoice = await em.findOneOrFail(Invoice, { id: input.invoiceId, orderId: order.id });
    const plan = planPayment(invoice, input.amount);
    const payment = em.create(Payment, {
      id: uuidv7(),
      invoiceId: invoice.id,
      orderId: order.id,
      amount: input.amount,
      method: input.method,
      reference: input.reference ?? null,
      createdAt: now,
    });
    Object.assign(invoice, { paidAmount: plan.paidAmount, state: plan.state, updatedAt: now });
    recordApplied(ctx, locked, {
      invoiceId: invoice.id,
      number: invoice.number,
      paymentId: payment.id,
      amount: input.amount,
      method: input.method,
      state: invoice.state,
    });
    return { paymentId: payment.id, invoiceId: invoice.id };
  },
});

/** Recorded by the overdue scan (actor `system`), not by the API: marks an invoice overdue and reminds the customer. */
export const remindInvoice = defineAction({
  type: 'invoice.remind',
  queue: 'invoices',
  schema: Strict({ invoiceId: Uuid('the unpaid invoice'), asOf: Type.String({ format: 'date-time' }) }),
  async handle(ctx, input) {
    const { em, action, config } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    const invoice = await em.findOneOrFail(Invoice, { id: input.invoiceId, orderId: order.id });
    const asOf = new Date(input.asOf);
    const plan = planReminder(invoice, asOf, config.reminders);
    if (plan.markOverdue) invoice.state = 'overdue';
    if (plan.sendReminder) Object.assign(invoice, { remindersSent: invoice.remindersSent + 1, lastReminderAt: asOf });
    invoice.updatedAt = ctx.now;
    recordApplied(ctx, locked, {
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      state: invoice.state,
      dueAt: invoice.dueAt?.toISOString() ?? null,
      due: invoice.grandTotal - invoice.paidAmount,
      reminder: plan.sendReminder,
      remindersSent: invoice.remindersSent,
    });
    return { invoiceId: invoice.id };
  },
});
