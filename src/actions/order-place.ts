import { Type } from '@sinclair/typebox';

import { planPlacement } from '../domain/placement.js';
import { Order, OrderAddress, OrderLine, Reservation, type AddressKind } from '../db/entities.js';
import { uuidv7 } from '../db/ids.js';
import { nextDocumentNumber } from '../db/sequences.js';
import { lockStockLevels } from '../db/stock.js';
import { defineAction } from './definition.js';
import { appendEvent, refreshStatus } from './history.js';
import { MAX_UNIT_PRICE, Money, Quantity, Sku, Strict, Text } from './schemas.js';

const Address = Strict({
  name: Text(200),
  company: Type.Optional(Text(200)),
  line1: Text(200),
  line2: Type.Optional(Text(200)),
  city: Text(100),
  region: Type.Optional(Text(100)),
  postcode: Type.Optional(Text(20)),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  phone: Type.Optional(Text(40)),
});

export const PlaceOrderBody = Strict({
  externalId: Type.Optional(Text(100, "the storefront's own reference")),
  channel: Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_.-]+$', default: 'default' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
  customer: Strict({
    email: Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
    firstName: Text(100),
    lastName: Text(100),
    id: Type.Optional(Text(100, "the storefront's customer id")),
  }),
  items: Type.Array(
    Strict({
      sku: Sku,
      name: Text(255),
      qty: Quantity('units ordered'),
      unitPrice: Money('price of one unit', { maximum: MAX_UNIT_PRICE }),
      taxAmount: Money('tax for all units of the line', { default: 0 }),
      discountAmount: Money('discount for all units of the line', { default: 0 }),
      stockable: Type.Boolean({ default: true, description: 'false for virtual or downloadable goods' }),
    }),
    { minItems: 1, maxItems: 500 },
  ),
  shipping: Strict({
    method: Text(64),
    title: Text(255),
    amount: Money('shipping amount'),
    taxAmount: Money('tax on shipping', { default: 0 }),
    discountAmount: Money('discount on shipping', { default: 0 }),
  }),
  billingAddress: Address,
  shippingAddress: Type.Optional(Address),
  payment: Strict({ method: Text(64), captured: Type.Boolean() }),
  grandTotal: Type.Optional(Money('the total the storefront showed; rejected with TOTALS_MISMATCH if it differs')),
});

export const placeOrder = defineAction({
  type: 'order.place',
  queue: 'orders',
  schema: PlaceOrderBody,
  async handle({ em, action, config, now, afterCommit }, input) {
    const skus = [...new Set(input.items.filter((line) => line.stockable).map((line) => line.sku))].sort();
    const levels = await lockStockLevels(em, skus);
    const salable = new Map(levels.map((level) => [level.sku, level.salable]));
    const plan = planPlacement(input, salable, { backorders: config.backorders });

    // Nothing after this reads or writes the database until the flush at commit: the order sequence stays locked
    // from here until then (gapless numbers, SPEC §2).
    const order = em.create(Order, {
      id: action.orderId,
      number: await nextDocumentNumber(em, 'order', config.numbers.order),
      externalId: input.externalId ?? null,
      channel: input.channel,
      placedBy: action.actorName,
      status: 'pending',
      currency: input.currency,
      customerEmail: input.customer.email,
      customerFirstName: input.customer.firstName,
      customerLastName: input.customer.lastName,
      customerId: input.customer.id ?? null,
      paymentMethod: input.payment.method,
      paymentCaptured: input.payment.captured,
      shippingMethod: input.shipping.method,
      shippingTitle: input.shipping.title,
      shippingAmount: input.shipping.amount,
      shippingTax: input.shipping.taxAmount,
      shippingDiscount: input.shipping.discountAmount,
      ...plan.totals,
      held: false,
      createdAt: action.createdAt,
      updatedAt: now,
    });
    const lines = input.items.map((line, position) =>
      em.create(OrderLine, {
        id: uuidv7(),
        order,
        position,
        sku: line.sku,
        name: line.name,
        stockable: line.stockable,
        unitPrice: line.unitPrice,
        taxAmount: line.taxAmount,
        discountAmount: line.discountAmount,
        qtyOrdered: line.qty,
        qtyInvoiced: 0,
        qtyShipped: 0,
        qtyRefunded: 0,
        qtyCanceled: 0,
      }),
    );
    const addresses: [AddressKind, typeof input.billingAddress | undefined][] = [
      ['billing', input.billingAddress],
      ['shipping', input.shippingAddress],
    ];
    for (const [kind, address] of addresses) {
      if (address) em.create(OrderAddress, { ...address, order, kind });
    }
    for (const reservation of plan.reservations) {
      const line = lines[reservation.lineIndex]!;
      em.create(Reservation, { lineId: line.id, orderId: order.id, sku: reservation.sku, qty: reservation.qty });
    }

    const cause = { actor: action.actorName, actionId: action.id, at: now, afterCommit };
    appendEvent(
      em,
      {
        orderId: order.id,
        type: action.type,
        actor: action.actorName,
        actionId: action.id,
        data: { number: order.number, grandTotal: order.grandTotal, reserved: plan.reservations },
        at: now,
      },
      afterCommit,
    );
    refreshStatus(em, order, [], cause, null);
    return { orderId: order.id };
  },
});
