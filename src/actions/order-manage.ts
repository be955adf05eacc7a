import { Type } from '@sinclair/typebox';
import { assertCanHold, assertCanUnhold, planCancel } from '../domain/lifecycle.js';
import type { Order } from '../db/entities.js';
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

/** Hold and unhold differ only in their guard and the flag they set. */
const holdAction = (type: 'order.hold' | 'order.unhold', held: boolean, guard: (order: Order) => void) =>
  defineAction({
    type,
    queue: 'orders',
    schema: ReasonBody,
    async handle(ctx, input) {
      const locked = await lockOrder(ctx.em, ctx.action.orderId);
      guard(locked.order);
      locked.order.held = held;
      recordApplied(ctx, locked, { reason: input.reason ?? null });
      return { orderId: locked.order.id };
    },
  });

export const holdOrder = holdAction('order.hold', true, assertCanHold);
export const unholdOrder = holdAction('order.unhold', false, assertCanUnhold);

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
