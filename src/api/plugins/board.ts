import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import basicAuth from '@fastify/basic-auth';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ApiKey } from '../../../config/config.js';
import type { Queues } from '../../queues/queues.js';

export const BOARD_PATH = '/admin/queues';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * bull-board for every queue, behind HTTP basic auth with an admin key's name and secret. Operators watch,
 * inspect and retry jobs there; a job's name is its action type and its data names the action and the order.
 */
export async function boardPlugin(app: FastifyInstance, options: { queues: Queues; keys: readonly ApiKey[] }) {
  const admins = options.keys.filter((key) => key.role === 'admin');
  await app.register(basicAuth, {
    authenticate: { realm: 'orderflow' },
    async validate(username, password) {
      const ok = admins.some(
        (key) => key.name === username && timingSafeEqual(digest(key.secret), digest(password)),
      );
      if (!ok) throw new Error('Unauthorized');
    },
  });
  app.addHook('onRequest', app.basicAuth);

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: options.queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'orderflow' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
}
