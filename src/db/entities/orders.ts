import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { OrderStatus } from '../../domain/order.js';
import { money, timestamp } from './columns.js';

export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.uuid().primary(),
    number: p.string(),
    externalId: p.string().nullable(),
    channel: p.string(),
    /** The name of the API key that placed the order: a storefront key sees only its own orders. */
    placedBy: p.string(),
    status: p.string().$type<OrderStatus>(),
    currency: p.string(),
    customerEmail: p.string(),
    customerFirstName: p.string(),
    customerLastName: p.string(),
    customerId: p.string().nullable(),
    paymentMethod: p.string(),
    paymentCaptured: p.boolean(),
    shippingMethod: p.string(),
    shippingTitle: p.string(),
    shippingAmount: money(),
    shippingTax: money(),
    shippingDiscount: money(),
    subTotal: money(),
    tax: money(),
    discount: money(),
    grandTotal: money(),
    held: p.boolean(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    lines: () => p.oneToMany(OrderLine).mappedBy('order').orderBy({ position: 'asc' }),
    addresses: () => p.oneToMany(OrderAddress).mappedBy('order'),
  },
});
export type Order = InferEntity<typeof Order>;

export const OrderLine = defineEntity({
  name: 'OrderLine',
  tableName: 'order_lines',
  properties: {
    id: p.uuid().primary(),
    order: () => p.manyToOne(Order),
    position: p.integer(),
    sku: p.string(),
    name: p.string(),
    stockable: p.boolean(),
    unitPrice: money(),
    taxAmount: money(),
    discountAmount: money(),
    qtyOrdered: p.integer(),
    qtyInvoiced: p.integer(),
    qtyShipped: p.integer(),
    qtyRefunded: p.integer(),
    qtyCanceled: p.integer(),
  },
});
export type OrderLine = InferEntity<typeof OrderLine>;

export const OrderAddress = defineEntity({
  name: 'OrderAddress',
  tableName: 'order_addresses',
  properties: {
    order: () => p.manyToOne(Order).primary(),
    kind: p.string().$type<'billing' | 'shipping'>().primary(),
    name: p.string(),
    company: p.string().nullable(),
    line1: p.string(),
    line2: p.string().nullable(),
    city: p.string(),
    region: p.string().nullable(),
    postcode: p.string().nullable(),
    country: p.string(),
    phone: p.string().nullable(),
  },
});
export type OrderAddress = InferEntity<typeof OrderAddress>;

/** One entry of an order's history. Append-only: the database refuses updates and deletes. */
export const OrderEvent = defineEntity({
  name: 'OrderEvent',
  tableName: 'order_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.uuid(),
    type: p.string(),
    actor: p.string(),
    actionId: p.uuid().nullable(),
    data: p.json<Record<string, unknown>>(),
    createdAt: timestamp(),
  },
});
export type OrderEvent = InferEntity<typeof OrderEvent>;
