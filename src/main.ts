import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from '../config/config.js';
import { ALL_WORKER_QUEUES, startWorkers } from './workers/workers.js';
import { buildApp } from './api/app.js';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { createLogger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { QueueName } from './queues/names.js';
import { openRuntime, UnreachableError } from './runtime.js';
import { checkOutboundUrl, OutboundRefusedError } from './net/outbound.js';

export type Role = 'all' | 'api' | 'workers';

/**
 * Starts orderflow: the API and the workers in one process (`all`), or only one of them, for scaling out.
 * `queues` narrows a workers process to some queues.
 */
export async function main(role: Role, queues: readonly QueueName[] = ALL_WORKER_QUEUES): Promise<void> {
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

  const app = role === 'workers' ? null : await buildApp(runtime);
  const workers = role === 'api' ? null : await startWorkers(runtime, queues);
  if (app) await app.listen({ port: config.port, host: config.host });
  const metricsServer = config.metricsPort === null ? null : await serveMetrics(runtime.metrics, config.metricsPort, config.host);
  log.info({ role, queues: workers ? queues : [] }, 'orderflow started');

  closeWithGrace({ delay: config.shutdownGraceMs || false, logger: { error: (m: unknown) => log.error(m) } }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app?.close();
    await workers?.close(config.shutdownGraceMs);
    metricsServer?.close();
    await runtime.close();
  });
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
