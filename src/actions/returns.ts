import { Type, type Static, type TObject } from '@sinclair/typebox';
import { planRefund, shipmentHistory } from '../domain/refund.js';
import {
  moveReturn,
  planReceipt,
  planReturnRequest,
  RETURN_REASONS,
  returnLine,
  type ReturnFacts,
} from '../domain/returns.js';
import { uuidv7 } from '../db/ids.js';
import type { OrderSnapshot } from '../db/snapshot.js';
import { noChanges } from '../db/write.js';
import { applied, existingOrder } from './applied.js';
import { defineAction, type Target } from './definition.js';
import { refundChanges, refundedItems, refundOrder } from './refunds.js';
import { MAX_QTY, Money, Reason, SourceCode, Strict, Text, Uuid } from './schemas.js';

/** Returns (RMA, SPEC §3.9): requested by the customer, approved or rejected, received, refunded; or canceled. */

const RETURN: Target = { kind: 'document', table: 'returns', field: 'returnId', noun: 'return' };
const ReturnResult = Type.Object({ returnId: Uuid('the return') });
const returnLocation = (result: Record<string, string>) => `/v1/returns/${result.returnId}`;
const ReturnId = { returnId: Uuid('the return') };

/** The return of the order that the payload names (the API took the order from it, so it is this order's). */
function namedReturn(order: OrderSnapshot, returnId: string): ReturnFacts {
  const found = order.returns.find((candidate) => candidate.id === returnId);
  if (!found) throw new Error(`return ${returnId} is not one of order ${order.id}`);
  return found;
}

export const RequestReturnBody = Strict({
  items: Type.Array(
    Strict({
      itemId: Uuid('an item (line) id of this order'),
      qty: Type.Integer({ minimum: 0, maximum: MAX_QTY, description: 'units to send back; 0 leaves the line out' }),
      reason: Type.Union(RETURN_REASONS.map((reason) => Type.Literal(reason)), { description: 'why' }),
      note: Type.Optional(Text(1000, "the customer's words")),
    }),
    { minItems: 1, maxItems: 500, description: 'units to send back per line' },
  ),
  note: Type.Optional(Text(1000, 'a note for the whole return')),
});

export const requestReturn = defineAction({
  type: 'return.request',
  queue: 'returns',
  route: {
    path: '/v1/orders/:id/returns',
    role: 'storefront',
    summary: 'Ask to send goods back (a return, RMA)',
    tag: 'returns',
    target: { kind: 'order' },
  },
  body: RequestReturnBody,
  payload: RequestReturnBody,
  needs: ['shipments', 'refunds', 'returns'],
  sequence: 'return',
  plan(input) {
    const order = existingOrder(input);
    const shipped = shipmentHistory(order.shipments, order.refunds);
    const plan = planReturnRequest(
      { number: order.number, held: order.held, lines: order.lines.map((line) => returnLine(line, order.refunds, order.returns)), latestDelivery: shipped.latestDelivery, latestShipment: shipped.latestShipment },
      input.payload.items,
      { days: input.config.refundWindowDays, now: input.now },
    );
    return { order, plan };
  },
  write({ order, plan }, input) {
    const id = uuidv7();
    const at = input.now.toISOString();
    const changes = noChanges();
    changes.inserts.push({
      table: 'returns',
      row: {
        id,
        order_id: order.id,
        number: input.number,
        state: 'requested',
        note: input.payload.note ?? null,
        requested_by: input.action.actorName,
        created_at: at,
        updated_at: at,
      },
    });
    for (const item of plan.items) {
      changes.inserts.push({
        table: 'return_items',
        row: { return_id: id, line_id: item.line.id, qty: item.qty, reason: item.reason, note: item.note, qty_resellable: 0, qty_damaged: 0 },
      });
    }
    return applied(input, order, {}, {
      data: {
        returnId: id,
        number: input.number,
        state: 'requested',
        items: plan.items.map((item) => ({ itemId: item.line.id, sku: item.line.sku, qty: item.qty, reason: item.reason, note: item.note })),
      },
      changes,
      result: { returnId: id },
    });
  },
  location: returnLocation,
  result: ReturnResult,
});

/** Approve, reject and cancel only move the return, with what the operator or the customer said. */
function decision<B extends TObject>(
  move: 'approve' | 'reject' | 'cancel',
  body: B,
  route: { role: 'admin' | 'storefront'; summary: string },
  said: { as: 'note' | 'reason'; of(payload: Static<B>): string | undefined },
) {
  return defineAction({
    type: `return.${move}`,
    queue: 'returns',
    route: { path: `/v1/returns/:id/${move}`, role: route.role, summary: route.summary, tag: 'returns', target: RETURN },
    body,
    payload: Strict({ ...body.properties, ...ReturnId }),
    needs: ['returns'],
    plan(input) {
      const order = existingOrder(input);
      const ret = namedReturn(order, input.payload.returnId);
      return { order, ret, state: moveReturn(ret, move) };
    },
    write({ order, ret, state }, input) {
      const words = said.of(input.payload as Static<B>) ?? null;
      return applied(input, order, {}, {
        data: { returnId: ret.id, number: ret.number, state, ...(words === null ? {} : { [said.as]: words }) },
        changes: {
          inserts: [],
          changes: [{ table: 'returns', key: { id: ret.id }, set: { state, decision_reason: words, updated_at: input.now.toISOString() } }],
          increments: [],
        },
        result: { returnId: ret.id },
      });
    },
    location: returnLocation,
    result: ReturnResult,
  });
}

const ApproveBody = Strict({ note: Type.Optional(Text(1000, 'what the customer should do next, added to the approval e-mail')) });
const RejectBody = Strict({ reason: Text(1000, 'why the return is refused, told to the customer') });
const CancelBody = Strict({ reason: Reason });

export const approveReturn = decision('approve', ApproveBody, { role: 'admin', summary: 'Approve a requested return' }, {
  as: 'note',
  of: (payload) => payload.note,
});
export const rejectReturn = decision('reject', RejectBody, { role: 'admin', summary: 'Reject a requested return (reason required)' }, {
  as: 'reason',
  of: (payload) => payload.reason,
});
export const cancelReturn = decision('cancel', CancelBody, { role: 'storefront', summary: 'Cancel a return not received yet' }, {
  as: 'reason',
  of: (payload) => payload.reason,
});

export const ReceiveReturnBody = Strict({
  source: SourceCode,
  items: Type.Optional(
    Type.Array(
      Strict({
        itemId: Uuid('an item (line) id of the return'),
        qty: Type.Integer({ minimum: 0, maximum: MAX_QTY }),
        condition: Type.Union([Type.Literal('resellable'), Type.Literal('damaged')], {
          default: 'resellable',
          description: 'resellable units go back on hand at the source; damaged ones do not',
        }),
      }),
      { minItems: 1, maxItems: 1000, description: 'what arrived per line and condition; default: everything asked for, resellable' },
    ),
  ),
});

export const receiveReturn = defineAction({
  type: 'return.receive',
  queue: 'returns',
  route: { path: '/v1/returns/:id/receive', role: 'admin', summary: 'Record what arrived of a return, and in which condition', tag: 'returns', target: RETURN },
  body: ReceiveReturnBody,
  payload: Strict({ ...ReceiveReturnBody.properties, ...ReturnId }),
  needs: ['returns'],
  plan(input) {
    const order = existingOrder(input);
    const ret = namedReturn(order, input.payload.returnId);
    const { source } = input.payload;
    return { order, ret, plan: planReceipt(ret, order.lines, input.payload.items, { code: source, exists: input.stock.sourceExists(source) }) };
  },
  stock: { skus: () => [], sources: (payload) => [payload.source] },
  write({ order, ret, plan }, input) {
    const at = input.now.toISOString();
    const { source } = input.payload;
    const changes = noChanges();
    changes.changes.push({ table: 'returns', key: { id: ret.id }, set: { state: plan.state, source_code: source, received_at: at, updated_at: at } });
    for (const item of plan.items) {
      changes.changes.push({
        table: 'return_items',
        key: { return_id: ret.id, line_id: item.lineId },
        set: { qty_resellable: item.qtyResellable, qty_damaged: item.qtyDamaged },
      });
      const line = order.lines.find((candidate) => candidate.id === item.lineId)!;
      // Resellable units of stock-managed SKUs go back on hand; damaged ones do not.
      if (item.qtyResellable > 0 && line.managed) {
        changes.increments.push({ table: 'stock', key: { sku: line.sku, source_code: source }, add: { on_hand: item.qtyResellable } });
      }
    }
    return applied(input, order, {}, {
      data: {
        returnId: ret.id,
        number: ret.number,
        state: plan.state,
        source,
        items: plan.items.map((item) => ({
          itemId: item.lineId,
          sku: order.lines.find((line) => line.id === item.lineId)!.sku,
          qtyResellable: item.qtyResellable,
          qtyDamaged: item.qtyDamaged,
        })),
      },
      changes,
      result: { returnId: ret.id },
    });
  },
  location: returnLocation,
  result: ReturnResult,
});

export const RefundReturnBody = Strict({
  shipping: Money('shipping to refund', { default: 0 }),
  adjustmentRefund: Money('extra amount given back', { default: 0 }),
  adjustmentFee: Money('fee kept back, e.g. for restocking', { default: 0 }),
  reason: Reason,
});

export const refundReturn = defineAction({
  type: 'return.refund',
  queue: 'returns',
  route: { path: '/v1/returns/:id/refund', role: 'admin', summary: 'Refund what arrived of a return (credit memo)', tag: 'returns', target: RETURN },
  body: RefundReturnBody,
  payload: Strict({ ...RefundReturnBody.properties, ...ReturnId }),
  needs: ['shipments', 'refunds', 'returns'],
  sequence: 'refund',
  plan(input) {
    const { payload, now } = input;
    const order = existingOrder(input);
    const ret = namedReturn(order, payload.returnId);
    const state = moveReturn(ret, 'refund');
    const items = ret.items
      .filter((item) => item.qtyResellable + item.qtyDamaged > 0)
      .map((item) => ({ itemId: item.lineId, qty: item.qtyResellable + item.qtyDamaged, returnToStock: false }));
    // Receiving put resellable units back on hand: the credit memo restocks nothing again.
    const plan = planRefund(refundOrder(order), { ...payload, items, overrideWindow: false, ofReturn: true }, { days: input.config.refundWindowDays, now });
    return { order, ret, state, plan };
  },
  write({ order, ret, state, plan }, input) {
    const { refundId, lines, changes } = refundChanges(order, plan, {
      number: input.number,
      reason: input.payload.reason ?? null,
      now: input.now,
      returnId: ret.id,
    });
    changes.changes.push({ table: 'returns', key: { id: ret.id }, set: { state, refund_id: refundId, updated_at: input.now.toISOString() } });
    return applied(input, order, { lines }, {
      data: { returnId: ret.id, returnNumber: ret.number, state, refundId, number: input.number, grandTotal: plan.grandTotal, items: refundedItems(plan) },
      changes,
      result: { returnId: ret.id, refundId },
    });
  },
  location: (result) => `/v1/refunds/${result.refundId}`,
  result: Type.Object({ returnId: Uuid('the return'), refundId: Uuid('its refund (credit memo)') }),
});
