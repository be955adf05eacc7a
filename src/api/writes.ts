import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Action } from '../db/entities.js';
import { sendProblem } from './plugins/errors.js';
import { Problem } from './problem.js';
import { ActionView, actionView } from './views.js';
import type { Intake } from './intake.js';

export const MAX_WAIT_SECONDS = 30;

/**
 * Headers every write accepts, for the documentation; they are checked by `idempotencyKey` and `preferredWait`
 * so that a missing key gets its own code.
 */
export const WriteHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'a replay with the same key and body returns the same action (required to place an order)' }),
  ),
  prefer: Type.Optional(Type.String({ description: 'wait=N (N ≤ 30): hold the answer until the action ends' })),
});

export const WriteAccepted = Type.Object({ orderId: Type.String(), action: ActionView });

/** The Idempotency-Key header: 1–255 visible ASCII characters. */
export function idempotencyKey(request: FastifyRequest, required: boolean): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) {
    if (!required) return undefined;
    throw new Problem(400, 'IDEMPOTENCY_KEY_REQUIRED', 'Idempotency-Key required', 'Send an Idempotency-Key header (e.g. a UUID) so that a retried request is not applied twice.');
  }
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new Problem(400, 'VALIDATION_FAILED', 'Invalid request', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', {
      errors: [{ path: '/headers/idempotency-key', message: 'must be 1 to 255 visible ASCII characters' }],
    });
  }
  return key;
}

/** `Prefer: wait=N` (RFC 7240), capped at 30 seconds; null when absent. */
export function preferredWait(request: FastifyRequest): number | null {
  const prefer = request.headers.prefer;
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(Array.isArray(prefer) ? prefer.join(',') : (prefer ?? ''));
  return match ? Math.min(MAX_WAIT_SECONDS, Number(match[1])) : null;
}

/** Where the thing an action created can be read. */
function createdLocation(action: Action): string {
  const result = action.result ?? {};
  if (result.refundId) return `/v1/refunds/${result.refundId}`;
  if (result.shipmentId) return `/v1/shipments/${result.shipmentId}`;
  if (result.invoiceId) return `/v1/invoices/${result.invoiceId}`;
  return `/v1/orders/${action.orderId}`;
}

/**
 * Answers a write (SPEC §4): 202 with the action; with `Prefer: wait=N`, once the action ended or N seconds
 * passed: 201 with Location of what it created, 422 problem+json carrying the rejection, or still 202.
 */
export async function answerWrite(request: FastifyRequest, reply: FastifyReply, intake: Intake, accepted: Action) {
  const wait = preferredWait(request);
  let action = accepted;
  if (wait !== null) {
    reply.header('preference-applied', `wait=${wait}`);
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    action = (await intake.wait(accepted.id, wait, abort.signal)) ?? accepted;
  }
  const body = { orderId: action.orderId, action: actionView(action) };
  if (wait !== null && action.status === 'succeeded') {
    return reply.code(201).header('location', createdLocation(action)).send(body);
  }
  if (wait !== null && action.status === 'rejected' && action.error) {
    return sendProblem(
      reply,
      new Problem(422, action.error.code, 'Action rejected', action.error.message, { action: body.action }),
    );
  }
  return reply.code(202).header('location', `/v1/actions/${action.id}`).send(body);
}
