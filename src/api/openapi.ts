import { Type, type TSchema } from '@sinclair/typebox';
import type { RouteOptions } from 'fastify';
import { actionDefinitions } from '../actions/registry.js';
import { PROBLEM_CODES } from './problem.js';
import { typedActionView } from './views/actions.js';

/**
 * The OpenAPI document is what storefront developers generate their clients from, so it says exactly what the API
 * answers: each route's own problem statuses as `application/problem+json` with the code as an enum, the headers it
 * sends and requires, typed action results, and named schemas under `components.schemas` (every schema with a
 * `title`), not one inlined blob.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The action type a write route records: its answers carry that type's action. */
    actionType?: string;
    /** The route refuses a request without an Idempotency-Key (it checks the header itself, for its own code). */
    keyRequired?: boolean;
    /** Problem statuses the route answers besides those its inputs and auth imply, e.g. 422 for an inventory rule. */
    problems?: readonly number[];
    /**
     * Answers as the document states them where that says more than the serializer's schema (a typed action, a
     * header, a body that is not JSON); see `answer`.
     */
    documented?: Record<number, DocumentedAnswer>;
  }
}

export interface DocumentedAnswer {
  description: string;
  headers?: Record<string, TSchema>;
  content?: Record<string, { schema: TSchema }>;
}

/** An answer for the document: what it means, the headers it carries, and its JSON body if it has one. */
export const answer = (description: string, body?: TSchema, headers?: Record<string, TSchema>): DocumentedAnswer => ({
  description,
  ...(headers ? { headers } : {}),
  ...(body ? { content: { 'application/json': { schema: body } } } : {}),
});

/** An action of any type, told apart by `type`. */
export const ActionUnion = Type.Union(actionDefinitions.map(typedActionView), { title: 'Action' });

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: '`urn:orderflow:problem:` followed by the code' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'what went wrong and what to do, for people' }),
    code: Type.Union(
      PROBLEM_CODES.map((code) => Type.Literal(code)),
      { description: 'stable, for programs: an HTTP condition (VALIDATION_FAILED, …) or the rejection of an action (OUT_OF_STOCK, …)' },
    ),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String({ description: 'JSON pointer into the request' }), message: Type.String() }), {
        description: 'every invalid field (400)',
      }),
    ),
    action: Type.Optional(ActionUnion),
  },
  { title: 'Problem', description: 'application/problem+json (RFC 9457)' },
);

const PROBLEMS: Record<number, string> = {
  400: 'Malformed JSON, schema violations (every offending path in `errors`), a missing Idempotency-Key',
  401: 'No key, or a wrong one',
  403: 'A key of too low a role',
  404: 'Unknown resource, or one of another storefront',
  409: 'Idempotency-Key reused with a different body',
  413: 'Body over the limit',
  415: 'Not JSON',
  422: 'The action was rejected (with `Prefer: wait`): `code` is the rejection, `action` the rejected action',
  429: 'Rate limited',
  503: 'PostgreSQL unreachable, too many actions waiting, or the process is stopping',
};

export const header = (description: string, schema: TSchema = Type.String()) => ({ ...schema, description });
const RETRY_AFTER = header('seconds to wait before retrying', Type.Integer({ minimum: 0 }));
const RATE_LIMIT_HEADERS = {
  'retry-after': RETRY_AFTER,
  'x-ratelimit-limit': header('requests allowed a minute', Type.Integer()),
  'x-ratelimit-remaining': header('requests left in this minute', Type.Integer()),
  'x-ratelimit-reset': header('seconds until the minute ends', Type.Integer()),
};
const PROBLEM_HEADERS: Record<number, Record<string, TSchema>> = { 429: RATE_LIMIT_HEADERS, 503: { 'retry-after': RETRY_AFTER } };

const problemAnswer = (status: number) => ({
  description: PROBLEMS[status],
  ...(PROBLEM_HEADERS[status] ? { headers: PROBLEM_HEADERS[status] } : {}),
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The problem statuses a route can answer, from what it reads and who may call it. */
function problemStatuses(schema: Record<string, unknown>, url: string, route: RouteOptions): number[] {
  const role = route.config?.role;
  if (!role) return [503];
  const statuses = new Set<number>([401, 429, 503, ...(route.config?.problems ?? [])]);
  if (role === 'admin') statuses.add(403);
  if (schema.params || schema.querystring || schema.body || schema.headers) statuses.add(400);
  if (url.includes('/:')) statuses.add(404);
  if (schema.body) {
    statuses.add(413);
    statuses.add(415);
  }
  if (route.config?.actionType) {
    statuses.add(409);
    statuses.add(422);
  }
  return [...statuses].sort((a, b) => a - b);
}

/** Per route (the plugin's `transform`): auth, problems and headers; nothing here changes what the route does. */
export function documentRoute({ schema, url, route }: { schema: Record<string, unknown>; url: string; route: RouteOptions }) {
  if (url.startsWith('/admin/queues') || url.startsWith('/docs') || url.startsWith('/console')) return { schema: { ...schema, hide: true }, url };
  const role = route.config?.role;
  const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined), ...route.config?.documented };
  for (const status of problemStatuses(schema, url, route)) response[status] ??= problemAnswer(status);
  const headers = schema.headers as { required?: string[] } | undefined;
  return {
    url,
    schema: {
      ...schema,
      response,
      ...(headers && route.config?.keyRequired ? { headers: { ...headers, required: ['idempotency-key'] } } : {}),
      ...(role
        ? { security: [{ bearer: [] }], description: role === 'admin' ? 'Needs an admin key.' : `Needs a ${role} or admin key.` }
        : { security: [] }),
    },
  };
}

type Json = Record<string, unknown>;

const SUCCESS: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'Done; no body' };
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The whole document (the plugin's `transformObject`): every schema with a `title` moves to
 * `components.schemas` under that name and is referred to; fields of requests that have a default are not
 * required; a body whose every field is optional may be left out.
 */
export function documentObject<D extends object>(generated: D): D {
  const document = generated as Json;
  const named: Record<string, Json> = {};
  const hoist = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(hoist);
    if (!isObject(schema)) return schema;
    const walked: Json = {};
    for (const [key, value] of Object.entries(schema)) walked[key] = key === 'example' || key === 'default' ? value : hoist(value);
    const title = walked.title;
    if (typeof title !== 'string') return walked;
    const { title: _title, ...rest } = walked;
    const before = named[title];
    if (before && JSON.stringify(before) !== JSON.stringify(rest)) throw new Error(`two different schemas are named ${title}`);
    named[title] = rest;
    return { $ref: `#/components/schemas/${title}` };
  };

  const paths = document.paths as Record<string, Record<string, Json>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const [status, answered] of Object.entries((operation.responses ?? {}) as Record<string, Json>)) {
        if (answered.description === 'Default Response') answered.description = SUCCESS[status] ?? 'OK';
      }
      for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
        if (isObject(parameter.schema) && 'default' in parameter.schema) parameter.required = false;
      }
      const body = operation.requestBody as { required: boolean; content: Record<string, { schema: Json }> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        media.schema = notRequiringDefaults(media.schema);
        if (body && !(media.schema.required as string[] | undefined)?.length) body.required = false;
      }
    }
  }
  const walkedPaths = hoist(paths);
  const components = (document.components ?? {}) as Json;
  return {
    ...document,
    paths: walkedPaths,
    components: { ...components, schemas: Object.fromEntries(Object.entries(named).sort(([a], [b]) => a.localeCompare(b))) },
  } as D;
}

/**
 * A request schema in which no field with a default is required (the server fills it in), all the way down. The
 * default moves into the description: generators such as openapi-typescript read `default` as "always present",
 * which is true of answers, not of requests.
 */
function notRequiringDefaults(schema: Json): Json {
  const out: Json = { ...schema };
  if ('default' in out) {
    const described = `default: ${JSON.stringify(out.default)}`;
    out.description = typeof out.description === 'string' ? `${out.description} (${described})` : described;
    delete out.default;
  }
  if (isObject(out.properties)) {
    const properties = Object.fromEntries(
      Object.entries(out.properties).map(([name, property]) => [name, isObject(property) ? notRequiringDefaults(property) : property]),
    );
    out.properties = properties;
    if (Array.isArray(out.required)) {
      const defaulted = (name: string) => isObject(schema.properties) && isObject((schema.properties as Json)[name]) && 'default' in ((schema.properties as Json)[name] as Json);
      const required = (out.required as string[]).filter((name) => !defaulted(name));
      if (required.length > 0) out.required = required;
      else delete out.required;
    }
  }
  if (isObject(out.items)) out.items = notRequiringDefaults(out.items);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((part) => (isObject(part) ? notRequiringDefaults(part) : part));
  }
  return out;
}
