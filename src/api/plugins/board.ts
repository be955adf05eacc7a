import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ApiKey } from '../../../config/config.js';
import type { Queues } from '../../queues/queues.js';
import { Problem } from '../problem.js';
import { sendProblem } from './errors.js';

export const BOARD_PATH = '/admin/queues';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The name and password of an HTTP Basic `Authorization` header, if it carries them. */
function basicCredentials(header: string | undefined): { name: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * bull-board for every queue, behind HTTP basic auth with an admin key's name and secret. Operators watch,
 * inspect and retry jobs there; a job's name is its action type and its data names the action and the order.
 */
export async function boardPlugin(app: FastifyInstance, options: { queues: Queues; keys: readonly ApiKey[] }) {
  const admins = options.keys.filter((key) => key.role === 'admin');
  app.addHook('onRequest', async (request, reply) => {
    const given = basicCredentials(request.headers.authorization);
    const ok =
      given !== null &&
      admins.some((key) => key.name === given.name && timingSafeEqual(digest(key.secret), digest(given.password)));
    if (ok) return;
    // Answered here: bull-board's routes have an error handler of their own that would not speak problem+json.
    return sendProblem(
      reply,
      new Problem(401, 'UNAUTHENTICATED', 'Unauthenticated', 'Log in with an admin key name and secret.', {
        headers: { 'www-authenticate': 'Basic realm="orderflow"' },
      }),
    );
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: options.queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'orderflow' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
}
