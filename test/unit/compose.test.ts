import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../config/config.js';

/**
 * docker-compose.yml and the Dockerfile, read as the files they are (no Docker engine runs here): what they start
 * must exist, match the configuration's defaults and stop the way the README promises.
 */

interface Service {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const { api, workers, postgres, redis } = compose.services as Record<'api' | 'workers' | 'postgres' | 'redis', Service>;
const defaults = loadConfig({});

/** The TypeScript source a compiled entry point of the image comes from (tsconfig.build.json: dist/ mirrors the tree). */
const sourceOf = (compiled: string) => compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts');

describe('docker-compose.yml', () => {
  it('builds one image once: the api service builds orderflow:local, the workers reuse it without pulling', () => {
    expect(api).toMatchObject({ image: 'orderflow:local', build: '.' });
    expect(workers).toMatchObject({ image: 'orderflow:local', pull_policy: 'never' });
    expect(workers!.build).toBeUndefined();
  });

  it('runs node directly on compiled entry points that exist, behind an init, with time to shut down gracefully', () => {
    for (const service of [api!, workers!]) {
      const [program, entry, ...rest] = service.command!;
      expect(program).toBe('node');
      expect(rest).toEqual([]);
      expect(existsSync(sourceOf(entry!)), entry).toBe(true);
      expect(service.init).toBe(true);
      const grace = /^(\d+)s$/.exec(service.stop_grace_period ?? '');
      expect(Number(grace?.[1]) * 1000).toBeGreaterThan(defaults.shutdownGraceMs);
    }
  });

  it('checks the health of the API on /health/ready and of the workers on their metrics port', () => {
    expect(api!.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${defaults.port}/health/ready`);
    expect(workers!.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${workers!.environment!.METRICS_PORT}/metrics`);
    for (const service of [api!, workers!]) expect(service.healthcheck!.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  });

  it('takes API_KEYS from the environment or .env, refusing to start without them', () => {
    for (const service of [api!, workers!]) expect(service.environment!.API_KEYS).toMatch(/^\$\{API_KEYS:\?.+\}$/);
    expect(readFileSync('.gitignore', 'utf8').split('\n')).toContain('.env');
    expect(readFileSync('.dockerignore', 'utf8').split('\n')).toContain('.env');
    expect(readFileSync('.env.example', 'utf8')).toMatch(/^API_KEYS=$/m);
  });

  it('publishes PostgreSQL and Redis on 127.0.0.1 where the default DATABASE_URL and REDIS_URL look, with no password to know', () => {
    const database = new URL(defaults.databaseUrl);
    const cache = new URL(defaults.redisUrl);
    expect(postgres!.ports).toEqual([`127.0.0.1:\${POSTGRES_PORT:-${database.port}}:5432`]);
    expect(redis!.ports).toEqual([`127.0.0.1:\${REDIS_PORT:-${cache.port}}:6379`]);
    expect(database.password).toBe('');
    expect(postgres!.environment).toMatchObject({ POSTGRES_DB: database.pathname.slice(1), POSTGRES_HOST_AUTH_METHOD: 'trust' });
    expect(postgres!.environment!.POSTGRES_PASSWORD).toBeUndefined();
    expect(new URL(api!.environment!.DATABASE_URL!).password).toBe('');
  });

  it('runs Redis with AOF on and noeviction', () => {
    const command = redis!.command!.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync('Dockerfile', 'utf8').split('\n');

  it('builds and runs on Node 24 LTS', () => {
    const bases = lines.filter((line) => line.startsWith('FROM ')).map((line) => line.split(/\s+/)[1]);
    expect(bases).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
  });

  it('starts node on a compiled entry point that exists', () => {
    const command = JSON.parse(lines.find((line) => line.startsWith('CMD '))!.slice(4)) as string[];
    expect(command[0]).toBe('node');
    expect(existsSync(sourceOf(command[1]!))).toBe(true);
  });
});
