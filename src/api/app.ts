import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { uuidv7 } from '../db/ids.js';
import type { Runtime } from '../runtime.js';
import { validatorCompiler } from '../validation.js';
import { Intake } from './intake.js';
import rateLimit from '@fastify/rate-limit';
import { authPlugin } from './plugins/auth.js';
import { boardPlugin } from './plugins/board.js';
import { docsPlugin } from './plugins/docs.js';
import { metricsPlugin } from './plugins/metrics.js';
import { Problem } from './problem.js';
import { clientErrors, errorsPlugin, frameworkErrors } from './plugins/errors.js';
import { closingPlugin } from './plugins/closing.js';
import { actionRoutes } from './routes/actions.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { inventoryRoutes } from './routes/inventory.js';
import { orderRoutes } from './routes/orders.js';
import { webhookRoutes } from './routes/webhooks.js';
import { writeRoutes } from './writes.js';
import { consolePlugin } from '../console/plugin.js';

/** Builds the HTTP API without listening: entry points listen, tests use inject(). */
export async function buildApp(runtime: Runtime) {
  const { config } = runtime;
  const app = Fastify({
    loggerInstance: runtime.log,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => uuidv7(),
    frameworkErrors,
    clientErrorHandler: clientErrors,
    // Fastify's and Node's defaults let a client trickling its request hold the socket forever (0) or for minutes.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.requestTimeoutMs,
      // Node looks for requests past their timeout every 30 s by default: a tenth of the timeout keeps the bound close.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.requestTimeoutMs / 10)),
    },
    return503OnClosing: false, // closingPlugin answers instead
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON only: a text/plain body is 415, not a string handed to validation.
  app.removeContentTypeParser('text/plain');

  const intake = new Intake(runtime);
  await app.register(errorsPlugin);
  await app.register(closingPlugin);
  await app.register(docsPlugin);
  await app.register(rateLimit, {
    global: false, // counted for every request, before auth: see authPlugin
    max: runtime.config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Counted in Redis, so that every API process of a deployment shares one budget per key; while Redis is
    // unreachable requests are not limited (intake goes on from PostgreSQL alone).
    redis: runtime.redis,
    nameSpace: `${runtime.config.queuePrefix}:rate-limit:`,
    skipOnError: true,
    // Per API key (by name), else per address: wrong keys and the board's logins count against the address.
    keyGenerator: (request) => (request.actor ? `key:${request.actor.name}` : `ip:${request.ip}`),
    allowList: (request) => request.url.startsWith('/health/'), // probes of load balancers and orchestrators
    errorResponseBuilder: (_request, context) =>
      new Problem(429, 'RATE_LIMITED', 'Too many requests', `More than ${context.max} requests a minute; retry after ${context.after}.`),
  });
  await app.register(authPlugin, { keys: runtime.config.apiKeys });
  await app.register(metricsPlugin, { metrics: runtime.metrics, serveHere: runtime.config.metricsPort === null });
  await app.register(boardPlugin, { queues: runtime.queues, keys: runtime.config.apiKeys });
  await app.register(healthRoutes, { runtime });
  await app.register(writeRoutes, { runtime, intake });
  await app.register(orderRoutes, { runtime });
  await app.register(documentRoutes, { runtime });
  await app.register(actionRoutes, { runtime, intake });
  await app.register(inventoryRoutes, { runtime });
  await app.register(webhookRoutes, { runtime });
  await app.register(consolePlugin, { prefix: '/console', keys: runtime.config.apiKeys });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
