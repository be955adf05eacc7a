import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamp } from './columns.js';

/** A warehouse that holds stock; only active sources count towards salable stock. */
export const InventorySource = defineEntity({
  name: 'InventorySource',
  tableName: 'inventory_sources',
  properties: {
    code: p.string().primary(),
    name: p.string(),
    contactEmail: p.string().nullable(),
    active: p.boolean(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});
export type InventorySource = InferEntity<typeof InventorySource>;

/** A SKU that inventory manages: orders for it reserve stock. */
export const InventoryItem = defineEntity({
  name: 'InventoryItem',
  tableName: 'inventory_items',
  properties: {
    sku: p.string().primary(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  },
});
export type InventoryItem = InferEntity<typeof InventoryItem>;

/** Units of a SKU on hand at one source. */
export const Stock = defineEntity({
  name: 'Stock',
  tableName: 'stock',
  properties: {
    sku: p.string().primary(),
    sourceCode: p.string().primary(),
    onHand: p.integer(),
  },
});
export type Stock = InferEntity<typeof Stock>;
