import { assertSafeAmount } from './money.js';

/** The five counters of an order line (SPEC §3.1). */
export interface LineCounters {
  stockable: boolean;
  qtyOrdered: number;
  qtyInvoiced: number;
  qtyShipped: number;
  qtyRefunded: number;
  qtyCanceled: number;
}

export function qtyToInvoice(line: LineCounters): number {
  return line.qtyOrdered - line.qtyInvoiced - line.qtyCanceled;
}

export function qtyToShip(line: LineCounters): number {
  if (!line.stockable) return 0;
  return Math.max(0, line.qtyOrdered - line.qtyShipped - line.qtyRefunded - line.qtyCanceled);
}

/** Goods that left the warehouse or were invoiced cannot be canceled: invoiced goods are refunded instead. */
export function qtyToCancel(line: LineCounters): number {
  return line.qtyOrdered - line.qtyCanceled - Math.max(line.qtyInvoiced, line.qtyShipped);
}

/** Units a stock-managed line holds in the warehouse: exactly those still to ship. */
export function qtyReserved(line: LineCounters): number {
  return qtyToShip(line);
}

export function qtyToRefund(line: LineCounters): number {
  return line.qtyInvoiced - line.qtyRefunded;
}

export const ORDER_STATUSES = [
  'pending',
  'pending_payment',
  'processing',
  'completed',
  'canceled',
  'closed',
  'on_hold',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type InvoiceState = 'pending' | 'overdue' | 'paid';

export interface StatusInput {
  held: boolean;
  lines: readonly LineCounters[];
  invoiceStates: readonly InvoiceState[];
}

const sum = (lines: readonly LineCounters[], pick: (line: LineCounters) => number): number =>
  lines.reduce((total, line) => total + pick(line), 0);

/** The order status, recomputed after every action; the first rule that matches wins (SPEC §3.2). */
export function orderStatus({ held, lines, invoiceStates }: StatusInput): OrderStatus {
  const ordered = sum(lines, (l) => l.qtyOrdered);
  const canceled = sum(lines, (l) => l.qtyCanceled);
  const refunded = sum(lines, (l) => l.qtyRefunded);
  if (held) return 'on_hold';
  if (ordered === canceled) return 'canceled';
  if (ordered === refunded + canceled) return 'closed';
  if (invoiceStates.some((s) => s === 'pending' || s === 'overdue')) return 'pending_payment';
  if (lines.every((l) => qtyToInvoice(l) === 0 && qtyToShip(l) === 0)) return 'completed';
  const touched = lines.some((l) => l.qtyInvoiced + l.qtyShipped + l.qtyRefunded + l.qtyCanceled > 0);
  return touched ? 'processing' : 'pending';
}

/** What a line costs: its unit price and quantity, and its tax and discount for all of its units. */
export interface PricedLine {
  qty: number;
  unitPrice: number;
  taxAmount: number;
  discountAmount: number;
}

export interface ShippingCharge {
  amount: number;
  taxAmount: number;
  discountAmount: number;
}

export interface OrderTotals {
  subTotal: number;
  shipping: number;
  tax: number;
  discount: number;
  grandTotal: number;
}

export function rowTotal(line: Pick<PricedLine, 'qty' | 'unitPrice'>): number {
  return assertSafeAmount(line.unitPrice * line.qty, 'row total');
}

/** Order totals (SPEC §2): grandTotal = subTotal + shipping + tax − discount. */
export function orderTotals(lines: readonly PricedLine[], shipping: ShippingCharge): OrderTotals {
  const subTotal = lines.reduce((total, line) => total + rowTotal(line), 0);
  const tax = lines.reduce((total, line) => total + line.taxAmount, shipping.taxAmount);
  const discount = lines.reduce((total, line) => total + line.discountAmount, shipping.discountAmount);
  const grandTotal = subTotal + shipping.amount + tax - discount;
  for (const [name, value] of Object.entries({ subTotal, tax, discount, grandTotal })) assertSafeAmount(value, name);
  return { subTotal, shipping: shipping.amount, tax, discount, grandTotal };
}

export interface MoneyTotals {
  invoiced: number;
  paid: number;
  refunded: number;
  /** Money received and not yet given back: the cap of the next refund. */
  refundable: number;
  due: number;
}

/** An order's money (SPEC §4): due = invoiced − paid, refundable = paid − refunded. */
export function moneyTotals(sums: { invoiced: number; paid: number; refunded: number }): MoneyTotals {
  return { ...sums, refundable: sums.paid - sums.refunded, due: sums.invoiced - sums.paid };
}

/** What an order's documents add up to: money invoiced, received and refunded, and the shipping among it. */
export interface OrderMoneySums {
  invoiced: number;
  paid: number;
  refunded: number;
  shippingInvoiced: ShippingCharge;
  shippingRefunded: number;
}

/** Sums over an order's invoices (a paid amount is the sum of the invoice's payments) and refunds. */
export function orderMoney(
  invoices: readonly { grandTotal: number; paidAmount: number; shippingAmount: number; shippingTax: number; shippingDiscount: number }[],
  refunds: readonly { grandTotal: number; shippingAmount: number }[],
): OrderMoneySums {
  const sum = <T>(items: readonly T[], of: (item: T) => number) => items.reduce((total, item) => total + of(item), 0);
  return {
    invoiced: sum(invoices, (i) => i.grandTotal),
    paid: sum(invoices, (i) => i.paidAmount),
    refunded: sum(refunds, (r) => r.grandTotal),
    shippingInvoiced: {
      amount: sum(invoices, (i) => i.shippingAmount),
      taxAmount: sum(invoices, (i) => i.shippingTax),
      discountAmount: sum(invoices, (i) => i.shippingDiscount),
    },
    shippingRefunded: sum(refunds, (r) => r.shippingAmount),
  };
}
