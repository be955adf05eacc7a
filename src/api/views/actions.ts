import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { Action } from '../../db/entities/actions.js';
import { Nullable, Timestamp } from './fields.js';

export const ActionView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  orderId: Type.String(),
  status: Type.Union(['queued', 'processing', 'succeeded', 'rejected', 'failed'].map((s) => Type.Literal(s))),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
  error: Nullable(
    Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) }),
  ),
  attempts: Type.Integer(),
  createdAt: Timestamp,
  finishedAt: Nullable(Timestamp),
});
export type ActionView = Static<typeof ActionView>;

/** `order.place` → `OrderPlace`, `placeOrder` → `PlaceOrder`: a name in schema and operation names. */
export const typeName = (type: string) =>
  type
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * An action of one type, for the OpenAPI document: its `type` a constant and its `result` the definition's (the
 * ids of what it created), so a generated client reads them without casts.
 */
export const typedActionView = (definition: { type: string; result: TObject }) =>
  Type.Object(
    { ...ActionView.properties, type: Type.Literal(definition.type), result: Nullable(definition.result) },
    { title: `${typeName(definition.type)}Action`, description: `A ${definition.type} action; \`result\` once it succeeded.` },
  );

export function actionView(action: Action): ActionView {
  return {
    id: action.id,
    type: action.type,
    orderId: action.orderId,
    status: action.status,
    result: action.result ?? null,
    error: action.error ?? null,
    attempts: action.attempts,
    createdAt: action.createdAt.toISOString(),
    finishedAt: action.finishedAt?.toISOString() ?? null,
  };
}
