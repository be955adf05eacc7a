import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleLineOrder } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { PrivateRedis } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The value of one series in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('health', () => {
  it('answers live and ready with what it checked', async () => {
    expect((await h.get('/health/live', { key: null })).json()).toEqual({ status: 'ok' });
    const ready = await h.get('/health/ready', { key: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: { ok: true }, redis: { ok: true }, migrations: { ok: true } },
    });
  });

  it('answers 503 naming Redis when Redis is unreachable', async () => {
    const redis = await PrivateRedis.start();
    const own = await startHarness({ redisUrl: redis.url, workers: false });
    try {
      await redis.stop();
      const ready = await own.get('/health/ready', { key: null });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'unavailable',
        checks: { postgres: { ok: true }, redis: { ok: false }, migrations: { ok: true } },
      });
      expect(ready.json().checks.redis.error).toEqual(expect.any(String));
    } finally {
      await redis.start();
      await own.close();
      await redis.destroy();
    }
  });
});

describe('metrics', () => {
  it('needs an admin key', async () => {
    expect((await h.get('/metrics', { key: null })).statusCode).toBe(401);
    expect((await h.get('/metrics', { key: 'storefront' })).statusCode).toBe(403);
  });

  it('counts requests, finished actions, job durations and queue depth after a few actions', async () => {
    for (const sku of ['M1', 'M2', 'M3', 'M4']) {
      const placed = await h.post('/v1/orders', singleLineOrder(sku), { key: 'storefront', idempotencyKey: newKey(), prefer: 'wait=10' });
      expect(placed.statusCode).toBe(201);
    }

    // Workers count a job when it completes, a moment after the action committed (and the API answered 201).
    const text = await eventually('the fourth job counted', async () => {
      const body = (await h.get('/metrics')).body;
      return sample(body, 'orderflow_queue_jobs{queue="orders",state="completed"}') === 4 && body;
    });
    expect(sample(text, 'orderflow_http_requests_total{method="POST",route="/v1/orders",status="201"}')).toBe(4);
    expect(sample(text, 'orderflow_actions_finished_total{type="order.place",outcome="succeeded"}')).toBe(4);
    expect(sample(text, 'orderflow_job_duration_seconds_count{queue="orders",name="order.place",outcome="succeeded"}')).toBe(4);
    expect(sample(text, 'orderflow_queue_jobs{queue="orders",state="completed"}')).toBe(4);
    expect(sample(text, 'orderflow_queue_jobs{queue="orders",state="failed"}')).toBe(0);
    expect(text).toContain('orderflow_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/orders"}');
    expect(text).toContain('orderflow_process_resident_memory_bytes');
  });
});

describe('OpenAPI', () => {
  it('is a valid OpenAPI 3 document that lists every route of the API with its auth', async () => {
    const response = await h.get('/docs/json', { key: null });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);

    const documented = new Set(
      Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const expected = [
      'POST /v1/orders', 'GET /v1/orders', 'GET /v1/orders/{id}', 'GET /v1/orders/{id}/history',
      'POST /v1/orders/{id}/cancel', 'POST /v1/orders/{id}/hold', 'POST /v1/orders/{id}/unhold',
      'POST /v1/orders/{id}/comments', 'POST /v1/orders/{id}/invoices', 'POST /v1/orders/{id}/shipments',
      'POST /v1/orders/{id}/refunds', 'POST /v1/invoices/{id}/payments', 'POST /v1/shipments/{id}/delivery',
      'GET /v1/invoices/{id}', 'GET /v1/shipments/{id}', 'GET /v1/refunds/{id}', 'GET /v1/actions/{id}',
      'PUT /v1/inventory/sources/{code}', 'PUT /v1/inventory/items/{sku}', 'GET /v1/inventory/items/{sku}',
      'GET /health/live', 'GET /health/ready', 'GET /metrics',
      'GET /v1/invoices/{id}/pdf', 'GET /v1/refunds/{id}/pdf',
      'POST /v1/orders/{id}/returns', 'GET /v1/returns/{id}', 'GET /v1/returns/{id}/pdf', 'POST /v1/returns/{id}/approve',
      'POST /v1/returns/{id}/reject', 'POST /v1/returns/{id}/cancel', 'POST /v1/returns/{id}/receive', 'POST /v1/returns/{id}/refund',
      'POST /v1/webhooks', 'GET /v1/webhooks', 'DELETE /v1/webhooks/{id}', 'GET /v1/webhooks/{id}/deliveries',
      'POST /v1/webhook-deliveries/{id}/redeliver',
      'GET /v1/actions', 'GET /v1/inventory/sources', 'GET /v1/inventory/items',
    ];
    expect([...documented].filter((r) => !r.startsWith('HEAD ')).sort()).toEqual([...expected].sort());

    const place = document.paths['/v1/orders'].post;
    expect(place.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(place.responses).sort()).toEqual(
      ['201', '202', '400', '401', '409', '413', '415', '422', '429', '503'].sort(),
    );
    expect(document.paths['/health/live'].get.security).toEqual([]);
  });

  it('serves the UI at /docs', async () => {
    const ui = await h.get('/docs/', { key: null });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});

describe('bull-board', () => {
  it('asks for basic auth, refuses a storefront key and a wrong secret, and lets an admin key in', async () => {
    const none = await h.get('/admin/queues/api/queues', { key: null });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Basic');
    const storefront = await h.get('/admin/queues/api/queues', { key: null, headers: { authorization: basic('shop', KEYS.storefront) } });
    expect(storefront.statusCode).toBe(401);
    const wrong = await h.get('/admin/queues/api/queues', { key: null, headers: { authorization: basic('ops', 'not-the-secret') } });
    expect(wrong.statusCode).toBe(401);

    const ok = await h.get('/admin/queues/api/queues', { key: null, headers: { authorization: basic('ops', KEYS.admin) } });
    expect(ok.statusCode).toBe(200);
    const names = (ok.json().queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(['invoices', 'maintenance', 'notifications', 'orders', 'refunds', 'returns', 'shipments', 'webhooks']);
    const page = await h.get('/admin/queues', { key: null, headers: { authorization: basic('ops', KEYS.admin) } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
  });
});

describe('rate limiting', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the limit, per key', async () => {
    const limited = await startHarness({ workers: false, env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const action = `/v1/actions/${randomUUID()}`;
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.get(action, { key: 'storefront' })).statusCode);
      expect(statuses).toEqual([404, 404, 404, 429]);
      const refused = await limited.get(action, { key: 'storefront' });
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json().code).toBe('RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.get(action, { key: 'admin' })).statusCode).toBe(404);
      // Health probes are never limited: a load balancer must not take a busy API out of service.
      for (let i = 0; i < 5; i++) expect((await limited.get('/health/live', { key: 'storefront' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('counts one budget per key across API processes that share a Redis', async () => {
    const env = { RATE_LIMIT_PER_MINUTE: '4', QUEUE_PREFIX: `{oftest-limit-${randomUUID().slice(0, 8)}}` };
    const [first, second] = [await startHarness({ workers: false, env }), await startHarness({ workers: false, env })];
    try {
      const action = `/v1/actions/${randomUUID()}`;
      const statuses = [];
      for (const api of [first, second, first, second, first, second]) statuses.push((await api.get(action, { key: 'storefront' })).statusCode);
      expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
