import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from '../config/config.js';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { createLogger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { QueueName } from './queues/names.js';
import { openRuntime, UnreachableError, type Runtime } from './runtime.js';
import { checkOutboundUrl, OutboundRefusedError } from './net/outbound.js';

export type Role = 'all' | 'api' | 'workers';

/**
 * Starts orderflow: the API and the workers in one process (`all`), or only one of them, for scaling out.
 * `queues` narrows a workers process to some queues (all of them by default). A process loads only the code of its
 * role: a workers process holds no HTTP app, an API process no worker code.
 */
export async function main(role: Role, queues?: readonly QueueName[]): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config);
  if (config.apiKeysGenerated) {
    log.warn(
      { keys: config.apiKeys.map((k) => `${k.name}:${k.role}:${k.secret}`) },
      'API_KEYS is not set: generated development keys for this run (set API_KEYS to keep them)',
    );
  }

  if (config.paymentProvider.kind === 'http') {
    try {
      await checkOutboundUrl(config.paymentProvider.url, config.outbound);
    } catch (error) {
      if (!(error instanceof OutboundRefusedError)) throw error;
      log.fatal(
        `PAYMENT_PROVIDER_URL is refused: ${error.message}. Point it at a public address, or set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow internal ones.`,
      );
      process.exit(1);
    }
  }

  let runtime;
  try {
    runtime = await openRuntime(config, log, { prepare: true });
  } catch (error) {
    if (error instanceof UnreachableError) {
      log.fatal(error.message);
      process.exit(1);
    }
    throw error;
  }

  const app = role === 'workers' ? null : await (await import('./api/app.js')).buildApp(runtime);
  const started = role === 'api' ? null : await startQueueWorkers(runtime, queues);
  const workers = started?.workers ?? null;
  if (app) await app.listen({ port: config.port, host: config.host });
  const metricsServer = config.metricsPort === null ? null : await serveMetrics(runtime.metrics, config.metricsPort, config.host);
  log.info({ role, queues: started?.queues ?? [] }, 'orderflow started');

  closeWithGrace({ delay: config.shutdownGraceMs || false, logger: { error: (m: unknown) => log.error(m) } }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app?.close();
    await workers?.close(config.shutdownGraceMs);
    metricsServer?.close();
    await runtime.close();
  });
}

/** The workers of `queues` (all by default), loaded only in a process that runs workers. */
async function startQueueWorkers(runtime: Runtime, queues?: readonly QueueName[]) {
  const { ALL_WORKER_QUEUES, startWorkers } = await import('./workers/workers.js');
  const names = queues ?? ALL_WORKER_QUEUES;
  return { queues: names, workers: await startWorkers(runtime, names) };
}

/** /metrics on a port of its own (METRICS_PORT), for worker-only processes and for scrapers inside the network. */
async function serveMetrics(metrics: Metrics, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}
