import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import pino from 'pino';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../config/config.js';
import { buildApp, type App } from '../../src/api/app.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { ALL_WORKER_QUEUES, startWorkers, type Workers } from '../../src/workers/workers.js';
import { createTestDatabase, databaseUrl, dropDatabase } from './databases.js';

export const KEYS = {
  storefront: 'storefront-test-secret-0001',
  /** A second storefront (another shop of the same merchant): it must never see the first one's orders. */
  otherStorefront: 'storefront-test-secret-0002',
  admin: 'admin-test-secret-000000001',
} as const;

/** API_KEYS for KEYS: `shop`, `shop2` (storefronts) and `ops` (admin). */
export const API_KEYS = `shop:storefront:${KEYS.storefront},shop2:storefront:${KEYS.otherStorefront},ops:admin:${KEYS.admin}`;

export interface RequestOptions {
  key?: keyof typeof KEYS | null;
  idempotencyKey?: string;
  prefer?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  config: Config;
  runtime: Runtime;
  app: App;
  workers: Workers | null;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  post(path: string, body: unknown, options?: RequestOptions): Promise<LightMyRequestResponse>;
  put(path: string, body: unknown, options?: RequestOptions): Promise<LightMyRequestResponse>;
  get(path: string, options?: RequestOptions): Promise<LightMyRequestResponse>;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export const newKey = () => randomUUID();

/**
 * A complete orderflow against a database of its own (copied from the migrated template) and a queue prefix of its
 * own on the shared Redis: test files never see each other's data.
 */
export async function startHarness(
  options: { workers?: boolean; env?: Record<string, string>; redisUrl?: string } = {},
): Promise<Harness> {
  const database = await createTestDatabase(inject('templateDatabase'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl(database),
    REDIS_URL: options.redisUrl ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `{oftest-${randomBytes(4).toString('hex')}}`,
    API_KEYS,
    DB_POOL_MAX: '6',
    JOB_BACKOFF_MS: '50',
    RELAY_INTERVAL_MS: '200',
    RELAY_AFTER_MS: '300',
    RELAY_RECHECK_MS: '1000',
    ...options.env,
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const runtime = await openRuntime(config, log, { prepare: false });
  const app = await buildApp(runtime);
  await app.ready();

  const request = (method: 'GET' | 'POST' | 'PUT', path: string, body: unknown, opts: RequestOptions = {}) => {
    const key = opts.key === undefined ? 'admin' : opts.key;
    const headers: Record<string, string> = { ...opts.headers };
    if (key) headers.authorization = `Bearer ${KEYS[key]}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    if (opts.prefer) headers.prefer = opts.prefer;
    return app.inject({ method, url: path, headers, ...(body === undefined ? {} : { payload: body as object }) });
  };

  const harness: Harness = {
    config,
    runtime,
    app,
    workers: null,
    async startWorkers() {
      if (!harness.workers) harness.workers = await startWorkers(runtime, ALL_WORKER_QUEUES);
    },
    async stopWorkers() {
      await harness.workers?.close();
      harness.workers = null;
    },
    post: (path, body, opts) => request('POST', path, body, opts),
    put: (path, body, opts) => request('PUT', path, body, opts),
    get: (path, opts) => request('GET', path, undefined, opts),
    sql: (query, params = []) => runtime.orm.em.fork().execute(query, params) as never,
    async close() {
      await harness.stopWorkers();
      await app.close();
      await Promise.all(runtime.queues.all().map((queue) => queue.obliterate({ force: true }).catch(() => undefined)));
      await runtime.close();
      await dropDatabase(database);
    },
  };
  if (options.workers ?? true) await harness.startWorkers();
  return harness;
}
