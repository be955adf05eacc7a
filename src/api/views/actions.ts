import { Type, type Static } from '@sinclair/typebox';
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
