import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKey, Role } from '../../../config/config.js';
import { Problem } from '../problem.js';
import { sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs; routes without one are public (health, docs). */
    role?: Role;
  }
  interface FastifyRequest {
    /** The caller's key; set on every route that needs one (null only on public routes). */
    actor: ApiKey;
  }
}

const digest = (secret: string) => createHash('sha256').update(secret).digest('base64');

/** Role order: an admin key may do what a storefront key may. */
const allows = (held: Role, needed: Role) => held === 'admin' || held === needed;

/**
 * Bearer keys from API_KEYS. Secrets are compared by their SHA-256 digest, so lookup time says nothing about
 * how much of a secret was right. Each request is first identified, then counted by the rate limit (so guessing keys
 * is rate limited too), then refused when it needs a key: no or wrong key → 401; a key of too low a role → 403.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { keys: readonly ApiKey[] }) => {
    const byDigest = new Map(options.keys.map((key) => [digest(key.secret), key]));
    app.decorateRequest('actor', null as unknown as ApiKey);
    app.addHook('onRequest', async (request) => {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      const key = match ? byDigest.get(digest(match[1]!)) : undefined;
      if (key) request.actor = key;
    });
    const limit = app.rateLimit();
    app.addHook('onRequest', async (request, reply) => {
      try {
        await limit.call(app, request, reply);
      } catch (error) {
        // Answered here, not thrown: the board's routes have an error handler of their own.
        if (error instanceof Problem) return sendProblem(reply, error);
        throw error;
      }
    });
    app.addHook('onRequest', async (request) => {
      const needed = request.routeOptions.config.role;
      if (!needed) return;
      if (!request.actor) {
        throw new Problem(401, 'UNAUTHENTICATED', 'Unauthenticated', 'Send Authorization: Bearer <API key>.', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      if (!allows(request.actor.role, needed)) {
        throw new Problem(403, 'FORBIDDEN', 'Forbidden', `This needs a key with the ${needed} role.`);
      }
    });
  },
  { name: 'auth', dependencies: ['@fastify/rate-limit'] },
);
