import { DomainError } from './errors.js';
import { assertWithin, requestedUnits, totalUnits, type DocumentLine, type RequestedItem } from './items.js';
import { assertNotOnHold } from './lifecycle.js';
import { prorate } from './money.js';
import { qtyToInvoice, rowTotal, type InvoiceState, type ShippingCharge } from './order.js';

export interface DocumentItem<L> {
  line: L;
  qty: number;
  unitPrice: number;
  rowTotal: number;
  taxAmount: number;
  discountAmount: number;
}

/** The share of a line's price, tax and discount that a document covering `qty` units after `coveredBefore` takes. */
export function documentItem<L extends DocumentLine>(line: L, qty: number, coveredBefore: number): DocumentItem<L> {
  return {
    line,
    qty,
    unitPrice: line.unitPrice,
    rowTotal: rowTotal({ qty, unitPrice: line.unitPrice }),
    taxAmount: prorate(line.taxAmount, line.qtyOrdered, coveredBefore, qty),
    discountAmount: prorate(line.discountAmount, line.qtyOrdered, coveredBefore, qty),
  };
}

export interface InvoicePlan<L> {
  items: DocumentItem<L>[];
  subTotal: number;
  shipping: number;
  shippingTax: number;
  shippingDiscount: number;
  /** Line tax plus shipping tax. */
  tax: number;
  /** Line discounts plus shipping discount. */
  discount: number;
  grandTotal: number;
}

/**
 * Decides an invoice (SPEC §3.4): checks in the order ORDER_ON_HOLD, INVOICE_NOT_ALLOWED, UNKNOWN_ITEM,
 * INVALID_QUANTITY, INVOICE_EMPTY. Line amounts are prorated over invoiced units; shipping, its tax and its
 * discount go whole on the order's first invoice.
 */
export function planInvoice<L extends DocumentLine>(
  order: { number: string; held: boolean; lines: readonly L[]; shipping: ShippingCharge; invoiced: boolean },
  items: readonly RequestedItem[] | undefined,
): InvoicePlan<L> {
  assertNotOnHold(order);
  if (order.lines.every((line) => qtyToInvoice(line) === 0)) {
    throw new DomainError('INVOICE_NOT_ALLOWED', `Order ${order.number} has nothing left to invoice.`);
  }
  const units = requestedUnits(order.lines, items, qtyToInvoice);
  assertWithin(units, qtyToInvoice, 'invoice');
  if (totalUnits(units) === 0) {
    throw new DomainError(
      'INVOICE_EMPTY',
      'Every quantity of the invoice is zero; give at least one item a quantity, or leave items out to invoice all that is still to invoice.',
    );
  }

  const documentItems = [...units]
    .filter(([, qty]) => qty > 0)
    .map(([line, qty]) => documentItem(line, qty, line.qtyInvoiced));
  const shipping = order.invoiced ? { amount: 0, taxAmount: 0, discountAmount: 0 } : order.shipping;
  const subTotal = documentItems.reduce((sum, item) => sum + item.rowTotal, 0);
  const tax = documentItems.reduce((sum, item) => sum + item.taxAmount, shipping.taxAmount);
  const discount = documentItems.reduce((sum, item) => sum + item.discountAmount, shipping.discountAmount);
  return {
    items: documentItems,
    subTotal,
    shipping: shipping.amount,
    shippingTax: shipping.taxAmount,
    shippingDiscount: shipping.discountAmount,
    tax,
    discount,
    grandTotal: subTotal + shipping.amount + tax - discount,
  };
}

export interface PaymentPlan {
  paidAmount: number;
  state: InvoiceState;
}

/** A payment registered on an invoice (SPEC §3.4): the sum reaching the grand total makes the invoice paid. */
export function planPayment(
  invoice: { number: string; state: InvoiceState; grandTotal: number; paidAmount: number },
  amount: number,
): PaymentPlan {
  if (invoice.state === 'paid') {
    throw new DomainError('INVOICE_ALREADY_PAID', `Invoice ${invoice.number} is already paid.`);
  }
  const due = invoice.grandTotal - invoice.paidAmount;
  if (amount > due) {
    throw new DomainError('PAYMENT_EXCEEDS_DUE', `Invoice ${invoice.number} has ${due} due; a payment of ${amount} is more.`, {
      due,
    });
  }
  const paidAmount = invoice.paidAmount + amount;
  return { paidAmount, state: paidAmount === invoice.grandTotal ? 'paid' : invoice.state };
}

export interface ReminderPolicy {
  intervalDays: number;
  /** Reminders at most, the first one included. */
  max: number;
}

const DAY_MS = 86_400_000;

/**
 * What the overdue scan does to an unpaid invoice as of `asOf` (SPEC §3.4): past its due date a pending invoice
 * becomes overdue with a first reminder; further reminders follow every `intervalDays`, up to `max`.
 * Null when nothing is due.
 */
export function reminderDue(
  invoice: { state: InvoiceState; dueAt?: Date | null; remindersSent: number; lastReminderAt?: Date | null },
  asOf: Date,
  policy: ReminderPolicy,
): { markOverdue: boolean; sendReminder: boolean } | null {
  if (invoice.state === 'paid' || !invoice.dueAt || asOf.getTime() <= invoice.dueAt.getTime()) return null;
  const markOverdue = invoice.state === 'pending';
  const nextReminderAt = invoice.lastReminderAt ? invoice.lastReminderAt.getTime() + policy.intervalDays * DAY_MS : 0;
  const sendReminder = invoice.remindersSent < policy.max && asOf.getTime() >= nextReminderAt;
  return markOverdue || sendReminder ? { markOverdue, sendReminder } : null;
}

/** The same decision for the handler, which refuses when the scan's reason is gone (paid meanwhile, reminded). */
export function planReminder(
  invoice: { number: string; state: InvoiceState; dueAt?: Date | null; remindersSent: number; lastReminderAt?: Date | null },
  asOf: Date,
  policy: ReminderPolicy,
): { markOverdue: boolean; sendReminder: boolean } {
  if (invoice.state === 'paid') throw new DomainError('INVOICE_ALREADY_PAID', `Invoice ${invoice.number} is already paid.`);
  const due = reminderDue(invoice, asOf, policy);
  if (!due) throw new DomainError('REMINDER_NOT_DUE', `Invoice ${invoice.number} needs no reminder as of ${asOf.toISOString()}.`);
  return due;
}
