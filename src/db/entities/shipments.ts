import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamp } from './columns.js';

export const Shipment = defineEntity({
  name: 'Shipment',
  tableName: 'shipments',
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    number: p.string(),
    state: p.string().$type<'dispatched' | 'delivered'>(),
    sourceCode: p.string(),
    carrierCode: p.string(),
    carrierTitle: p.string(),
    trackingNumber: p.string(),
    deliveredAt: timestamp().nullable(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});
export type Shipment = InferEntity<typeof Shipment>;

export const ShipmentItem = defineEntity({
  name: 'ShipmentItem',
  tableName: 'shipment_items',
  properties: {
    shipmentId: p.uuid().primary(),
    lineId: p.uuid().primary(),
    qty: p.integer(),
  },
});
export type ShipmentItem = InferEntity<typeof ShipmentItem>;
