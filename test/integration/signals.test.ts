import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { openRuntime } from '../../src/runtime.js';
import { databaseUrl, dropDatabase, uniqueName } from '../support/databases.js';
import { singleLineOrder } from '../support/fixtures.js';
import { KEYS, newKey } from '../support/harness.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';

/**
 * Processes as an operator starts them: `npm start` from a checkout, and the image's compiled entry points. SIGTERM
 * to the started process must reach the server, run the bounded graceful shutdown and leave nothing running.
 */

const GRACE_MS = 3000;
/** Starting processes (tsx transpiling, a database created and migrated) is slow on a busy machine. */
const PROCESS_TEST_MS = 120_000;
/** Time to stop beyond the grace period: closing connections and the process's own exit. */
const MARGIN_MS = 3000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `command`, resolving once it has logged that orderflow started; stopped after the test whatever happens. */
async function start(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as { code: number | null; signal: NodeJS.Signals | null });
  const started = { child, output: () => output, exited };
  cleanups.push(async () => void (await terminate(started)));
  await Promise.race([
    eventually(`${command} ${args.join(' ')} to start`, async () => output.includes('"msg":"orderflow started"'), 60_000),
    exited.then(({ code }) => {
      throw new Error(`${command} ${args.join(' ')} exited with ${code} before starting:\n${output}`);
    }),
  ]);
  return started;
}

interface ProcessNode {
  pid: number;
  command: string;
  children: ProcessNode[];
}

/** The processes below `pid`, from /proc (children of every thread), with their command lines. */
function processTree(pid: number): ProcessNode[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  return children.map((child) => ({
    pid: child,
    command: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '),
    children: processTree(child),
  }));
}

const everyPid = (nodes: ProcessNode[]): number[] => nodes.flatMap((node) => [node.pid, ...everyPid(node.children)]);

/** Whether `pid` is a live process (a zombie waiting to be reaped has stopped running). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** SIGTERM, then how it ended and how long that took. */
async function terminate(started: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const sentAt = Date.now();
  started.child.kill('SIGTERM');
  const ended = await started.exited;
  return { ...ended, ms: Date.now() - sentAt };
}

/** The JSON log lines saying `msg`. */
const logLines = (output: string, msg: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);

/** A deployment's own database and queue prefix, on the shared servers; dropped and emptied afterwards. */
async function deploymentEnv() {
  const database = uniqueName('orderflow_signals');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl(database),
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `{ofsig-${randomBytes(4).toString('hex')}}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    API_KEYS: `shop:storefront:${KEYS.storefront},ops:admin:${KEYS.admin}`,
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    RELAY_INTERVAL_MS: '300',
    RELAY_AFTER_MS: '1000',
  };
  return { database, env, baseUrl: `http://127.0.0.1:${port}` };
}

/** Opens the deployment's database and queues from the test (the processes created them), to read and to clean up. */
async function inspect(database: string, env: NodeJS.ProcessEnv) {
  const runtime = await openRuntime(loadConfig({ ...env, NODE_ENV: 'test' }), pino({ level: 'silent' }), { prepare: false });
  cleanups.push(async () => {
    await Promise.all(runtime.queues.all().map((queue) => queue.obliterate({ force: true }).catch(() => undefined)));
    await runtime.close();
    await dropDatabase(database);
  });
  const sql = <T>(query: string, params: unknown[] = []) => runtime.orm.em.fork().execute<T[]>(query, params);
  return { sql };
}

async function place(baseUrl: string, prefer?: string): Promise<{ status: number; actionId: string }> {
  const response = await fetch(`${baseUrl}/v1/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${KEYS.storefront}`,
      'content-type': 'application/json',
      'idempotency-key': newKey(),
      ...(prefer ? { prefer } : {}),
    },
    body: JSON.stringify(singleLineOrder('SKU-SIGNAL')),
  });
  const body = (await response.json()) as { action: { id: string } };
  return { status: response.status, actionId: body.action.id };
}

describe('npm start, as a user runs it', () => {
  it('stops on SIGTERM to the npm process: the server shuts down gracefully, exits 0 in time, leaves nothing running, loses nothing', async () => {
    const { database, env, baseUrl } = await deploymentEnv();
    const npm = await start('npm', ['start'], env);
    const { sql } = await inspect(database, env);
    // npm's script runs node itself (exec): no shell between npm and the server to swallow the signal. (Below the
    // server, tsx may run an esbuild service of its own.)
    const tree = processTree(npm.child.pid!);
    cleanups.push(async () => everyPid(tree).filter(running).forEach((pid) => process.kill(pid, 'SIGKILL')));
    expect(tree.map((process) => process.command)).toEqual(['node --max-semi-space-size=16 --import tsx src/start.ts']);

    const { status, actionId } = await place(baseUrl);
    expect(status).toBe(202);
    const { code, signal, ms } = await terminate(npm);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(GRACE_MS + MARGIN_MS);
    expect(logLines(npm.output(), 'shutting down')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
    expect(everyPid(tree).filter(running)).toEqual([]);

    // The action accepted just before the signal is applied, by the server before it stopped or by a worker now.
    await start(process.execPath, ['--import', 'tsx', 'workers/all.ts'], env);
    await eventually('the accepted action to be applied', async () => {
      const [row] = await sql<{ status: string }>('select status from actions where id = ?', [actionId]);
      return row?.status === 'succeeded';
    });
    expect(await sql('select count(*)::int as n from orders')).toEqual([{ n: 1 }]);
  }, PROCESS_TEST_MS);
});

describe("the image's compiled entry points", () => {
  beforeAll(async () => {
    // What the Dockerfile's build stage runs.
    await promisify(execFile)('npm', ['run', 'build'], { env: process.env });
  }, 180_000);

  it('run the API and the workers from dist/; each stops on SIGTERM with exit code 0 in time', async () => {
    const { database, env, baseUrl } = await deploymentEnv();
    const production = { ...env, NODE_ENV: 'production', EMAILS: 'none' };
    const api = await start('node', ['dist/src/start-api.js'], production);
    const { sql } = await inspect(database, env);
    const workers = await start('node', ['dist/workers/all.js'], production);

    const { status, actionId } = await place(baseUrl, 'wait=15');
    expect(status).toBe(201);
    expect(await sql('select status from actions where id = ?', [actionId])).toEqual([{ status: 'succeeded' }]);
    // The console's stylesheet and script are not TypeScript: the build copies them next to the compiled code.
    for (const asset of ['console.css', 'console.js']) {
      const res = await fetch(`${baseUrl}/console/assets/${asset}`);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(100);
    }

    for (const started of [api, workers]) {
      const { code, signal, ms } = await terminate(started);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(ms).toBeLessThan(GRACE_MS + MARGIN_MS);
      expect(logLines(started.output(), 'shutting down')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
    }
  }, PROCESS_TEST_MS);
});
