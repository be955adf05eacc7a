import { Type } from '@sinclair/typebox';
import { deliveryTime, planShipment } from '../domain/shipment.js';
import { uuidv7 } from '../db/ids.js';
import { applied, countLines, existingOrder } from './applied.js';
import { defineAction } from './definition.js';
import { DocumentItems, SourceCode, Strict, Text, Uuid } from './schemas.js';

/** Shipment actions (SPEC §3.5): shipping from a source, recording the delivery. */

export const CreateShipmentBody = Strict({
  source: SourceCode,
  carrier: Strict({ code: Text(64), title: Text(200) }),
  trackingNumber: Text(100),
  items: Type.Optional(DocumentItems('units to ship per line; default: everything still to ship')),
});

const ShipmentResult = Type.Object({ shipmentId: Uuid('the shipment') });
const shipmentLocation = (result: Record<string, string>) => `/v1/shipments/${result.shipmentId}`;

export const createShipment = defineAction({
  type: 'shipment.create',
  queue: 'shipments',
  route: {
    path: '/v1/orders/:id/shipments',
    role: 'admin',
    summary: 'Ship from an inventory source (all that is still to ship, or the items given)',
    tag: 'orders',
    target: { kind: 'order' },
  },
  body: CreateShipmentBody,
  payload: CreateShipmentBody,
  needs: [],
  sequence: 'shipment',
  plan(input) {
    const order = existingOrder(input);
    const { source } = input.payload;
    const onHand = new Map(
      order.lines
        .filter((line) => line.stockable && input.stock.isManaged(line.sku))
        .map((line) => [line.sku, input.stock.onHand(line.sku, source)]),
    );
    const items = planShipment({ number: order.number, held: order.held, lines: order.lines }, input.payload.items, {
      code: source,
      exists: input.stock.sourceExists(source),
      onHand,
    });
    return { order, items, source, managed: new Set(onHand.keys()) };
  },
  stock: {
    lock: 'orderLines',
    skus: (_payload, order) => (order?.lines ?? []).filter((line) => line.stockable).map((line) => line.sku),
    sources: (payload) => [payload.source],
    moves: ({ items, managed, source }) => ({
      take: items.filter(({ line }) => managed.has(line.sku)).map(({ line, qty }) => ({ sku: line.sku, source, qty })),
    }),
  },
  write({ order, items, managed }, input) {
    const { payload, now, number } = input;
    const id = uuidv7();
    const at = now.toISOString();
    const { lines, changes } = countLines(order, new Map(items.map(({ line, qty }) => [line.id, { qtyShipped: qty }])));
    changes.inserts.push({
      table: 'shipments',
      row: {
        id,
        order_id: order.id,
        number,
        state: 'dispatched',
        source_code: payload.source,
        carrier_code: payload.carrier.code,
        carrier_title: payload.carrier.title,
        tracking_number: payload.trackingNumber,
        delivered_at: null,
        created_at: at,
        updated_at: at,
      },
    });
    for (const { line, qty } of items) {
      changes.inserts.push({ table: 'shipment_items', row: { shipment_id: id, line_id: line.id, qty } });
      if (managed.has(line.sku)) {
        // The plan checked that the source holds these units, so the stock row exists.
        changes.changes.push({ table: 'stock', key: { sku: line.sku, source_code: payload.source }, add: { on_hand: -qty } });
      }
    }
    return applied(input, order, { lines }, {
      data: {
        shipmentId: id,
        number,
        source: payload.source,
        carrier: payload.carrier,
        trackingNumber: payload.trackingNumber,
        items: items.map(({ line, qty }) => ({ itemId: line.id, sku: line.sku, qty })),
      },
      changes,
      result: { shipmentId: id },
    });
  },
  location: shipmentLocation,
  result: ShipmentResult,
});

export const DeliverShipmentBody = Strict({
  deliveredAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it arrived; default now' })),
});

export const deliverShipment = defineAction({
  type: 'shipment.deliver',
  queue: 'shipments',
  route: {
    path: '/v1/shipments/:id/delivery',
    role: 'admin',
    summary: 'Record that a shipment was delivered (at the time given, or now)',
    tag: 'shipments',
    target: { kind: 'document', table: 'shipments', field: 'shipmentId', noun: 'shipment' },
  },
  body: DeliverShipmentBody,
  payload: Strict({ ...DeliverShipmentBody.properties, shipmentId: Uuid('the shipment delivered') }),
  needs: ['shipments'],
  plan(input) {
    const order = existingOrder(input);
    // The API took the order id from the shipment, so the shipment is this order's.
    const shipment = order.shipments.find((candidate) => candidate.id === input.payload.shipmentId);
    if (!shipment) throw new Error(`shipment ${input.payload.shipmentId} is not one of order ${order.id}`);
    const reported = input.payload.deliveredAt === undefined ? undefined : new Date(input.payload.deliveredAt);
    return { order, shipment, at: deliveryTime(shipment, reported, input.now) };
  },
  write({ order, shipment, at }, input) {
    return applied(input, order, {}, {
      data: { shipmentId: shipment.id, number: shipment.number, deliveredAt: at.toISOString() },
      changes: {
        inserts: [],
        changes: [
          {
            table: 'shipments',
            key: { id: shipment.id },
            set: { state: 'delivered', delivered_at: at.toISOString(), updated_at: input.now.toISOString() },
          },
        ],
        increments: [],
      },
      result: { shipmentId: shipment.id },
    });
  },
  location: shipmentLocation,
  result: ShipmentResult,
});
