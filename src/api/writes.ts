import { Type, type TObject } from '@sinclair/typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKey } from '../../config/config.js';
import type { ActionRoute } from '../actions/definition.js';
import { actionDefinition, actionDefinitions } from '../actions/registry.js';
import { Uuid } from '../actions/schemas.js';
import { uuidv7 } from '../db/ids.js';
import { isRejectionCode } from '../domain/errors.js';
import type { Runtime } from '../runtime.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Action } from '../db/entities/actions.js';
import { sendProblem } from './plugins/errors.js';
import { notFound, Problem } from './problem.js';
import { answer, header } from './openapi.js';
import { ActionView, actionView, typedActionView, typeName } from './views/actions.js';
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

/** What a write answers in the document: the action of its own type, and where to look next. */
function documentedAnswers(definition: { type: string; result: TObject }) {
  const accepted = Type.Object(
    { orderId: Type.String({ description: 'the order the action belongs to' }), action: typedActionView(definition) },
    { title: `${typeName(definition.type)}Accepted` },
  );
  const applied = header('with `Prefer: wait`: the wait that was applied, `wait=N`');
  return {
    201: answer('Applied within the wait of `Prefer: wait`; `Location` is what it created (or changed)', accepted, {
      location: header('the resource the action created or changed'),
      'preference-applied': applied,
    }),
    202: answer('Recorded and queued; a worker applies it (without `Prefer: wait`, or when the wait ran out)', accepted, {
      location: header('the action: `/v1/actions/{id}`'),
      'preference-applied': applied,
    }),
  };
}

/** `order.place` → `placeOrder`: the operation of an action type's route. */
const operationIdOf = (type: string) => {
  const [noun = '', verb = ''] = type.split('.');
  return `${verb}${typeName(noun)}`;
};

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

/** Where the thing an action created can be read: its definition says. */
function createdLocation(action: Action): string {
  return actionDefinition(action.type).location((action.result ?? {}) as Record<string, string>, action.orderId);
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
  if (wait !== null && action.status === 'rejected' && action.error && isRejectionCode(action.error.code)) {
    return sendProblem(
      reply,
      new Problem(422, action.error.code, 'Action rejected', action.error.message, { action: body.action }),
    );
  }
  return reply.code(202).header('location', `/v1/actions/${action.id}`).send(body);
}

const IdParams = (noun: string) => Type.Object({ id: Uuid(`${noun} id`) });

/**
 * The order an action's route names (404 when unknown, or not the caller's: a storefront key acts only on orders it
 * placed), with its number when placed, and the payload to record: the body, plus the document id the path named.
 */
async function resolveTarget(
  runtime: Runtime,
  route: ActionRoute,
  params: Record<string, string>,
  body: Record<string, unknown>,
  actor: ApiKey,
): Promise<{ orderId: string; orderNumber: string | null; target: string; payload: Record<string, unknown> }> {
  const { target } = route;
  if (target.kind === 'new-order') {
    const errors = route.check?.(body) ?? [];
    if (errors.length > 0) {
      throw new Problem(400, 'VALIDATION_FAILED', 'Invalid request', `${errors.length} field(s) are invalid`, { errors });
    }
    return { orderId: uuidv7(), orderNumber: null, target: '', payload: body };
  }
  const id = params.id!;
  const em = runtime.orm.em.fork();
  if (target.kind === 'order') {
    const known = await knownOrder(em, id, actor);
    if (!known) throw notFound('order', id);
    return { orderId: id, orderNumber: known.number, target: id, payload: body };
  }
  const [document] = await em.execute<{ order_id: string }[]>(`select order_id from ${target.table} where id = ?`, [id]);
  const known = document ? await knownOrder(em, document.order_id, actor) : null;
  if (!document || !known) throw notFound(target.noun, id);
  return { orderId: document.order_id, orderNumber: known.number, target: id, payload: { ...body, [target.field]: id } };
}

/**
 * An order exists once placed; an accepted placement not yet applied counts too (its actions queue behind it).
 * A storefront key knows only the orders it placed. Null for an order the caller may not know of; the number is
 * null while the order is not placed yet.
 */
export async function knownOrder(em: EntityManager, orderId: string, actor: ApiKey): Promise<{ number: string | null } | null> {
  const [row] = await em.execute<{ number: string | null; owner: string | null }[]>(
    `select number, placed_by as owner from orders where id = ?
     union all
     select null, actor_name from actions where order_id = ? and type = 'order.place' and status <> 'rejected'
     limit 1`,
    [orderId, orderId],
  );
  return row?.owner && mayRead(actor, row.owner) ? { number: row.number } : null;
}

/**
 * Every action type with a route becomes a write (SPEC §4): validate, resolve its order, record the action through
 * the intake, answer.
 */
export const writeRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime; intake: Intake }> = async (app, { runtime, intake }) => {
  for (const definition of actionDefinitions) {
    const { route } = definition;
    if (!route) continue;
    const params: TObject = route.target.kind === 'new-order' ? Type.Object({}) : IdParams(route.target.kind === 'order' ? 'order' : route.target.noun);
    const operationId = operationIdOf(definition.type);
    // Named after its operation in the document (PlaceOrderBody, …).
    const body: TObject = { ...definition.body, title: `${typeName(operationId)}Body` };
    app.post(
      route.path,
      {
        config: { role: route.role, actionType: definition.type, keyRequired: route.keyRequired ?? false, documented: documentedAnswers(definition) },
        // Bodies of order actions are all optional fields: an empty POST means "no options".
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
        schema: {
          operationId,
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
        const resolved = await resolveTarget(
          runtime,
          route,
          request.params as Record<string, string>,
          request.body as Record<string, unknown>,
          request.actor,
        );
        const action = await intake.accept({
          ...resolved,
          type: definition.type,
          actor: request.actor,
          idempotencyKey: key,
          requestId: request.id,
        });
        return answerWrite(request, reply, intake, action);
      },
    );
  }
};
