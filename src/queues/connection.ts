import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connection for producers on the HTTP path: it fails at once when Redis is unreachable instead of buffering,
 * so intake answers from PostgreSQL alone and the relay enqueues later.
 */
export function producerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: false,
  });
}

/** A connection for workers: blocking commands, retried for as long as Redis is away (BullMQ requires this). */
export function workerConnection(redisUrl: string, extra: RedisOptions = {}): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, ...extra });
}
