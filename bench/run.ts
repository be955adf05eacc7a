/**
 * npm run bench [-- --orders 5000 --seconds 10]
 *
 * Measures orderflow on this machine against its own ceilings, in one run, on a private PostgreSQL (with
 * pg_stat_statements) and a private Redis: nothing else shares them. Prints a table and writes
 * bench/results/latest.md and latest.json. Never part of `npm test`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PrivatePostgres } from '../test/support/postgres-server.js';
import { preload } from './preload.js';
import { PrivateRedis } from '../test/support/redis-server.js';
import { pooled } from '../test/support/pool.js';
import { freePort } from '../test/support/ports.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    // Orders already stored for the second full lifecycle (the cost of an action must not grow with the tables).
    stored: { type: 'string', default: '20000' },
    // Length of the sustained-load phase.
    sustain: { type: 'string', default: '30' },
    // Writes V8 CPU profiles of the API and worker processes of the lifecycle runs to bench/results/profiles.
    profile: { type: 'boolean', default: false },
  },
});
const ORDERS = Number(args.orders);
const SECONDS = Number(args.seconds);
const STORED = Number(args.stored);
const SUSTAIN_SECONDS = Number(args.sustain);
const ADMIN = 'bench-admin-secret-0000001';
const KEYS = `bench:admin:${ADMIN}`;
const BENCH = '/* bench */';

// ---------------------------------------------------------------------------------------------- helpers

function progress(label: string, done: number, total: number): void {
  const width = 30;
  done = Math.min(done, total);
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stderr.write(`\r  ${label.padEnd(34)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}   `);
  if (done >= total) process.stderr.write('\n');
}

/**
 * Starts a process and waits until `ready` answers (a line on stdout, or an HTTP URL answering 200). A `.ts`
 * script runs through tsx; orderflow itself runs compiled (`dist/…js`), as the image runs it.
 */
async function spawnNode(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: { line: string } | { url: string },
  nodeArgs: string[] = [],
): Promise<ChildProcess> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  let exited = false;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => (exited = true));
  for (let waited = 0; ; waited += 100) {
    if (exited) throw new Error(`${script} exited with ${child.exitCode}: ${output}`);
    if ('line' in ready && output.includes(ready.line)) break;
    if ('url' in ready && (await fetch(ready.url).then((r) => r.ok, () => false))) break;
    if (waited > 60_000) throw new Error(`${script} did not become ready`);
    await sleep(100);
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const TICKS = 100; // USER_HZ on Linux
/** CPU milliseconds (user + system) a process used so far, and its peak resident set in MB. */
function processStats(pid: number): { cpuMs: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs, peakRssMb: Math.round(Number(hwm?.[1] ?? 0) / 1024) };
}

/** `pooled`, drawing a progress bar every 50 items. */
async function mapConcurrent<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>, label: string) {
  let done = 0;
  await pooled(items, concurrency, async (item, index) => {
    await work(item, index);
    if (++done % 50 === 0 || done === items.length) progress(label, done, items.length);
  });
}

async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function orderBody(sku: string) {
  return {
    currency: 'USD',
    customer: { email: 'bench@example.com', firstName: 'Bench', lastName: 'Mark' },
    items: [{ sku, name: 'Bench item', qty: 2, unitPrice: 1999, taxAmount: 400, discountAmount: 0 }],
    shipping: { method: 'flatrate', title: 'Flat rate', amount: 500, taxAmount: 100 },
    billingAddress: { name: 'Bench Mark', line1: '1 Main St', city: 'London', country: 'GB' },
    shippingAddress: { name: 'Bench Mark', line1: '1 Main St', city: 'London', country: 'GB' },
    payment: { method: 'banktransfer', captured: true },
    grandTotal: 2 * 1999 + 500 + 500,
  };
}

async function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    let tick = 0;
    instance.on('tick', () => {
      if (tick < Number(options.duration)) progress(options.title ?? 'load', ++tick, Number(options.duration));
    });
  });
}

// ---------------------------------------------------------------------------------------------- the run

// orderflow is measured compiled, as the image runs it (under tsx the API holds some 20–30 MB more).
process.stderr.write('  npm run build …\n');
execFileSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });

const postgres = await PrivatePostgres.start({
  shared_preload_libraries: 'pg_stat_statements',
  max_connections: '200',
  fsync: 'on',
  full_page_writes: 'on',
});
const redis = await PrivateRedis.start();
const admin = new pg.Client({ connectionString: `${postgres.url}/postgres` });
await admin.connect();
await admin.query('create database orderflow');
await admin.end();
const databaseUrl = `${postgres.url}/orderflow`;
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
await db.query('create extension pg_stat_statements');
// The bench's own reads use indexes where one applies, so that what it measures (rows read by sequential scans) is
// orderflow's.
await db.query('set enable_seqscan = off');
const sql = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => (await db.query<T>(`${BENCH} ${text}`, params)).rows;

const [pgVersion] = await sql<{ server_version: string }>('show server_version');
const redisInfo = new Redis(redis.url);
const redisVersion = /redis_version:(\S+)/.exec(await redisInfo.info('server'))?.[1];
redisInfo.disconnect();
const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model.trim()}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  postgres: pgVersion?.server_version,
  redis: redisVersion,
};
console.log('machine', machine);

const results: Record<string, number | string> = {};
const profiling = args.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : [];
const orderflowEnv = {
  NODE_ENV: 'production',
  // As the image and the npm scripts run it (a young generation of 2 × 16 MB).
  NODE_OPTIONS: '--max-semi-space-size=16',
  DATABASE_URL: databaseUrl,
  REDIS_URL: redis.url,
  API_KEYS: KEYS,
  LOG_LEVEL: 'warn',
  EMAILS: 'none',
  INTAKE_MAX_BACKLOG: '10000000',
  RATE_LIMIT_PER_MINUTE: '10000000',
  RELAY_AFTER_MS: '30000',
};

try {
  // 1. Intake ceiling: bare Fastify route, one INSERT and one enqueue.
  {
    const port = await freePort();
    const ceiling = await spawnNode('bench/ceiling-intake.ts', { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, PORT: String(port) }, { line: 'ready' });
    const request = {
      url: `http://127.0.0.1:${port}/ceiling`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(orderBody('CEILING')),
      duration: SECONDS,
    };
    const result = await cannon({ ...request, title: 'intake ceiling', connections: 64 });
    results.intakeCeilingRps = Math.round(result.requests.average);
    // The same fixed rate as orderflow's latency row below: what this machine's bare route answers in.
    const fixed = await cannon({ ...request, title: 'intake ceiling (1,000 req/s)', connections: 32, overallRate: 1000 });
    results.intakeCeilingP50Ms = fixed.latency.p50;
    results.intakeCeilingP99Ms = fixed.latency.p99;
    await stop(ceiling);
  }

  // 2. Pipeline ceiling: a bare worker, one transaction of three inserts per job, queue filled beforehand.
  {
    const jobs = ORDERS * 4;
    const queue = new Queue('ceiling-pipeline', { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix: '{ceiling}' });
    for (let added = 0; added < jobs; added += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, jobs - added) }, (_, i) => ({ name: 'job', data: { n: added + i } })));
      progress('pipeline ceiling: filling', Math.min(added + 1000, jobs), jobs);
    }
    const started = Date.now();
    const worker = await spawnNode('bench/ceiling-worker.ts', { DATABASE_URL: databaseUrl, REDIS_URL: redis.url }, { line: 'ready' });
    for (;;) {
      const left = (await queue.getJobCounts('waiting', 'active')) as Record<string, number>;
      const remaining = (left.waiting ?? 0) + (left.active ?? 0);
      progress('pipeline ceiling: draining', jobs - remaining, jobs);
      if (remaining === 0) break;
      await sleep(200);
    }
    results.pipelineCeilingJobsPerSecond = Math.round(jobs / ((Date.now() - started) / 1000));
    await stop(worker);
    await queue.obliterate({ force: true });
    await queue.close();
    await queue.disconnect();
  }

  // 3. orderflow intake: POST /v1/orders at saturation, then p50/p99 at a fixed 1,000 requests a second.
  {
    const port = await freePort();
    const api = await spawnNode('dist/src/start-api.js', { ...orderflowEnv, PORT: String(port) }, { url: `http://127.0.0.1:${port}/health/ready` });
    const request = {
      method: 'POST' as const,
      path: '/v1/orders',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(orderBody('INTAKE')),
      setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
    };
    const saturated = await cannon({ title: 'orderflow intake (saturation)', url: `http://127.0.0.1:${port}`, requests: [request], connections: 64, duration: SECONDS });
    results.intakeRps = Math.round(saturated.requests.average);
    results.intakeNon2xx = saturated.non2xx;
    const fixed = await cannon({
      title: 'orderflow intake (1,000 req/s)',
      url: `http://127.0.0.1:${port}`,
      requests: [request],
      connections: 32,
      overallRate: 1000,
      duration: SECONDS,
    });
    results.intakeP50Ms = fixed.latency.p50;
    results.intakeP99Ms = fixed.latency.p99;
    results.intakeFixedRps = Math.round(fixed.requests.average);
    // Two API processes sharing the load (as behind a balancer): the same 64 connections, half to each.
    const secondPort = await freePort();
    const second = await spawnNode('dist/src/start-api.js', { ...orderflowEnv, PORT: String(secondPort) }, { url: `http://127.0.0.1:${secondPort}/health/ready` });
    const both = await Promise.all(
      [port, secondPort].map((each, index) =>
        cannon({ title: `orderflow intake, 2 API processes (${index + 1})`, url: `http://127.0.0.1:${each}`, requests: [request], connections: 32, duration: SECONDS }),
      ),
    );
    results.intakeTwoProcessesRps = Math.round(both.reduce((sum, one) => sum + one.requests.average, 0));
    await stop(second);
    await stop(api);
    await sql(`truncate actions, outbox, order_events, reservations, order_lines, order_addresses, orders cascade`);
    const flush = new Redis(redis.url);
    await flush.flushall();
    flush.disconnect();
  }

  // 4. Lifecycle: N orders each placed, invoiced, shipped and half refunded, with the API and one worker process.
  const TABLES = ['orders', 'order_lines', 'order_addresses', 'actions', 'outbox', 'order_events', 'invoices', 'invoice_items',
    'payments', 'shipments', 'shipment_items', 'refunds', 'refund_items', 'reservations', 'webhook_deliveries', 'emails'];
  const seqReads = async () =>
    new Map(
      (await sql<{ relname: string; n: string }>(`select relname, seq_tup_read as n from pg_stat_user_tables where relname = any($1)`, [TABLES])).map(
        (row) => [row.relname, Number(row.n)],
      ),
    );
  const truncate = () =>
    sql(`truncate actions, outbox, order_events, pdf_documents, emails, webhook_deliveries, refund_items, refunds,
      shipment_items, shipments, payments, invoice_items, invoices, reservations, order_lines, order_addresses, orders,
      sequences cascade`);

  /** The API and one worker process (all queues, default settings but e-mails off), started afresh. */
  const startOrderflow = async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = await spawnNode('dist/src/start-api.js', { ...orderflowEnv, PORT: String(port) }, { url: `${base}/health/ready` }, profiling);
    const metricsPort = await freePort();
    const workers = await spawnNode(
      'dist/workers/all.js',
      { ...orderflowEnv, METRICS_PORT: String(metricsPort) },
      { url: `http://127.0.0.1:${metricsPort}/metrics` },
      profiling,
    );
    await post(base, '/v1/orders', {}); // warm-up of the route (answers 400)
    for (const [path, body] of [
      ['/v1/inventory/sources/main', { name: 'Main' }],
      ['/v1/inventory/items/BENCH-1', { sources: { main: 100_000_000 } }],
    ] as const) {
      await fetch(`${base}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    }
    return { base, api, workers };
  };

  /** Waits until `total` accepted actions are all applied (no action is left unfinished, read by its index). */
  const waitApplied = async (label: string, total: number) => {
    for (;;) {
      const [row] = await sql<{ n: number }>(`select count(*)::int as n from actions where status in ('queued', 'processing')`);
      progress(label, total - row!.n, total);
      if (row!.n === 0) return;
      await sleep(250);
    }
  };
  const waitFollowUps = async () => {
    for (;;) {
      const [row] = await sql<{ n: number }>('select count(*)::int as n from outbox where done_at is null');
      if (row!.n === 0) return;
      await sleep(250);
    }
  };

  const lifecycle = async (orders: number, label: string, options: { truncate: boolean }) => {
    if (options.truncate) await truncate();
    const { base, api, workers } = await startOrderflow();
    await sql('select pg_stat_statements_reset()');
    const [{ since }] = (await sql<{ since: Date }>('select now() as since')) as [{ since: Date }];
    const seqBefore = await seqReads();
    const before = { api: processStats(api.pid!), workers: processStats(workers.pid!) };

    const orderIds: string[] = [];
    await mapConcurrent(Array.from({ length: orders }), 64, async () => {
      const { status, json } = await post(base, '/v1/orders', orderBody('BENCH-1'));
      if (status !== 202) throw new Error(`placement answered ${status}: ${JSON.stringify(json)}`);
      orderIds.push(json.orderId as string);
    }, `${label}: place`);
    await waitApplied(`${label}: applied`, orders);
    const lines = new Map(
      (await sql<{ order_id: string; id: string }>('select order_id, id from order_lines where order_id = any($1)', [orderIds])).map((row) => [row.order_id, row.id]),
    );
    await mapConcurrent(orderIds, 64, async (orderId) => {
      const itemId = lines.get(orderId)!;
      for (const [path, body] of [
        [`/v1/orders/${orderId}/invoices`, {}],
        [`/v1/orders/${orderId}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z' }],
        [`/v1/orders/${orderId}/refunds`, { items: [{ itemId, qty: 1, returnToStock: true }] }],
      ] as const) {
        const { status } = await post(base, path, body);
        if (status !== 202) throw new Error(`${path} answered ${status}`);
      }
    }, `${label}: invoice, ship, refund`);
    const total = orders * 4;
    await waitApplied(`${label}: all applied`, total);
    // Work after commit (refund payments) finishes too before the figures are read.
    await waitFollowUps();
    // pg_stat_user_tables is updated a moment after the statements ran.
    await sleep(1000);
    const seqAfter = await seqReads();

    const [timing] = await sql<{ seconds: number; p50: number; p99: number; rejected: number }>(
      `select extract(epoch from max(finished_at) - min(created_at))::float as seconds,
              percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at) * 1000) as p50,
              percentile_cont(0.99) within group (order by extract(epoch from finished_at - created_at) * 1000) as p99,
              count(*) filter (where status = 'rejected')::int as rejected
       from actions where created_at >= $1`,
      [since],
    );
    const [statements] = await sql<{ calls: string }>(
      `select sum(calls) as calls from pg_stat_statements where query not like '/* bench */%' and query not like '%pg_stat_statements%'`,
    );
    const topStatements = await sql<{ calls: string; ms: number; query: string }>(
      `select calls, round(total_exec_time::numeric, 1)::float as ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
       from pg_stat_statements where query not like '/* bench */%' and query not like '%pg_stat_statements%'
       order by calls desc limit 15`,
    );
    const seqByTable: Record<string, number> = Object.fromEntries(
      TABLES.map((table): [string, number] => [table, Number((((seqAfter.get(table) ?? 0) - (seqBefore.get(table) ?? 0)) / total).toFixed(2))]).filter(
        ([, n]) => n > 0,
      ),
    );
    const after = { api: processStats(api.pid!), workers: processStats(workers.pid!) };
    await stop(api);
    await stop(workers);
    return {
      orders,
      actions: total,
      seconds: timing!.seconds,
      actionsPerSecond: Math.round(total / timing!.seconds),
      p50Ms: Math.round(timing!.p50),
      p99Ms: Math.round(timing!.p99),
      rejected: timing!.rejected,
      statementsPerAction: Number((Number(statements!.calls) / total).toFixed(1)),
      cpuMsPerAction: Number(((after.api.cpuMs - before.api.cpuMs + after.workers.cpuMs - before.workers.cpuMs) / total).toFixed(2)),
      apiCpuMsPerAction: Number(((after.api.cpuMs - before.api.cpuMs) / total).toFixed(2)),
      workersCpuMsPerAction: Number(((after.workers.cpuMs - before.workers.cpuMs) / total).toFixed(2)),
      apiPeakRssMb: after.api.peakRssMb,
      workersPeakRssMb: after.workers.peakRssMb,
      seqRowsPerAction: Number(Object.values(seqByTable).reduce((a, b) => a + b, 0).toFixed(2)),
      seqByTable,
      topStatements: topStatements.map((row) => ({ perAction: Number((Number(row.calls) / total).toFixed(2)), ms: row.ms, query: row.query })),
    };
  };

  /**
   * 5. Sustained load: orders arrive at a fixed rate for `seconds`, each placed, invoiced, shipped and its shipping
   * refunded (four actions sent one after the other, as a storefront and a back office would); accept → applied
   * latency of those actions at that rate.
   */
  const sustained = async (actionsPerSecond: number, seconds: number) => {
    await truncate();
    const { base, api, workers } = await startOrderflow();
    const [{ since }] = (await sql<{ since: Date }>('select now() as since')) as [{ since: Date }];
    const ordersPerSecond = actionsPerSecond / 4;
    const chains: Promise<void>[] = [];
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < seconds * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * ordersPerSecond);
      for (; sent < due; sent++) {
        chains.push(
          (async () => {
            const placed = await post(base, '/v1/orders', orderBody('BENCH-1'));
            const orderId = placed.json.orderId as string;
            for (const [path, body] of [
              [`/v1/orders/${orderId}/invoices`, {}],
              [`/v1/orders/${orderId}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z' }],
              [`/v1/orders/${orderId}/refunds`, { shipping: 500 }],
            ] as const) {
              await post(base, path, body);
            }
          })(),
        );
      }
      progress('sustained load', Math.min(seconds, Math.floor((Date.now() - started) / 1000)), seconds);
      await sleep(10);
    }
    progress('sustained load', seconds, seconds);
    await Promise.all(chains);
    await waitApplied('sustained: all applied', sent * 4);
    const [latency] = await sql<{ p50: number; p99: number; rejected: number }>(
      `select percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at) * 1000) as p50,
              percentile_cont(0.99) within group (order by extract(epoch from finished_at - created_at) * 1000) as p99,
              count(*) filter (where status = 'rejected')::int as rejected
       from actions where created_at >= $1`,
      [since],
    );
    await stop(api);
    await stop(workers);
    return { rate: Math.round(actionsPerSecond), actions: sent * 4, p50Ms: Math.round(latency!.p50), p99Ms: Math.round(latency!.p99), rejected: latency!.rejected };
  };

  /**
   * Placements with `Prefer: wait=5` at a steady rate, with a worker applying them: how long a checkout waits for
   * its answer (201 once the worker's NOTIFY arrives), not for a poll. Requests are sent evenly spaced, each on its
   * own (autocannon's fixed rate sends its connections' requests together, in bursts of 64 every third of a second).
   */
  const waitAnswers = async (rate: number, seconds: number) => {
    await truncate();
    const { base, api, workers } = await startOrderflow();
    const body = JSON.stringify(orderBody('BENCH-1'));
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const answers: Promise<void>[] = [];
    const started = performance.now();
    for (let sent = 0; sent < rate * seconds; ) {
      const due = Math.min(rate * seconds, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < due; sent++) {
        const at = performance.now();
        answers.push(
          fetch(`${base}/v1/orders`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', prefer: 'wait=5', 'idempotency-key': randomUUID() },
            body,
          }).then(async (response) => {
            await response.arrayBuffer();
            latencies.push(performance.now() - at);
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          }),
        );
      }
      progress(`Prefer: wait=5 at ${rate} req/s`, Math.floor((performance.now() - started) / 1000), seconds);
      await sleep(1);
    }
    await Promise.all(answers);
    progress(`Prefer: wait=5 at ${rate} req/s`, seconds, seconds);
    await stop(api);
    await stop(workers);
    latencies.sort((a, b) => a - b);
    const percentile = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!);
    const applied = statuses.get(201) ?? 0; // 201: applied within the wait; 202: the wait ran out first
    return { rate, p50Ms: percentile(0.5), p99Ms: percentile(0.99), applied, notYet: statuses.get(202) ?? 0, other: latencies.length - applied - (statuses.get(202) ?? 0) };
  };

  const half = await lifecycle(Math.round(ORDERS / 2), `lifecycle ${Math.round(ORDERS / 2)}`, { truncate: true });
  const full = await lifecycle(ORDERS, `lifecycle ${ORDERS}`, { truncate: true });
  await truncate();
  process.stderr.write(`  storing ${STORED} orders …\n`);
  await preload(sql, STORED, 'BENCH-1');
  const stored = await lifecycle(ORDERS, `lifecycle ${ORDERS}, ${STORED} stored`, { truncate: false });
  const sustain = await sustained(full.actionsPerSecond / 2, SUSTAIN_SECONDS);
  // 200 placements a second, or half of what this machine applies when that is less.
  const waits = await waitAnswers(Math.min(200, Math.round(full.actionsPerSecond / 2)), SECONDS);
  const { topStatements, seqByTable, ...figures } = full;
  Object.assign(results, Object.fromEntries(Object.entries(figures).map(([k, v]) => [`lifecycle.${k}`, v])));
  results['lifecycle.halfSeconds'] = half.seconds;
  results['stored.actionsPerSecond'] = stored.actionsPerSecond;
  results['stored.seqRowsPerAction'] = stored.seqRowsPerAction;
  Object.assign(results, Object.fromEntries(Object.entries(sustain).map(([k, v]) => [`sustained.${k}`, v])));
  Object.assign(results, Object.fromEntries(Object.entries(waits).map(([k, v]) => [`waitAnswers.${k}`, v])));

  const ratio = (a: number, b: number) => `${Math.round((a / b) * 100)}%`;
  const rows: [string, string, string][] = [
    ['intake ceiling (bare route: INSERT + enqueue)', `${results.intakeCeilingRps} req/s`, ''],
    ['pipeline ceiling (bare worker: 1 tx, 3 inserts)', `${results.pipelineCeilingJobsPerSecond} jobs/s`, ''],
    ['orderflow intake, saturation', `${results.intakeRps} req/s`, ratio(Number(results.intakeRps), Number(results.intakeCeilingRps))],
    ['intake ceiling at 1,000 req/s: p50 / p99', `${results.intakeCeilingP50Ms} / ${results.intakeCeilingP99Ms} ms`, ''],
    [
      'orderflow intake at 1,000 req/s: p50 / p99 (p99 ÷ the ceiling\'s)',
      `${results.intakeP50Ms} / ${results.intakeP99Ms} ms`,
      `×${(Number(results.intakeP99Ms) / Number(results.intakeCeilingP99Ms)).toFixed(1)}`,
    ],
    ['orderflow intake, 2 API processes, saturation', `${results.intakeTwoProcessesRps} req/s`, ratio(Number(results.intakeTwoProcessesRps), Number(results.intakeCeilingRps))],
    [`lifecycle ${full.orders} orders (${full.actions} actions)`, `${full.actionsPerSecond} actions/s`, ratio(full.actionsPerSecond, Number(results.pipelineCeilingJobsPerSecond))],
    ['lifecycle accept → applied: p50 / p99', `${full.p50Ms} / ${full.p99Ms} ms`, ''],
    ['PostgreSQL statements per action', String(full.statementsPerAction), ''],
    ['CPU time per action (API + workers)', `${full.cpuMsPerAction} ms (${full.apiCpuMsPerAction} + ${full.workersCpuMsPerAction})`, ''],
    ['peak RSS: API / workers', `${full.apiPeakRssMb} / ${full.workersPeakRssMb} MB`, ''],
    [`linearity: ${half.orders} → ${full.orders} orders`, `${half.seconds.toFixed(1)} s → ${full.seconds.toFixed(1)} s`, `×${(full.seconds / half.seconds).toFixed(2)}`],
    ['rows read by sequential scans per action (growing tables): empty database', String(full.seqRowsPerAction), ''],
    [`rows read by sequential scans per action, ${STORED} orders stored`, String(stored.seqRowsPerAction), ''],
    [`lifecycle with ${STORED} orders stored ÷ on an empty database`, `${stored.actionsPerSecond} actions/s`, ratio(stored.actionsPerSecond, full.actionsPerSecond)],
    [`sustained load at ${sustain.rate} actions/s for ${SUSTAIN_SECONDS} s: accept → applied p50 / p99`, `${sustain.p50Ms} / ${sustain.p99Ms} ms`, ''],
    [
      `placements with Prefer: wait=5 at ${waits.rate} req/s: answer p50 / p99 (share answered 201, applied)`,
      `${waits.p50Ms} / ${waits.p99Ms} ms`,
      ratio(waits.applied, waits.applied + waits.notYet + waits.other),
    ],
  ];
  const table = ['| measure | value | ratio |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(`\n${table}\n`);
  mkdirSync('bench/results', { recursive: true });
  const stamp = new Date().toISOString();
  const profile = [
    '| per action | total ms | statement |',
    '|---|---|---|',
    ...topStatements.map((row) => `| ${row.perAction} | ${row.ms} | \`${row.query.replace(/\|/g, '\\|')}\` |`),
  ].join('\n');
  const scans = `Rows read by sequential scans per action, by table: empty database ${JSON.stringify(seqByTable)}; ${STORED} orders stored ${JSON.stringify(stored.seqByTable)}`;
  console.log(`Most frequent statements in the lifecycle run:\n${profile}\n\n${scans}\n`);
  if (args.profile) {
    for (const file of readdirSync('bench/results/profiles').filter((name) => name.endsWith('.cpuprofile'))) {
      console.log(`profile ${file}:`);
      console.log(execFileSync(process.execPath, ['--import', 'tsx', 'bench/profile-summary.ts', `bench/results/profiles/${file}`, '12'], { encoding: 'utf8' }));
    }
  }
  writeFileSync(
    'bench/results/latest.json',
    `${JSON.stringify({ at: stamp, machine, args: { ORDERS, SECONDS, STORED, SUSTAIN_SECONDS }, results, topStatements, seqByTable, storedSeqByTable: stored.seqByTable }, null, 2)}\n`,
  );
  writeFileSync(
    'bench/results/latest.md',
    `Run ${stamp} on ${machine.cpus}, ${machine.memory}, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}.\n\n${table}\n\nMost frequent statements (lifecycle, ${full.orders} orders):\n\n${profile}\n\n${scans}\n`,
  );
} finally {
  await db.end();
  await redis.destroy();
  postgres.destroy();
}
