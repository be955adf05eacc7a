import { Type } from '@sinclair/typebox';
import { deliveryTime, planShipment } from '../domain/shipment.js';
import { InventorySource, Shipment, ShipmentItem } from '../db/entities.js';
import { uuidv7 } from '../db/ids.js';
import { nextDocumentNumber } from '../db/sequences.js';
import { lockStockLevels } from '../db/stock.js';
import { defineAction } from './definition.js';
import { DocumentItems } from './invoice.js';
import { lockOrder, recordApplied, syncReservations } from './order-state.js';
import { SourceCode, Strict, Text, Uuid } from './schemas.js';

export const CreateShipmentBody = Strict({
  source: SourceCode,
  carrier: Strict({ code: Text(64), title: Text(200) }),
  trackingNumber: Text(100),
  items: Type.Optional(DocumentItems('units to ship per line; default: everything still to ship')),
});

export const createShipment = defineAction({
  type: 'shipment.create',
  queue: 'shipments',
  schema: CreateShipmentBody,
  async handle(ctx, input) {
    const { em, action, config, now } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    const lines = order.lines.getItems();
    const source = await em.findOne(InventorySource, { code: input.source });
    const skus = [...new Set(lines.filter((line) => line.stockable).map((line) => line.sku))].sort();
    const levels = await lockStockLevels(em, skus);
    const onHand = new Map(
      levels.map((level) => [level.sku, level.sources.find((s) => s.code === input.source)?.onHand ?? 0]),
    );
    const plan = planShipment({ number: order.number, held: order.held, lines }, input.items, {
      code: input.source,
      exists: source !== null,
      onHand,
    });

    for (const { line, qty } of plan) {
      line.qtyShipped += qty;
      if (onHand.has(line.sku)) {
        await em.execute('update stock set on_hand = on_hand - ? where sku = ? and source_code = ?', [
          qty,
          line.sku,
          input.source,
        ]);
      }
    }
    await syncReservations(em, order);
    // The number is taken last: its sequence stays locked until commit (gapless numbers, SPEC §2).
    const shipment = em.create(Shipment, {
      id: uuidv7(),
      orderId: order.id,
      number: await nextDocumentNumber(em, 'shipment', config.numbers.shipment),
      state: 'dispatched',
      sourceCode: input.source,
      carrierCode: input.carrier.code,
      carrierTitle: input.carrier.title,
      trackingNumber: input.trackingNumber,
      deliveredAt: null,
      createdAt: now,
      updatedAt: now,
    });
    for (const { line, qty } of plan) em.create(ShipmentItem, { shipmentId: shipment.id, lineId: line.id, qty });
    recordApplied(ctx, locked, {
      shipmentId: shipment.id,
      number: shipment.number,
      source: input.source,
      carrier: input.carrier,
      trackingNumber: input.trackingNumber,
      items: plan.map(({ line, qty }) => ({ itemId: line.id, sku: line.sku, qty })),
    });
    return { shipmentId: shipment.id };
  },
});

export const DeliverShipmentBody = Strict({
  deliveredAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it arrived; default now' })),
});

export const deliverShipment = defineAction({
  type: 'shipment.deliver',
  queue: 'shipments',
  schema: Strict({ ...DeliverShipmentBody.properties, shipmentId: Uuid('the shipment delivered') }),
  async handle(ctx, input) {
    const { em, action, now } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    // The API took the order id from the shipment, so the shipment is this order's.
    const shipment = await em.findOneOrFail(Shipment, { id: input.shipmentId, orderId: order.id });
    const at = deliveryTime(shipment, input.deliveredAt === undefined ? undefined : new Date(input.deliveredAt), now);
    Object.assign(shipment, { state: 'delivered', deliveredAt: at, updatedAt: now });
    recordApplied(ctx, locked, {
      shipmentId: shipment.id,
      number: shipment.number,
      deliveredAt: at.toISOString(),
    });
    return { shipmentId: shipment.id };
  },
});
