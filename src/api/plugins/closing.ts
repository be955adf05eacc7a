import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../problem.js';
import { sendProblem } from './errors.js';

/**
 * While the server closes (SIGTERM), requests still reaching it on open keep-alive connections are answered
 * 503 SHUTTING_DOWN with Retry-After, before any other hook: a client or load balancer sends them again, to this
 * address once the process is back or to another one. Replaces Fastify's own closing answer (`return503OnClosing`),
 * which is not problem+json.
 */
export const closingPlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!closing) return;
      request.log.info('answered 503: shutting down');
      return sendProblem(
        reply,
        new Problem(503, 'SHUTTING_DOWN', 'Shutting down', 'This process is shutting down; send the request again.', {
          headers: { 'retry-after': '1', connection: 'close' },
        }),
      );
    });
  },
  { name: 'closing' },
);
