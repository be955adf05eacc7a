import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Uuid } from '../../actions/schemas.js';
import type { Runtime } from '../../runtime.js';
import type { Intake } from '../intake.js';
import { notFound } from '../problem.js';
import { ActionView, actionView } from '../views/actions.js';
import { knownOrder, mayRead, preferredWait } from '../writes.js';

export const actionRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime; intake: Intake }> = async (app, { runtime, intake }) => {
  const em = () => runtime.orm.em.fork();
  app.get(
    '/v1/actions/:id',
    {
      config: { role: 'storefront' },
      schema: {
        summary: 'Read an action; with Prefer: wait=N, once it has ended or N seconds passed',
        tags: ['actions'],
        params: Type.Object({ id: Uuid('action id') }),
        headers: Type.Object({ prefer: Type.Optional(Type.String({ description: 'wait=N (N ≤ 30)' })) }),
        response: { 200: ActionView },
      },
    },
    async (request, reply) => {
      const wait = preferredWait(request);
      if (wait !== null) reply.header('preference-applied', `wait=${wait}`);
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      // A storefront key sees the actions it recorded and those on orders it placed; others are as unknown as ids never used.
      const visible = await intake.findAction(request.params.id);
      const mine =
        visible && (mayRead(request.actor, visible.actorName) || (await knownOrder(em(), visible.orderId, request.actor)) !== null);
      if (!visible || !mine) throw notFound('action', request.params.id);
      const action = wait === null ? visible : ((await intake.wait(request.params.id, wait, abort.signal)) ?? visible);
      return actionView(action);
    },
  );
};
