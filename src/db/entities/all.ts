import { Action } from './actions.js';
import { Email, OutboxMessage, WebhookDelivery, WebhookSubscription } from './effects.js';
import { InventoryItem, InventorySource, Stock } from './inventory.js';
import { Invoice, InvoiceItem } from './invoices.js';
import { Order, OrderAddress, OrderEvent, OrderLine } from './orders.js';
import { Refund, RefundItem } from './refunds.js';
import { Return, ReturnItem } from './returns.js';
import { Shipment, ShipmentItem } from './shipments.js';

/**
 * The entities the ORM maps, for `ormOptions`. Tables that only plain SQL touches (reservations, payments, PDFs,
 * counters) have no entity.
 */
export const entities = [
  Action,
  Order,
  OrderLine,
  OrderAddress,
  OrderEvent,
  InventorySource,
  InventoryItem,
  Stock,
  Invoice,
  InvoiceItem,
  Shipment,
  ShipmentItem,
  Refund,
  RefundItem,
  Return,
  ReturnItem,
  OutboxMessage,
  Email,
  WebhookSubscription,
  WebhookDelivery,
];
