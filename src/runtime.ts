import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { queueOf } from './actions/registry.js';
import { FinishedActions } from './db/finished-actions.js';
import { Listener } from './db/listener.js';
import { ensureDatabase, migrate, openOrm } from './db/orm.js';
import { Subscribers } from './db/webhooks.js';
import { producerConnection } from './queues/connection.js';
import { Queues } from './queues/queues.js';
import { createMetrics, registerStoreGauges, type Metrics } from './metrics.js';

/** What the API and the workers share: configuration, the database, and the producer side of the queues. */
export interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
  orm: MikroORM;
  redis: Redis;
  queues: Queues;
  /** Notifications from PostgreSQL (sent at commit) to this process. */
  listener: Listener;
  /** The live webhook subscriptions, kept until a change is announced. */
  subscribers: Subscribers;
  /** Actions announced finished by the workers, for requests that wait for them. */
  finished: FinishedActions;
  close(): Promise<void>;
}

export class UnreachableError extends Error {
  constructor(service: 'PostgreSQL' | 'Redis', where: string, hint: string, cause: unknown) {
    super(`${service} is not reachable at ${where} (${(cause as Error).message ?? cause}). ${hint}`);
    this.name = 'UnreachableError';
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Connects to PostgreSQL (creating the database and applying migrations when `prepare` is set) and to Redis.
 * Fails with one clear message naming what is unreachable, where, and how to start it.
 */
/** Errors of a lost or refused Redis connection. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export async function openRuntime(config: Config, log: Logger, options: { prepare: boolean }): Promise<Runtime> {
  let orm: MikroORM;
  try {
    if (options.prepare && (await ensureDatabase(config.databaseUrl))) log.info('created the database');
    orm = await openOrm(config.databaseUrl, config.dbPoolMax);
    await orm.em.fork().execute('select 1');
  } catch (error) {
    throw new UnreachableError(
      'PostgreSQL',
      redact(config.databaseUrl),
      'Start it (e.g. `pg_ctlcluster 15 main start`, or `docker compose up -d postgres`, which publishes it on 127.0.0.1:5432) or set DATABASE_URL.',
      error,
    );
  }
  if (options.prepare) {
    const applied = await migrate(orm, config.databaseUrl);
    if (applied.length > 0) log.info({ migrations: applied }, 'applied migrations');
  }

  const redis = producerConnection(config.redisUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      if (redis.status === 'ready') return resolve();
      redis.once('ready', resolve);
      redis.once('error', reject);
    });
  } catch (error) {
    redis.disconnect();
    await orm.close();
    throw new UnreachableError(
      'Redis',
      redact(config.redisUrl),
      'Start it (e.g. `redis-server --daemonize yes`, or `docker compose up -d redis`, which publishes it on 127.0.0.1:6379) or set REDIS_URL.',
      error,
    );
  }
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));

  const queues = new Queues(redis, config, queueOf, (error, queue) => {
    // The connection's own listener above reports an outage once; a queue reports only what is its own.
    if (!CONNECTION_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) log.warn({ err: error, queue }, 'queue error');
  });
  const metrics = createMetrics();
  registerStoreGauges(metrics, {
    async jobCounts() {
      const states = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
      const counts = await Promise.all(queues.all().map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts(...states) })));
      return counts.flatMap(({ queue, counts: byState }) => states.map((state) => ({ queue, state, count: byState[state] ?? 0 })));
    },
    async actionCounts() {
      const rows = await orm.em.fork().execute<{ type: string; status: string; count: string }[]>(
        `select type, status, count(*) from actions where status in ('queued', 'processing', 'failed') group by type, status`,
      );
      return rows.map((row) => ({ type: row.type, status: row.status, count: Number(row.count) }));
    },
  });
  const listener = new Listener(config.databaseUrl, log);
  const subscribers = new Subscribers(orm, listener);
  const finished = new FinishedActions(listener);
  await listener.start();
  return {
    config,
    log,
    metrics,
    orm,
    redis,
    queues,
    listener,
    subscribers,
    finished,
    async close() {
      await listener.close();
      await queues.close();
      redis.disconnect();
      await orm.close();
    },
  };
}
