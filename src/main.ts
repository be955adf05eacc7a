import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from '../config/config.js';
import { ALL_WORKER_QUEUES, startWorkers } from '../workers/workers.js';
import { buildApp } from './api/app.js';
import { createLogger } from './logger.js';
import type { QueueName } from './queues/names.js';
import { openRuntime, UnreachableError } from './runtime.js';

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
  log.info({ role, queues: workers ? queues : [] }, 'orderflow started');

  closeWithGrace({ delay: config.shutdownGraceMs || false, logger: { error: (m: unknown) => log.error(m) } }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app?.close();
    await workers?.close();
    await runtime.close();
  });
}
