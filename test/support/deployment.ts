import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { API_KEYS, KEYS } from './harness.js';
import { freePort } from './ports.js';
import { PrivatePostgres } from './postgres-server.js';
import { OrderflowProcess } from './processes.js';
import { PrivateRedis } from './redis-server.js';

export interface Answer {
  /** 0 when the connection failed (nothing listening, or the process died mid-request). */
  status: number;
  json: Record<string, unknown>;
  headers: Headers | null;
}

/** Where process logs of deployments go, to be read after a failed run. */
const LOG_DIR = 'test-artifacts/resilience';

/**
 * orderflow as an operator runs it, on infrastructure of its own: a private PostgreSQL cluster and a private
 * Redis on spare ports, the API as one process and the workers as others. Every part can be killed and restarted.
 */
export class Deployment {
  api: OrderflowProcess | null = null;
  readonly workers: OrderflowProcess[] = [];
  readonly baseUrl: string;
  private readonly pool: pg.Pool;
  private started = 0;

  private constructor(
    readonly postgres: PrivatePostgres,
    readonly redis: PrivateRedis,
    private readonly port: number,
    private readonly name: string,
    private readonly env: Record<string, string>,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.pool = new pg.Pool({ connectionString: this.databaseUrl, max: 4 });
    this.pool.on('error', () => undefined); // idle clients die with a PostgreSQL restart; the next query reconnects
  }

  /** Starts PostgreSQL, Redis, the API (which creates the database) and `workers` worker processes. */
  static async start(name: string, options: { workers: number; env?: Record<string, string> }): Promise<Deployment> {
    mkdirSync(LOG_DIR, { recursive: true });
    const [postgres, redis, port] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start(), freePort()]);
    const deployment = new Deployment(postgres, redis, port, name, options.env ?? {});
    await deployment.startApi();
    for (let i = 0; i < options.workers; i++) await deployment.startWorker();
    return deployment;
  }

  get databaseUrl(): string {
    return `${this.postgres.url}/orderflow`;
  }

  private processEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redis.url,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      API_KEYS,
      RATE_LIMIT_PER_MINUTE: '10000000',
      JOB_BACKOFF_MS: '200',
      JOB_LOCK_MS: '2000',
      RELAY_INTERVAL_MS: '300',
      RELAY_AFTER_MS: '1000',
      SHUTDOWN_GRACE_MS: '2000',
      ...this.env,
      ...extra,
    };
  }

  private logFile(role: string): string {
    return `${LOG_DIR}/${this.name}-${role}-${++this.started}.log`;
  }

  /** The API process; `env` adds settings for this start only (e.g. a fault point). */
  async startApi(env: Record<string, string> = {}): Promise<OrderflowProcess> {
    this.api = await OrderflowProcess.start('src/start-api.ts', this.processEnv(env), this.logFile('api'));
    return this.api;
  }

  async startWorker(): Promise<OrderflowProcess> {
    const worker = await OrderflowProcess.start('workers/all.ts', this.processEnv({}), this.logFile('workers'));
    this.workers.push(worker);
    return worker;
  }

  /** SIGKILLs a running worker process and forgets it. */
  async killWorker(worker: OrderflowProcess): Promise<void> {
    await worker.kill();
    this.workers.splice(this.workers.indexOf(worker), 1);
  }

  /** One HTTP request; never throws (a refused or cut connection answers status 0). */
  async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { body?: unknown; key?: keyof typeof KEYS; idempotencyKey?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${KEYS[options.key ?? 'admin']}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
    } catch {
      return { status: 0, json: {}, headers: null };
    }
  }

  /** A query on the deployment's database (`$1` placeholders), retried while PostgreSQL restarts. */
  async sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query(query, params)).rows as T[];
      } catch (error) {
        const code = (error as { code?: string }).code;
        const unavailable = code === undefined || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED';
        if (!unavailable || attempt >= 100) throw error;
        await sleep(200);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.api?.stop(), ...this.workers.map((worker) => worker.stop())]);
    await this.pool.end();
    this.postgres.destroy();
    await this.redis.destroy();
  }
}
