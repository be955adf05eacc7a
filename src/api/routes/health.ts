import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pendingMigrations } from '../../db/orm.js';
import type { Runtime } from '../../runtime.js';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Readiness = Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Check) });

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime }> = async (app, { runtime }) => {
  app.get(
    '/health/live',
    { schema: { operationId: 'getLiveness', summary: 'The process is up', tags: ['operations'], response: { 200: Type.Object({ status: Type.String() }) } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness', summary: 'PostgreSQL and Redis answer and migrations are applied',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const [postgres, redis, migrations] = await Promise.all([
        check(() => runtime.orm.em.fork().execute('select 1')),
        check(() => runtime.redis.ping()),
        check(async () => {
          const pending = await pendingMigrations(runtime.orm);
          if (pending.length > 0) throw new Error(`pending: ${pending.join(', ')}`);
        }),
      ]);
      const checks = { postgres, redis, migrations };
      const ready = Object.values(checks).every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );
};
