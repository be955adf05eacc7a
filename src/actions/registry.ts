import type { ActionQueueName } from '../queues/names.js';
import type { ActionDefinition } from './definition.js';
import { createInvoice, payInvoice, remindInvoice } from './invoices.js';
import { cancelOrder, commentOrder, holdOrder, placeOrder, unholdOrder } from './orders.js';
import { createRefund } from './refunds.js';
import { approveReturn, cancelReturn, receiveReturn, refundReturn, rejectReturn, requestReturn } from './returns.js';
import { createShipment, deliverShipment } from './shipments.js';

/** Every action type the pipeline applies: the one list the routes, the OpenAPI document and the workers read. */
export const actionDefinitions: readonly ActionDefinition[] = [
  placeOrder,
  cancelOrder,
  holdOrder,
  unholdOrder,
  commentOrder,
  createInvoice,
  payInvoice,
  remindInvoice,
  createShipment,
  deliverShipment,
  createRefund,
  requestReturn,
  approveReturn,
  rejectReturn,
  cancelReturn,
  receiveReturn,
  refundReturn,
];

const byType = new Map(actionDefinitions.map((definition) => [definition.type, definition]));

export function actionDefinition(type: string): ActionDefinition {
  const definition = byType.get(type);
  if (!definition) throw new Error(`unknown action type ${type}`);
  return definition;
}

export function queueOf(type: string): ActionQueueName {
  return actionDefinition(type).queue;
}

export function isActionType(type: string): boolean {
  return byType.has(type);
}
