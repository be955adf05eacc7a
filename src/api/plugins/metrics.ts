import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import type { Metrics } from '../../metrics.js';

/**
 * Counts and times every request by route (the route pattern, not the URL, so ids do not explode the series),
 * and serves /metrics for Prometheus behind an admin key unless METRICS_PORT serves it apart.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { metrics: Metrics; serveHere: boolean }) => {
    const { metrics } = options;
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { method: request.method, route };
      metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    });
    if (!options.serveHere) return;
    app.get(
      '/metrics',
      {
        config: {
          role: 'admin',
          documented: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: Type.String() } } } },
        },
        schema: { operationId: 'getMetrics', summary: 'Prometheus metrics', tags: ['operations'] } },
      async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  },
  { name: 'metrics' },
);
