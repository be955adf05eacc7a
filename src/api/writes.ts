import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKey, Role } from '../../config/config.js';
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

/** Whether `actor` may see what `owner` (a key name) placed or recorded: admin keys see everything. */
export const mayRead = (actor: ApiKey, owner: string) => actor.role === 'admin' || actor.name === owner;

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

type TypeBoxApp = Parameters<FastifyPluginAsyncTypebox>[0];

export interface ResolvedAction {
  orderId: string;
  /** Known when the order exists already; shown with the job in bull-board. */
  orderNumber?: string | null;
  target: string;
  payload: Record<string, unknown>;
}

export interface ActionRoute<P extends TObject, B extends TObject> {
  url: string;
  role: Role;
  summary: string;
  tag: string;
  type: string;
  params: P;
  body: B;
  /** Placing an order requires an Idempotency-Key; other writes accept one. */
  keyRequired?: boolean;
  /**
   * The order the action belongs to and what it is about (404 when unknown, or not the caller's: a storefront key
   * acts only on orders it placed), and the payload to record.
   */
  resolve(params: Static<P>, body: Static<B>, actor: ApiKey): Promise<ResolvedAction>;
}

/** Registers a write: validate, resolve its order, record the action through the intake, answer (SPEC §4). */
export function actionRoute<P extends TObject, B extends TObject>(app: TypeBoxApp, intake: Intake, route: ActionRoute<P, B>) {
  // The route's own schemas validate params and body before the handler runs; the type provider cannot carry
  // the generic P and B through, so the schemas are registered as plain objects and the handler states P and B.
  const params: TObject = route.params;
  const body: TObject = route.body;
  app.post(
    route.url,
    {
      config: { role: route.role },
      // Bodies of order actions are all optional fields: an empty POST means "no options".
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        summary: route.summary,
        tags: [route.tag],
        params,
        headers: WriteHeaders,
        body,
        response: { 201: WriteAccepted, 202: WriteAccepted },
      },
    },
    async (request, reply) => {
      const key = idempotencyKey(request, route.keyRequired ?? false);
      const resolved = await route.resolve(request.params as Static<P>, request.body as Static<B>, request.actor);
      const action = await intake.accept({
        ...resolved,
        type: route.type,
        actor: request.actor,
        idempotencyKey: key,
        requestId: request.id,
      });
      return answerWrite(request, reply, intake, action);
    },
  );
}
