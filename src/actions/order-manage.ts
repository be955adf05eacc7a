import { Type } from '@sinclair/typebox';
import { assertCanHold, assertCanUnhold, planCancel } from '../domain/lifecycle.js';
import { defineAction } from './definition.js';
import { lockOrder, recordApplied, syncReservations } from './order-state.js';
import { Reason, Strict, Text } from './schemas.js';

export const ReasonBody = Strict({ reason: Reason });

export const cancelOrder = defineAction({
  type: 'order.cancel',
  queue: 'orders',
  schema: ReasonBody,
  async handle(ctx, input) {
    const { em, action } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    const lines = order.lines.getItems();
    const units = planCancel({ held: order.held, number: order.number, lines });
    lines.forEach((line, index) => (line.qtyCanceled += units[index]!));
    await syncReservations(em, order);
    recordApplied(ctx, locked, {
      reason: input.reason ?? null,
      canceled: lines
        .map((line, index) => ({ itemId: line.id, sku: line.sku, qty: units[index]! }))
        .filter((line) => line.qty > 0),
    });
    return { orderId: order.id };
  },
});

export const holdOrder = defineAction({
  type: 'order.hold',
  queue: 'orders',
  schema: ReasonBody,
  async handle(ctx, input) {
    const { em, action } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    assertCanHold(order);
    order.held = true;
    recordApplied(ctx, locked, { reason: input.reason ?? null });
    return { orderId: order.id };
  },
});

export const unholdOrder = defineAction({
  type: 'order.unhold',
  queue: 'orders',
  schema: ReasonBody,
  async handle(ctx, input) {
    const { em, action } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    assertCanUnhold(order);
    order.held = false;
    recordApplied(ctx, locked, { reason: input.reason ?? null });
    return { orderId: order.id };
  },
});

export const CommentBody = Strict({
  comment: Text(5000, 'the comment, 1 to 5000 characters'),
  notifyCustomer: Type.Boolean({ default: false, description: 'e-mail the comment to the customer' }),
});

export const commentOrder = defineAction({
  type: 'order.comment',
  queue: 'orders',
  schema: CommentBody,
  async handle(ctx, input) {
    const { em, action } = ctx;
    const locked = await lockOrder(em, action.orderId);
    const { order } = locked;
    recordApplied(ctx, locked, { comment: input.comment, notifyCustomer: input.notifyCustomer });
    return { orderId: order.id };
  },
});
