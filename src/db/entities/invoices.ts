import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { InvoiceState } from '../../domain/order.js';
import { documentItemColumns, money, timestamp } from './columns.js';

export const Invoice = defineEntity({
  name: 'Invoice',
  tableName: 'invoices',
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    number: p.string(),
    state: p.string().$type<InvoiceState>(),
    dueAt: timestamp().nullable(),
    subTotal: money(),
    shippingAmount: money(),
    shippingTax: money(),
    shippingDiscount: money(),
    tax: money(),
    discount: money(),
    grandTotal: money(),
    paidAmount: money(),
    remindersSent: p.integer(),
    lastReminderAt: timestamp().nullable(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});
export type Invoice = InferEntity<typeof Invoice>;

export const InvoiceItem = defineEntity({
  name: 'InvoiceItem',
  tableName: 'invoice_items',
  properties: {
    invoiceId: p.uuid().primary(),
    ...documentItemColumns(),
  },
});
export type InvoiceItem = InferEntity<typeof InvoiceItem>;
