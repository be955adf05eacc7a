import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'stable, machine-readable: VALIDATION_FAILED, OUT_OF_STOCK, …' }),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    action: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'the rejected action (422)' })),
  },
  { description: 'application/problem+json (RFC 9457)' },
);

const PROBLEMS: Record<number, string> = {
  400: 'Malformed JSON, schema violations (every offending path in `errors`), missing Idempotency-Key',
  401: 'No key or a wrong key',
  403: 'A key of too low a role',
  404: 'Unknown resource',
  409: 'Idempotency-Key reused with a different body',
  413: 'Body over the limit',
  415: 'Not JSON',
  422: 'With Prefer: wait, the action was rejected: `code` is the rejection',
  429: 'Rate limited; see Retry-After',
  503: 'PostgreSQL unreachable or too many actions waiting; see Retry-After',
};

/**
 * OpenAPI 3 generated from the route schemas, at /docs (UI) and /docs/json. Each route documents the problem
 * answers it can give and whether it needs a key; the board and the docs themselves are left out.
 */
export const docsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'orderflow',
          version: '1',
          description:
            'Queue-driven order management. Every write is recorded, queued and applied by a worker: it answers 202 with the action, ' +
            'or with `Prefer: wait=N` 201 (applied) or 422 (rejected). Amounts are integers in minor units.',
        },
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key secret from API_KEYS' } },
        },
      },
      transform: ({ schema, url, route }) => {
        if (url.startsWith('/admin/queues') || url.startsWith('/docs')) return { schema: { ...schema, hide: true }, url };
        const role = route.config?.role;
        const response = { ...(schema?.response as object) } as Record<string, unknown>;
        const codes = role ? [400, 401, 403, 404, 409, 413, 415, 422, 429, 503] : [503];
        for (const code of codes) {
          if (!(code in response) && (code !== 422 || route.method === 'POST')) {
            response[code] = { ...ProblemSchema, description: PROBLEMS[code] };
          }
        }
        return {
          schema: {
            ...schema,
            response,
            ...(role ? { security: [{ bearer: [] }], description: role === 'admin' ? 'Needs an admin key.' : `Needs a ${role} or admin key.` } : { security: [] }),
          },
          url,
        };
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
