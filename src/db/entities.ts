import { BigIntType, Collection, EntitySchema, type Rel } from '@mikro-orm/core';
import type { InvoiceState, OrderStatus } from '../domain/order.js';

/**
 * Entities are plain classes described by EntitySchema (no decorators: tsx emits no decorator metadata).
 * Money columns are bigint in PostgreSQL and `number` here; the domain keeps every amount a safe integer.
 */
const money = () => ({ type: new BigIntType('number') }) as const;
const timestamp = () => ({ type: 'Date', columnType: 'timestamptz' }) as const;

export type ActionStatus = 'queued' | 'processing' | 'succeeded' | 'rejected' | 'failed';

export interface ActionError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export class Action {
  id!: string;
  seq!: number;
  type!: string;
  orderId!: string;
  payload!: Record<string, unknown>;
  actorName!: string;
  actorRole!: string;
  idempotencyKey?: string | null;
  requestHash!: string;
  requestId?: string | null;
  status!: ActionStatus;
  result?: Record<string, unknown> | null;
  error?: ActionError | null;
  attempts!: number;
  createdAt!: Date;
  updatedAt!: Date;
  finishedAt?: Date | null;
}

export const ActionSchema = new EntitySchema<Action>({
  class: Action,
  tableName: 'actions',
  properties: {
    id: { type: 'uuid', primary: true },
    seq: { ...money(), persist: false },
    type: { type: 'string' },
    orderId: { type: 'uuid' },
    payload: { type: 'json' },
    actorName: { type: 'string' },
    actorRole: { type: 'string' },
    idempotencyKey: { type: 'string', nullable: true },
    requestHash: { type: 'string' },
    requestId: { type: 'string', nullable: true },
    status: { type: 'string' },
    result: { type: 'json', nullable: true },
    error: { type: 'json', nullable: true },
    attempts: { type: 'integer' },
    createdAt: timestamp(),
    updatedAt: timestamp(),
    finishedAt: { ...timestamp(), nullable: true },
  },
});

export class Order {
  id!: string;
  number!: string;
  externalId?: string | null;
  channel!: string;
  /** The name of the API key that placed the order: a storefront key sees only its own orders. */
  placedBy!: string;
  status!: OrderStatus;
  currency!: string;
  customerEmail!: string;
  customerFirstName!: string;
  customerLastName!: string;
  customerId?: string | null;
  paymentMethod!: string;
  paymentCaptured!: boolean;
  shippingMethod!: string;
  shippingTitle!: string;
  shippingAmount!: number;
  shippingTax!: number;
  shippingDiscount!: number;
  subTotal!: number;
  tax!: number;
  discount!: number;
  grandTotal!: number;
  held!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  lines = new Collection<OrderLine>(this);
  addresses = new Collection<OrderAddress>(this);
}

export const OrderSchema = new EntitySchema<Order>({
  class: Order,
  tableName: 'orders',
  properties: {
    id: { type: 'uuid', primary: true },
    number: { type: 'string' },
    externalId: { type: 'string', nullable: true },
    channel: { type: 'string' },
    placedBy: { type: 'string' },
    status: { type: 'string' },
    currency: { type: 'string' },
    customerEmail: { type: 'string' },
    customerFirstName: { type: 'string' },
    customerLastName: { type: 'string' },
    customerId: { type: 'string', nullable: true },
    paymentMethod: { type: 'string' },
    paymentCaptured: { type: 'boolean' },
    shippingMethod: { type: 'string' },
    shippingTitle: { type: 'string' },
    shippingAmount: money(),
    shippingTax: money(),
    shippingDiscount: money(),
    subTotal: money(),
    tax: money(),
    discount: money(),
    grandTotal: money(),
    held: { type: 'boolean' },
    createdAt: timestamp(),
    updatedAt: timestamp(),
    lines: { kind: '1:m', entity: () => OrderLine, mappedBy: 'order', orderBy: { position: 'asc' } },
    addresses: { kind: '1:m', entity: () => OrderAddress, mappedBy: 'order' },
  },
});

export class OrderLine {
  id!: string;
  order!: Rel<Order>;
  position!: number;
  sku!: string;
  name!: string;
  stockable!: boolean;
  unitPrice!: number;
  taxAmount!: number;
  discountAmount!: number;
  qtyOrdered!: number;
  qtyInvoiced!: number;
  qtyShipped!: number;
  qtyRefunded!: number;
  qtyCanceled!: number;
}

export const OrderLineSchema = new EntitySchema<OrderLine>({
  class: OrderLine,
  tableName: 'order_lines',
  properties: {
    id: { type: 'uuid', primary: true },
    order: { kind: 'm:1', entity: () => Order },
    position: { type: 'integer' },
    sku: { type: 'string' },
    name: { type: 'string' },
    stockable: { type: 'boolean' },
    unitPrice: money(),
    taxAmount: money(),
    discountAmount: money(),
    qtyOrdered: { type: 'integer' },
    qtyInvoiced: { type: 'integer' },
    qtyShipped: { type: 'integer' },
    qtyRefunded: { type: 'integer' },
    qtyCanceled: { type: 'integer' },
  },
});

export type AddressKind = 'billing' | 'shipping';

export class OrderAddress {
  order!: Rel<Order>;
  kind!: AddressKind;
  name!: string;
  company?: string | null;
  line1!: string;
  line2?: string | null;
  city!: string;
  region?: string | null;
  postcode?: string | null;
  country!: string;
  phone?: string | null;
}

export const OrderAddressSchema = new EntitySchema<OrderAddress>({
  class: OrderAddress,
  tableName: 'order_addresses',
  properties: {
    order: { kind: 'm:1', entity: () => Order, primary: true },
    kind: { type: 'string', primary: true },
    name: { type: 'string' },
    company: { type: 'string', nullable: true },
    line1: { type: 'string' },
    line2: { type: 'string', nullable: true },
    city: { type: 'string' },
    region: { type: 'string', nullable: true },
    postcode: { type: 'string', nullable: true },
    country: { type: 'string' },
    phone: { type: 'string', nullable: true },
  },
});

/** One entry of an order's history. Append-only: the database refuses updates and deletes. */
export class OrderEvent {
  id!: number;
  orderId!: string;
  type!: string;
  actor!: string;
  actionId?: string | null;
  data!: Record<string, unknown>;
  createdAt!: Date;
}

export const OrderEventSchema = new EntitySchema<OrderEvent>({
  class: OrderEvent,
  tableName: 'order_events',
  properties: {
    id: { ...money(), primary: true, autoincrement: true },
    orderId: { type: 'uuid' },
    type: { type: 'string' },
    actor: { type: 'string' },
    actionId: { type: 'uuid', nullable: true },
    data: { type: 'json' },
    createdAt: timestamp(),
  },
});

export class InventorySource {
  code!: string;
  name!: string;
  contactEmail?: string | null;
  active!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export const InventorySourceSchema = new EntitySchema<InventorySource>({
  class: InventorySource,
  tableName: 'inventory_sources',
  properties: {
    code: { type: 'string', primary: true },
    name: { type: 'string' },
    contactEmail: { type: 'string', nullable: true },
    active: { type: 'boolean' },
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});

/** A SKU that inventory manages: orders for it reserve stock. */
export class InventoryItem {
  sku!: string;
  createdAt!: Date;
  updatedAt!: Date;
}

export const InventoryItemSchema = new EntitySchema<InventoryItem>({
  class: InventoryItem,
  tableName: 'inventory_items',
  properties: {
    sku: { type: 'string', primary: true },
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});

export class Stock {
  sku!: string;
  sourceCode!: string;
  onHand!: number;
}

export const StockSchema = new EntitySchema<Stock>({
  class: Stock,
  tableName: 'stock',
  properties: {
    sku: { type: 'string', primary: true },
    sourceCode: { type: 'string', primary: true },
    onHand: { type: 'integer' },
  },
});

/** Units of an order line held in the warehouse until they ship, are canceled or are refunded unshipped. */
export class Reservation {
  lineId!: string;
  orderId!: string;
  sku!: string;
  qty!: number;
}

export const ReservationSchema = new EntitySchema<Reservation>({
  class: Reservation,
  tableName: 'reservations',
  properties: {
    lineId: { type: 'uuid', primary: true },
    orderId: { type: 'uuid' },
    sku: { type: 'string' },
    qty: { type: 'integer' },
  },
});


export class Invoice {
  id!: string;
  orderId!: string;
  number!: string;
  state!: InvoiceState;
  dueAt?: Date | null;
  subTotal!: number;
  shippingAmount!: number;
  shippingTax!: number;
  shippingDiscount!: number;
  tax!: number;
  discount!: number;
  grandTotal!: number;
  paidAmount!: number;
  remindersSent!: number;
  lastReminderAt?: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const InvoiceSchema = new EntitySchema<Invoice>({
  class: Invoice,
  tableName: 'invoices',
  properties: {
    id: { type: 'uuid', primary: true },
    orderId: { type: 'uuid' },
    number: { type: 'string' },
    state: { type: 'string' },
    dueAt: { ...timestamp(), nullable: true },
    subTotal: money(),
    shippingAmount: money(),
    shippingTax: money(),
    shippingDiscount: money(),
    tax: money(),
    discount: money(),
    grandTotal: money(),
    paidAmount: money(),
    remindersSent: { type: 'integer' },
    lastReminderAt: { ...timestamp(), nullable: true },
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});

/** A line's share on a document: units, and the prorated amounts they carry. */
interface DocumentItemColumns {
  lineId: string;
  qty: number;
  unitPrice: number;
  rowTotal: number;
  taxAmount: number;
  discountAmount: number;
}

const documentItemProperties = {
  lineId: { type: 'uuid', primary: true },
  qty: { type: 'integer' },
  unitPrice: money(),
  rowTotal: money(),
  taxAmount: money(),
  discountAmount: money(),
} as const;

export class InvoiceItem implements DocumentItemColumns {
  invoiceId!: string;
  lineId!: string;
  qty!: number;
  unitPrice!: number;
  rowTotal!: number;
  taxAmount!: number;
  discountAmount!: number;
}

export const InvoiceItemSchema = new EntitySchema<InvoiceItem>({
  class: InvoiceItem,
  tableName: 'invoice_items',
  properties: { invoiceId: { type: 'uuid', primary: true }, ...documentItemProperties },
});

export class Payment {
  id!: string;
  invoiceId!: string;
  orderId!: string;
  amount!: number;
  method!: string;
  reference?: string | null;
  createdAt!: Date;
}

export const PaymentSchema = new EntitySchema<Payment>({
  class: Payment,
  tableName: 'payments',
  properties: {
    id: { type: 'uuid', primary: true },
    invoiceId: { type: 'uuid' },
    orderId: { type: 'uuid' },
    amount: money(),
    method: { type: 'string' },
    reference: { type: 'string', nullable: true },
    createdAt: timestamp(),
  },
});

export type ShipmentState = 'dispatched' | 'delivered';

export class Shipment {
  id!: string;
  orderId!: string;
  number!: string;
  state!: ShipmentState;
  sourceCode!: string;
  carrierCode!: string;
  carrierTitle!: string;
  trackingNumber!: string;
  deliveredAt?: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ShipmentSchema = new EntitySchema<Shipment>({
  class: Shipment,
  tableName: 'shipments',
  properties: {
    id: { type: 'uuid', primary: true },
    orderId: { type: 'uuid' },
    number: { type: 'string' },
    state: { type: 'string' },
    sourceCode: { type: 'string' },
    carrierCode: { type: 'string' },
    carrierTitle: { type: 'string' },
    trackingNumber: { type: 'string' },
    deliveredAt: { ...timestamp(), nullable: true },
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});

export class ShipmentItem {
  shipmentId!: string;
  lineId!: string;
  qty!: number;
}

export const ShipmentItemSchema = new EntitySchema<ShipmentItem>({
  class: ShipmentItem,
  tableName: 'shipment_items',
  properties: {
    shipmentId: { type: 'uuid', primary: true },
    lineId: { type: 'uuid', primary: true },
    qty: { type: 'integer' },
  },
});

export type RefundPaymentStatus = 'pending' | 'succeeded' | 'failed';

export class Refund {
  id!: string;
  orderId!: string;
  number!: string;
  subTotal!: number;
  shippingAmount!: number;
  shippingTax!: number;
  tax!: number;
  discount!: number;
  adjustmentRefund!: number;
  adjustmentFee!: number;
  grandTotal!: number;
  reason?: string | null;
  paymentStatus!: RefundPaymentStatus;
  paymentReference?: string | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const RefundSchema = new EntitySchema<Refund>({
  class: Refund,
  tableName: 'refunds',
  properties: {
    id: { type: 'uuid', primary: true },
    orderId: { type: 'uuid' },
    number: { type: 'string' },
    subTotal: money(),
    shippingAmount: money(),
    shippingTax: money(),
    tax: money(),
    discount: money(),
    adjustmentRefund: money(),
    adjustmentFee: money(),
    grandTotal: money(),
    reason: { type: 'string', nullable: true },
    paymentStatus: { type: 'string' },
    paymentReference: { type: 'string', nullable: true },
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});

export class RefundItem implements DocumentItemColumns {
  refundId!: string;
  lineId!: string;
  qty!: number;
  returnToStock!: boolean;
  fromUnshipped!: number;
  fromShipped!: { source: string; qty: number }[];
  unitPrice!: number;
  rowTotal!: number;
  taxAmount!: number;
  discountAmount!: number;
}

export const RefundItemSchema = new EntitySchema<RefundItem>({
  class: RefundItem,
  tableName: 'refund_items',
  properties: {
    refundId: { type: 'uuid', primary: true },
    ...documentItemProperties,
    returnToStock: { type: 'boolean' },
    fromUnshipped: { type: 'integer' },
    fromShipped: { type: 'json' },
  },
});

/** Follow-up work written in the action's transaction and enqueued after commit (or by the relay). */
export class OutboxMessage {
  id!: string;
  queue!: string;
  name!: string;
  payload!: Record<string, unknown>;
  createdAt!: Date;
  /** When the relay next makes sure a job exists for this row, while it is open. */
  dueAt!: Date;
  /** Set once the effect happened (`done`) or failed for good (`failed`). */
  doneAt?: Date | null;
  outcome?: 'done' | 'failed' | null;
}

export const OutboxMessageSchema = new EntitySchema<OutboxMessage>({
  class: OutboxMessage,
  tableName: 'outbox',
  properties: {
    id: { type: 'uuid', primary: true },
    queue: { type: 'string' },
    name: { type: 'string' },
    payload: { type: 'json' },
    createdAt: timestamp(),
    dueAt: timestamp(),
    doneAt: { ...timestamp(), nullable: true },
    outcome: { type: 'string', nullable: true },
  },
});


export type EmailStatus = 'pending' | 'sending' | 'sent' | 'logged' | 'failed';

/** The record of one e-mail to a customer (SPEC §3.8). */
export class Email {
  id!: string;
  eventId!: string;
  orderId!: string;
  kind!: string;
  recipient!: string;
  subject!: string;
  status!: EmailStatus;
  attempts!: number;
  providerId?: string | null;
  lastError?: string | null;
  createdAt!: Date;
  sentAt?: Date | null;
}

export const EmailSchema = new EntitySchema<Email>({
  class: Email,
  tableName: 'emails',
  properties: {
    id: { type: 'uuid', primary: true },
    eventId: { type: 'uuid' },
    orderId: { type: 'uuid' },
    kind: { type: 'string' },
    recipient: { type: 'string' },
    subject: { type: 'string' },
    status: { type: 'string' },
    attempts: { type: 'integer' },
    providerId: { type: 'string', nullable: true },
    lastError: { type: 'string', nullable: true },
    createdAt: timestamp(),
    sentAt: { ...timestamp(), nullable: true },
  },
});

export class WebhookSubscription {
  id!: string;
  url!: string;
  secret!: string;
  eventTypes!: string[];
  createdAt!: Date;
  deletedAt?: Date | null;
}

export const WebhookSubscriptionSchema = new EntitySchema<WebhookSubscription>({
  class: WebhookSubscription,
  tableName: 'webhook_subscriptions',
  properties: {
    id: { type: 'uuid', primary: true },
    url: { type: 'string' },
    secret: { type: 'string' },
    eventTypes: { type: 'json' },
    createdAt: timestamp(),
    deletedAt: { ...timestamp(), nullable: true },
  },
});

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export class WebhookDelivery {
  id!: string;
  subscriptionId!: string;
  eventId!: string;
  eventType!: string;
  orderId?: string | null;
  payload!: Record<string, unknown>;
  status!: DeliveryStatus;
  attempts!: number;
  responseStatus?: number | null;
  responseExcerpt?: string | null;
  durationMs?: number | null;
  lastError?: string | null;
  /** While a job is sending it (see src/effects/claims.ts). */
  claimedAt?: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
  deliveredAt?: Date | null;
}

export const WebhookDeliverySchema = new EntitySchema<WebhookDelivery>({
  class: WebhookDelivery,
  tableName: 'webhook_deliveries',
  properties: {
    id: { type: 'uuid', primary: true },
    subscriptionId: { type: 'uuid' },
    eventId: { type: 'uuid' },
    eventType: { type: 'string' },
    orderId: { type: 'uuid', nullable: true },
    payload: { type: 'json' },
    status: { type: 'string' },
    attempts: { type: 'integer' },
    responseStatus: { type: 'integer', nullable: true },
    responseExcerpt: { type: 'string', nullable: true },
    durationMs: { type: 'integer', nullable: true },
    lastError: { type: 'string', nullable: true },
    claimedAt: { ...timestamp(), nullable: true },
    createdAt: timestamp(),
    updatedAt: timestamp(),
    deliveredAt: { ...timestamp(), nullable: true },
  },
});

export const entities = [
  ActionSchema,
  OrderSchema,
  OrderLineSchema,
  OrderAddressSchema,
  OrderEventSchema,
  InventorySourceSchema,
  InventoryItemSchema,
  StockSchema,
  ReservationSchema,
  InvoiceSchema,
  InvoiceItemSchema,
  PaymentSchema,
  ShipmentSchema,
  ShipmentItemSchema,
  RefundSchema,
  RefundItemSchema,
  OutboxMessageSchema,
  EmailSchema,
  WebhookSubscriptionSchema,
  WebhookDeliverySchema,
];
