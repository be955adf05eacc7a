import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';

/**
 * Generated hostile input (the reduced, CI-sized version of issue 6's suite): malformed and malicious requests
 * against every write route. Never a 5xx, the server stays up, and only requests answered 202 wrote anything.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: false, env: { BODY_LIMIT_BYTES: '65536', RATE_LIMIT_PER_MINUTE: '10000000' } });
});
afterAll(() => h.close());

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY: unknown[] = [
  -1, 0.5, -0.0001, 1e308, -1e308, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, '', ' ', '1', 'NaN', null, true, false,
  [], {}, [1, 2], { $gt: '' }, "'; drop table orders; --", '<script>alert(1)</script>', '\u0000', '\uD800', '💥'.repeat(300),
  'ｆｕｌｌ', 'a'.repeat(10_000), '../../etc/passwd', '${jndi:ldap://x}', { __proto__: { admin: true } }, 'constructor',
];
const RAW_BODIES = [
  '{', '{"items": [', 'null', '[]', '"string"', '1e400', '{"a":1}{"b":2}', '\u0000', '{"__proto__":{"x":1}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"items":${'['.repeat(200)}${']'.repeat(200)}}`,
];

function mutate(random: () => number, value: unknown, depth = 0): unknown {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  if (random() < 0.15 || depth > 4) return pick(NASTY);
  if (Array.isArray(value)) {
    const copy = value.map((v) => (random() < 0.3 ? mutate(random, v, depth + 1) : v));
    if (random() < 0.1) copy.push(...Array.from({ length: 600 }, () => copy[0]));
    return copy;
  }
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of Object.keys(copy)) {
      const roll = random();
      if (roll < 0.2) copy[key] = mutate(random, copy[key], depth + 1);
      else if (roll < 0.25) delete copy[key];
    }
    if (random() < 0.1) copy[pick(['unknown', 'admin', 'status', 'number', 'id'])] = pick(NASTY);
    return copy;
  }
  return random() < 0.5 ? pick(NASTY) : value;
}

it('answers thousands of generated malformed or malicious requests without a 5xx, and writes only what it accepted', async () => {
  const random = prng(20261126);
  const placed = await h.post('/v1/orders', orderBody(), { key: 'storefront', idempotencyKey: newKey() });
  const { orderId } = placed.json();
  const targets = [
    '/v1/orders',
    `/v1/orders/${orderId}/invoices`,
    `/v1/orders/${orderId}/shipments`,
    `/v1/orders/${orderId}/refunds`,
    `/v1/orders/${orderId}/cancel`,
    `/v1/orders/${orderId}/comments`,
    '/v1/orders/not-a-uuid/cancel',
    '/v1/inventory/items/%00',
    '/v1/webhooks',
  ];
  const templates: Record<string, unknown> = {
    '/v1/orders': orderBody(),
    invoices: { items: [{ itemId: orderId, qty: 1 }], state: 'pending', dueInDays: 3 },
    shipments: { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z', items: [{ itemId: orderId, qty: 1 }] },
    refunds: { items: [{ itemId: orderId, qty: 1, returnToStock: true }], shipping: 0, adjustmentRefund: 0, adjustmentFee: 0 },
    cancel: { reason: 'x' },
    comments: { comment: 'hello', notifyCustomer: true },
    webhooks: { url: 'http://127.0.0.1:9/x', eventTypes: ['order.placed'] },
  };
  const statuses = new Map<number, number>();
  let accepted = 1; // the placement above
  const total = 3000;
  for (let n = 0; n < total; n++) {
    const url = targets[Math.floor(random() * targets.length)]!;
    const template = templates[url] ?? templates[url.split('/').at(-1)!] ?? {};
    const raw = random() < 0.1;
    const payload = raw ? RAW_BODIES[Math.floor(random() * RAW_BODIES.length)]! : JSON.stringify(mutate(random, template));
    const contentType = random() < 0.05 ? 'text/plain' : random() < 0.03 ? 'application/x-www-form-urlencoded' : 'application/json';
    const key = random() < 0.05 ? '' : random() < 0.05 ? 'k'.repeat(300) : random() < 0.05 ? 'ключ' : newKey();
    const response = await h.app.inject({
      method: url.startsWith('/v1/inventory') ? 'PUT' : 'POST',
      url,
      payload,
      headers: {
        'content-type': contentType,
        authorization: `Bearer ${random() < 0.5 ? 'admin-test-secret-000000001' : 'storefront-test-secret-0001'}`,
        ...(key === '' ? {} : { 'idempotency-key': key }),
      },
    });
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    expect(response.statusCode, `${url} ${payload.slice(0, 200)} → ${response.body.slice(0, 300)}`).toBeLessThan(500);
    if (response.statusCode >= 400) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (response.statusCode === 202 && url !== '/v1/webhooks') accepted++;
  }
  // Most of it is refused; whatever was accepted is exactly what was written.
  const refused = [...statuses].filter(([status]) => status >= 400).reduce((sum, [, count]) => sum + count, 0);
  expect(refused).toBeGreaterThan(total * 0.8);
  expect(statuses.get(400)).toBeGreaterThan(total / 4);
  const [actions] = await h.sql<{ n: number }>('select count(*)::int as n from actions');
  expect(actions!.n).toBe(accepted);
  expect((await h.get('/health/live', { key: null })).statusCode).toBe(200);
  console.log('hostile input: statuses', Object.fromEntries(statuses), 'accepted', accepted);
}, 120_000);
