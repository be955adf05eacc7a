import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { documentObject, documentRoute } from '../openapi.js';

/**
 * OpenAPI 3 generated from the route schemas, at /docs (UI) and /docs/json, shaped for generated clients by
 * `../openapi.ts`; the board, the console and the docs themselves are left out.
 */
export const docsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'orderflow',
          version: '1',
          license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
          description:
            'Queue-driven order management. Every write is recorded, queued and applied by a worker: it answers 202 with the action, ' +
            'or with `Prefer: wait=N` 201 (applied) or 422 (rejected). Amounts are integers in minor units.',
        },
        servers: [{ url: '/', description: 'where this document was read from (npm start: http://localhost:3000)' }],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key secret from API_KEYS' } },
        },
      },
      transform: ({ schema, url, route }) => documentRoute({ schema: (schema ?? {}) as Record<string, unknown>, url, route }),
      transformObject: (generated) => ('openapiObject' in generated ? documentObject(generated.openapiObject) : generated.swaggerObject),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
