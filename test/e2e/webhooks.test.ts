import { createHmac, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, singleLineOrder } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { RECEIVER_ON_LOOPBACK, startReceiver, verifySignature, type Receiver, type ReceivedRequest, type Responder } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * SPEC §3.8 webhooks, end to end: subscriptions through the API, deliveries POSTed by the webhooks worker to a
 * real HTTP receiver on 127.0.0.1, signed, retried with backoff, logged, failed for good and redelivered by hand.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Long enough for a delivery nobody expects to arrive if it were (wrongly) sent. */
const SETTLE_MS = 400;

interface EventBody {
  id: string;
  type: string;
  createdAt: string;
  orderId: string;
  data: Record<string, unknown>;
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  orderId: string | null;
  status: string;
  attempts: number;
  responseStatus: number | null;
  responseExcerpt: string | null;
  durationMs: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}
interface HistoryEvent {
  id: number;
  type: string;
  actor: string;
  data: Record<string, unknown>;
  createdAt: string;
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());

/** JSON with keys sorted at every level (PostgreSQL jsonb does not keep key order), for sorting lists of objects. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
const bodyOf = (request: ReceivedRequest) => JSON.parse(request.body) as EventBody;
/** The requests received at `path` that carry an event of `orderId`. */
const received = (path: string, orderId: string) => receiver.at(path).filter((request) => bodyOf(request).orderId === orderId);

function client(h: () => Harness) {
  const act = (path: string, body: unknown, key: 'storefront' | 'admin' = 'admin') =>
    h().post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=15' });
  const subscribe = async (path: string, eventTypes: string[], secret?: string) => {
    const res = await h().post('/v1/webhooks', { url: `${receiver.url}${path}`, eventTypes, ...(secret ? { secret } : {}) });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ id: string; secret?: string }>();
    return { id: body.id, url: `${receiver.url}${path}`, secret: secret ?? body.secret! };
  };
  const unsubscribe = (id: string) =>
    h().app.inject({ method: 'DELETE', url: `/v1/webhooks/${id}`, headers: { authorization: `Bearer ${KEYS.admin}` } });
  const deliveries = async (subscriptionId: string): Promise<Delivery[]> => {
    const res = await h().get(`/v1/webhooks/${subscriptionId}/deliveries`);
    expect(res.statusCode).toBe(200);
    return res.json().items;
  };
  const history = async (orderId: string): Promise<HistoryEvent[]> => {
    const res = await h().get(`/v1/orders/${orderId}/history`);
    expect(res.statusCode).toBe(200);
    return res.json().items;
  };
  const place = async (body: unknown) => {
    const res = await act('/v1/orders', body, 'storefront');
    expect(res.statusCode).toBe(201);
    return res.json<{ orderId: string }>().orderId;
  };
  return { act, subscribe, unsubscribe, deliveries, history, place };
}

describe('webhooks', () => {
  let h: Harness;
  const { act, subscribe, unsubscribe, deliveries, history, place } = client(() => h);

  beforeAll(async () => {
    h = await startHarness({ env: { ...RECEIVER_ON_LOOPBACK, WEBHOOK_BACKOFF_MS: '50', WEBHOOK_TIMEOUT_MS: '2000' } });
    expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
    expect((await h.put('/v1/inventory/items/LIMITED-1', { sources: { main: 1 } })).statusCode).toBe(200);
  });
  afterAll(() => h?.close());

  it('manages subscriptions: the secret is shown once, lists hide it, bad input is 400, DELETE is 204 then 404', async () => {
    const url = `${receiver.url}/crud`;
    const first = await h.post('/v1/webhooks', { url, eventTypes: ['order.placed', 'refund.issued'] });
    expect(first.statusCode).toBe(201);
    const created = first.json();
    expect(created).toEqual({
      id: expect.stringMatching(UUID),
      url,
      eventTypes: ['order.placed', 'refund.issued'],
      createdAt: expect.stringMatching(ISO),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{32}$/),
    });
    expect(first.headers.location).toBe(`/v1/webhooks/${created.id}`);

    const second = await h.post('/v1/webhooks', { url, eventTypes: ['*'] });
    expect(second.statusCode).toBe(201);
    expect(second.json().secret).toMatch(/^whsec_/);
    expect(second.json().secret).not.toBe(created.secret);

    // A secret chosen by the subscriber is never echoed back.
    const own = await h.post('/v1/webhooks', { url, eventTypes: ['invoice.paid'], secret: 'my-own-secret-0123456789' });
    expect(own.statusCode).toBe(201);
    expect(own.json()).toEqual({ id: expect.stringMatching(UUID), url, eventTypes: ['invoice.paid'], createdAt: expect.stringMatching(ISO) });

    try {
      const list = await h.get('/v1/webhooks');
      expect(list.statusCode).toBe(200);
      const mine = list.json().items.filter((s: { id: string }) => [created.id, second.json().id, own.json().id].includes(s.id));
      expect(mine).toEqual([
        { id: created.id, url, eventTypes: ['order.placed', 'refund.issued'], createdAt: created.createdAt },
        { id: second.json().id, url, eventTypes: ['*'], createdAt: second.json().createdAt },
        { id: own.json().id, url, eventTypes: ['invoice.paid'], createdAt: own.json().createdAt },
      ]);
      for (const secret of [created.secret, second.json().secret, 'my-own-secret-0123456789']) {
        expect(list.body).not.toContain(secret);
      }

      const invalid: [unknown, string[]][] = [
        [{ url: 'not a url', eventTypes: ['order.placed'] }, ['/url']],
        [{ url: 'ftp://example.com/hook', eventTypes: ['order.placed'] }, ['/url']],
        [{ url, eventTypes: ['order.exploded'] }, ['/eventTypes/0']],
        [{ url, eventTypes: [] }, ['/eventTypes']],
        [{ url, eventTypes: ['order.placed'], secret: 'short' }, ['/secret']],
        [{ url, eventTypes: ['order.placed'], active: true }, ['/active']],
        [{ eventTypes: ['order.placed'] }, ['/url']],
      ];
      for (const [body, paths] of invalid) {
        const res = await h.post('/v1/webhooks', body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().code).toBe('VALIDATION_FAILED');
        expect([...new Set(res.json().errors.map((e: { path: string }) => e.path))].sort(), JSON.stringify(body)).toEqual(paths);
      }
      expect((await h.post('/v1/webhooks', { url, eventTypes: ['order.placed'] }, { key: 'storefront' })).statusCode).toBe(403);
      expect((await h.post('/v1/webhooks', { url, eventTypes: ['order.placed'] }, { key: null })).statusCode).toBe(401);

      const removed = await unsubscribe(created.id);
      expect(removed.statusCode).toBe(204);
      expect(removed.body).toBe('');
      const again = await unsubscribe(created.id);
      expect(again.statusCode).toBe(404);
      expect(again.json().code).toBe('NOT_FOUND');
      expect((await unsubscribe(randomUUID())).statusCode).toBe(404);
      const ids = (await h.get('/v1/webhooks')).json().items.map((s: { id: string }) => s.id);
      expect(ids).not.toContain(created.id);
      expect(ids).toEqual(expect.arrayContaining([second.json().id, own.json().id]));
    } finally {
      await unsubscribe(created.id);
      await unsubscribe(second.json().id);
      await unsubscribe(own.json().id);
    }
  });

  it('sends each subscriber exactly the event types it asked for, signed, with the event JSON', async () => {
    const typedTypes = ['order.placed', 'invoice.created', 'invoice.paid', 'shipment.dispatched', 'refund.issued'];
    const typed = await subscribe('/typed', typedTypes);
    const all = await subscribe('/all', ['*']);
    expect(typed.secret).toMatch(/^whsec_/);
    expect(all.secret).not.toBe(typed.secret);

    // A careful receiver: verifies the signature, refuses stale timestamps, processes an event id only once.
    const secrets = new Map([
      ['/typed', typed.secret],
      ['/all', all.secret],
    ]);
    const processed = new Set<string>();
    const careful: Responder = (request) => {
      const verification = verifySignature(secrets.get(request.path) ?? '', request.headers['orderflow-signature'], request.body);
      if (!verification.ok) return { status: verification.reason === 'stale' ? 400 : 401, body: { error: verification.reason } };
      const key = `${request.path} ${bodyOf(request).id}`;
      if (processed.has(key)) return { status: 200, body: { duplicate: true } };
      processed.add(key);
      return { status: 200, body: { received: true } };
    };
    receiver.route('/typed', careful);
    receiver.route('/all', careful);

    try {
      const orderId = await place(orderBody({ externalId: 'web-hooks-1' }));
      const [shirt, ebook] = (await h.get(`/v1/orders/${orderId}`)).json().items;
      expect((await act(`/v1/orders/${orderId}/invoices`, {})).statusCode).toBe(201);
      const nothingLeft = await act(`/v1/orders/${orderId}/invoices`, {});
      expect(nothingLeft.statusCode).toBe(422);
      expect(nothingLeft.json().code).toBe('INVOICE_NOT_ALLOWED');
      const shipped = await act(`/v1/orders/${orderId}/shipments`, {
        source: 'main',
        carrier: { code: 'ups', title: 'UPS' },
        trackingNumber: '1Z-HOOKS',
        items: [{ itemId: shirt.id, qty: 2 }],
      });
      expect(shipped.statusCode).toBe(201);
      expect((await act(`/v1/shipments/${shipped.json().action.result.shipmentId}/delivery`, {})).statusCode).toBe(201);
      const refunded = await act(`/v1/orders/${orderId}/refunds`, { items: [{ itemId: ebook.id, qty: 1 }], reason: 'changed mind' });
      expect(refunded.statusCode).toBe(201);

      const allTypes = [
        'order.placed', 'order.status_changed', // pending
        'invoice.created', 'invoice.paid', 'order.status_changed', // processing
        'action.rejected',
        'shipment.dispatched', 'order.status_changed', // completed
        'shipment.delivered',
        'refund.issued',
      ];
      await eventually('every delivery of the order', async () => {
        const delivered = (await history(orderId)).filter((e) => e.type === 'webhook.delivered');
        return received('/typed', orderId).length >= typedTypes.length && received('/all', orderId).length >= allTypes.length && delivered.length >= typedTypes.length + allTypes.length;
      });
      await sleep(SETTLE_MS);

      const typedRequests = received('/typed', orderId);
      const allRequests = received('/all', orderId);
      expect(typedRequests.map((r) => bodyOf(r).type).sort()).toEqual([...typedTypes].sort());
      expect(allRequests.map((r) => bodyOf(r).type).sort()).toEqual([...allTypes].sort());

      // Each body is the event: exactly {id, type, createdAt, orderId, data}, data and time those of its history entry.
      const entries = await history(orderId);
      const published: Record<string, (data: Record<string, unknown>) => string[]> = {
        'order.place': () => ['order.placed'],
        'status.changed': () => ['order.status_changed'],
        'invoice.create': (data) => (data.state === 'paid' ? ['invoice.created', 'invoice.paid'] : ['invoice.created']),
        'shipment.create': () => ['shipment.dispatched'],
        'shipment.deliver': () => ['shipment.delivered'],
        'refund.create': () => ['refund.issued'],
        'action.rejected': () => ['action.rejected'],
      };
      const expected = entries.flatMap((entry) =>
        (published[entry.type]?.(entry.data) ?? []).map((type) => ({ type, createdAt: entry.createdAt, orderId, data: entry.data })),
      );
      const byContent = (a: object, b: object) => canonical(a).localeCompare(canonical(b));
      const strip = ({ id: _id, ...rest }: EventBody) => rest;
      expect(allRequests.map((r) => strip(bodyOf(r))).sort(byContent)).toEqual(expected.sort(byContent));
      expect(entries.find((e) => e.type === 'status.changed')?.data).toEqual({ from: null, to: 'pending' });
      expect(entries.filter((e) => e.type === 'status.changed').map((e) => e.data.to)).toEqual(['pending', 'processing', 'completed']);

      for (const request of [...typedRequests, ...allRequests]) {
        const body = bodyOf(request);
        expect(Object.keys(body).sort()).toEqual(['createdAt', 'data', 'id', 'orderId', 'type']);
        expect(body.id).toMatch(UUID);
        expect(body.createdAt).toMatch(ISO);
        expect(request.method).toBe('POST');
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['user-agent']).toBe('orderflow-webhooks/1');
        expect(request.headers['orderflow-event-id']).toBe(body.id);
        expect(request.headers['orderflow-delivery-id']).toMatch(UUID);
        // The receiver's own check, again here: signed with this subscription's secret, t within 5 minutes.
        const secret = request.path === '/typed' ? typed.secret : all.secret;
        const verification = verifySignature(secret, request.headers['orderflow-signature'], request.body, Math.floor(request.receivedAt / 1000));
        expect(verification).toEqual({ ok: true, timestamp: expect.any(Number) });
        // …and the other subscription's secret does not verify it.
        const other = request.path === '/typed' ? all.secret : typed.secret;
        expect(verifySignature(other, request.headers['orderflow-signature'], request.body)).toEqual({ ok: false, reason: 'mismatch' });
      }
      // One event, one id, the same bytes to every subscriber; distinct events have distinct ids.
      const allIds = allRequests.map((r) => bodyOf(r).id);
      expect(new Set(allIds).size).toBe(allTypes.length);
      for (const request of typedRequests) {
        const twin = allRequests.find((r) => bodyOf(r).id === bodyOf(request).id);
        expect(twin?.body).toBe(request.body);
      }

      // The delivery log: one delivered row per event, answered by the careful receiver on the first attempt.
      const typedLog = await deliveries(typed.id);
      expect(typedLog).toHaveLength(typedTypes.length);
      for (const delivery of typedLog) {
        expect(delivery).toEqual({
          id: expect.stringMatching(UUID),
          eventId: expect.stringMatching(UUID),
          eventType: expect.any(String),
          orderId,
          status: 'delivered',
          attempts: 1,
          responseStatus: 200,
          responseExcerpt: '{"received":true}',
          durationMs: expect.any(Number),
          lastError: null,
          createdAt: expect.stringMatching(ISO),
          deliveredAt: expect.stringMatching(ISO),
        });
        expect(delivery.durationMs).toBeGreaterThanOrEqual(0);
      }
      expect(typedLog.map((d) => `${d.id} ${d.eventId} ${d.eventType}`).sort()).toEqual(
        typedRequests.map((r) => `${String(r.headers['orderflow-delivery-id'])} ${bodyOf(r).id} ${bodyOf(r).type}`).sort(),
      );
      expect(await deliveries(all.id)).toHaveLength(allTypes.length);

      // The order's history records each delivery.
      const delivered = entries.filter((e) => e.type === 'webhook.delivered');
      expect(delivered).toHaveLength(typedTypes.length + allTypes.length);
      for (const entry of delivered) {
        expect(entry.actor).toBe('system');
        expect(entry.data).toEqual({
          deliveryId: expect.stringMatching(UUID),
          eventType: expect.any(String),
          url: expect.stringMatching(/\/(typed|all)$/),
          status: 200,
          durationMs: expect.any(Number),
          attempts: 1,
        });
      }
      expect(delivered.filter((e) => e.data.url === typed.url).map((e) => e.data.eventType).sort()).toEqual([...typedTypes].sort());
      expect(delivered.filter((e) => e.data.url === all.url).map((e) => e.data.eventType).sort()).toEqual([...allTypes].sort());
      expect(entries.some((e) => e.type === 'webhook.failed')).toBe(false);

      // Replays: the same signed request sent again is acknowledged as a duplicate and not processed twice; a
      // tampered body fails the signature; a correctly signed but old timestamp is refused as stale.
      const captured = typedRequests.find((r) => bodyOf(r).type === 'order.placed')!;
      const replay = (body: string, signature: string) =>
        fetch(`${receiver.url}/typed`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'orderflow-signature': signature,
            'orderflow-event-id': String(captured.headers['orderflow-event-id']),
          },
          body,
        });
      const signatureHeader = String(captured.headers['orderflow-signature']);
      const replayed = await replay(captured.body, signatureHeader);
      expect(replayed.status).toBe(200);
      expect(await replayed.json()).toEqual({ duplicate: true });
      const tampered = await replay(captured.body.replace(orderId, randomUUID()), signatureHeader);
      expect(tampered.status).toBe(401);
      expect(await tampered.json()).toEqual({ error: 'mismatch' });
      const oldT = Math.floor(Date.now() / 1000) - 600;
      const oldSignature = `t=${oldT},v1=${createHmac('sha256', typed.secret).update(`${oldT}.${captured.body}`).digest('hex')}`;
      const stale = await replay(captured.body, oldSignature);
      expect(stale.status).toBe(400);
      expect(await stale.json()).toEqual({ error: 'stale' });
      const t = Number(/t=(\d+)/.exec(signatureHeader)![1]);
      expect(verifySignature(typed.secret, signatureHeader, captured.body, t + 300)).toEqual({ ok: true, timestamp: t });
      expect(verifySignature(typed.secret, signatureHeader, captured.body, t + 301)).toEqual({ ok: false, reason: 'stale' });
    } finally {
      await unsubscribe(typed.id);
      await unsubscribe(all.id);
    }
  });

  it('retries a receiver answering 500 twice with backoff: three attempts of one delivery, then delivered', async () => {
    const secret = 'flaky-receiver-secret-0001';
    const subscription = await subscribe('/flaky', ['order.placed'], secret);
    receiver.route('/flaky', (request, earlier) => {
      const tries = earlier.filter((r) => r.headers['orderflow-delivery-id'] === request.headers['orderflow-delivery-id']).length;
      return tries < 2 ? { status: 500, body: 'try again later' } : { status: 200, body: 'thanks' };
    });
    try {
      const orderId = await place(orderBody({ externalId: 'web-hooks-flaky' }));
      await eventually('the third attempt', async () => received('/flaky', orderId).length >= 3 && (await deliveries(subscription.id))[0]?.status === 'delivered');
      await sleep(SETTLE_MS);

      const attempts = received('/flaky', orderId);
      expect(attempts).toHaveLength(3);
      const [first] = attempts;
      for (const attempt of attempts) {
        expect(attempt.headers['orderflow-delivery-id']).toBe(first!.headers['orderflow-delivery-id']);
        expect(attempt.headers['orderflow-event-id']).toBe(bodyOf(first!).id);
        expect(attempt.body).toBe(first!.body);
        expect(verifySignature(secret, attempt.headers['orderflow-signature'], attempt.body, Math.floor(attempt.receivedAt / 1000)).ok).toBe(true);
      }
      expect(bodyOf(first!).type).toBe('order.placed');
      // Exponential backoff from WEBHOOK_BACKOFF_MS=50: 50 ms, then 100 ms.
      expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(50);
      expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThanOrEqual(100);

      const log = await deliveries(subscription.id);
      expect(log).toEqual([
        {
          id: first!.headers['orderflow-delivery-id'],
          eventId: bodyOf(first!).id,
          eventType: 'order.placed',
          orderId,
          status: 'delivered',
          attempts: 3,
          responseStatus: 200,
          responseExcerpt: 'thanks',
          durationMs: expect.any(Number),
          lastError: null,
          createdAt: expect.stringMatching(ISO),
          deliveredAt: expect.stringMatching(ISO),
        },
      ]);
      expect(log[0]!.durationMs).toBeGreaterThanOrEqual(0);

      const entries = await history(orderId);
      expect(entries.filter((e) => e.type === 'webhook.delivered').map((e) => e.data)).toEqual([
        { deliveryId: log[0]!.id, eventType: 'order.placed', url: subscription.url, status: 200, durationMs: log[0]!.durationMs, attempts: 3 },
      ]);
      expect(entries.some((e) => e.type === 'webhook.failed')).toBe(false);
    } finally {
      await unsubscribe(subscription.id);
    }
  });

  it('publishes action.rejected for a placement rejected OUT_OF_STOCK (an order that does not exist)', async () => {
    const secret = 'rejections-secret-000000001';
    const subscription = await subscribe('/rejected', ['action.rejected'], secret);
    receiver.route('/rejected', () => ({ status: 204 }));
    try {
      const res = await act('/v1/orders', singleLineOrder('LIMITED-1', 2), 'storefront');
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('OUT_OF_STOCK');
      const action = res.json().action;
      const orderId: string = action.orderId;
      expect((await h.get(`/v1/orders/${orderId}`)).statusCode).toBe(404);

      await eventually('the rejection event', async () => (await deliveries(subscription.id))[0]?.status === 'delivered');
      await sleep(SETTLE_MS);
      const requests = received('/rejected', orderId);
      expect(requests).toHaveLength(1);
      const request = requests[0]!;
      expect(verifySignature(secret, request.headers['orderflow-signature'], request.body, Math.floor(request.receivedAt / 1000)).ok).toBe(true);
      expect(bodyOf(request)).toEqual({
        id: request.headers['orderflow-event-id'],
        type: 'action.rejected',
        createdAt: expect.stringMatching(ISO),
        orderId,
        data: {
          actionType: 'order.place',
          code: 'OUT_OF_STOCK',
          message: action.error.message,
          details: { skus: [{ sku: 'LIMITED-1', requested: 2, salable: 1 }] },
        },
      });
      expect(action.error.details).toEqual({ skus: [{ sku: 'LIMITED-1', requested: 2, salable: 1 }] });
      expect(await deliveries(subscription.id)).toEqual([
        expect.objectContaining({ eventType: 'action.rejected', orderId: null, status: 'delivered', attempts: 1, responseStatus: 204 }),
      ]);
    } finally {
      await unsubscribe(subscription.id);
    }
  });

  it('sends nothing to a deleted subscription', async () => {
    const gone = await subscribe('/gone', ['*']);
    const live = await subscribe('/live', ['order.placed']);
    receiver.route('/gone', () => ({ status: 200, body: 'ok' }));
    receiver.route('/live', () => ({ status: 200, body: 'ok' }));
    try {
      expect((await unsubscribe(gone.id)).statusCode).toBe(204);
      const orderId = await place(orderBody({ externalId: 'web-hooks-gone' }));
      expect((await act(`/v1/orders/${orderId}/invoices`, {})).statusCode).toBe(201);
      await eventually('the live subscriber', async () => (await history(orderId)).some((e) => e.type === 'webhook.delivered' && e.data.url === live.url));
      await sleep(SETTLE_MS);
      expect(received('/live', orderId).map((r) => bodyOf(r).type)).toEqual(['order.placed']);
      expect(receiver.at('/gone')).toEqual([]);
      expect(await h.sql('select id from webhook_deliveries where subscription_id = ?', [gone.id])).toEqual([]);
      expect((await history(orderId)).filter((e) => e.type === 'webhook.delivered').map((e) => e.data.url)).toEqual([live.url]);
    } finally {
      await unsubscribe(live.id);
    }
  });
});

describe('webhook deliveries that fail for good (WEBHOOK_ATTEMPTS=2)', () => {
  let h: Harness;
  const { subscribe, unsubscribe, deliveries, history, place } = client(() => h);

  beforeAll(async () => {
    h = await startHarness({ env: { ...RECEIVER_ON_LOOPBACK, WEBHOOK_ATTEMPTS: '2', WEBHOOK_BACKOFF_MS: '50', WEBHOOK_TIMEOUT_MS: '500' } });
  });
  afterAll(() => h?.close());

  it('ends failed with webhook.failed in the history; a redelivery by hand sends the same event again and delivers it', async () => {
    const secret = 'down-receiver-secret-00001';
    const subscription = await subscribe('/down', ['order.placed'], secret);
    let up = false;
    receiver.route('/down', () => (up ? { status: 200, body: 'back' } : { status: 500, body: 'maintenance' }));
    try {
      const orderId = await place(orderBody({ externalId: 'web-hooks-down' }));
      await eventually('the delivery to fail for good', async () => (await deliveries(subscription.id))[0]?.status === 'failed');
      await eventually('webhook.failed', async () => (await history(orderId)).some((e) => e.type === 'webhook.failed'));
      await sleep(SETTLE_MS);

      const attempts = received('/down', orderId);
      expect(attempts).toHaveLength(2);
      const eventId = bodyOf(attempts[0]!).id;
      const deliveryId = String(attempts[0]!.headers['orderflow-delivery-id']);
      expect(attempts[1]!.headers['orderflow-delivery-id']).toBe(deliveryId);
      expect(attempts[1]!.headers['orderflow-event-id']).toBe(eventId);
      const [failed] = await deliveries(subscription.id);
      expect(failed).toEqual({
        id: deliveryId,
        eventId,
        eventType: 'order.placed',
        orderId,
        status: 'failed',
        attempts: 2,
        responseStatus: 500,
        responseExcerpt: 'maintenance',
        durationMs: expect.any(Number),
        lastError: 'receiver answered 500',
        createdAt: expect.stringMatching(ISO),
        deliveredAt: null,
      });
      let entries = await history(orderId);
      expect(entries.filter((e) => e.type === 'webhook.failed').map((e) => e.data)).toEqual([
        { deliveryId, eventType: 'order.placed', attempts: 2, error: expect.stringContaining('receiver answered 500') },
      ]);
      expect(entries.some((e) => e.type === 'webhook.delivered')).toBe(false);

      // The receiver is back: an operator redelivers by hand.
      up = true;
      const missing = await h.post(`/v1/webhook-deliveries/${randomUUID()}/redeliver`, {});
      expect(missing.statusCode).toBe(404);
      const redeliver = await h.post(`/v1/webhook-deliveries/${deliveryId}/redeliver`, {});
      expect(redeliver.statusCode).toBe(202);
      expect(redeliver.json()).toMatchObject({ id: deliveryId, eventId, status: 'pending', attempts: 2 });
      await eventually('the redelivery', async () => (await deliveries(subscription.id))[0]?.status === 'delivered');
      await sleep(SETTLE_MS);

      const all = received('/down', orderId);
      expect(all).toHaveLength(3);
      expect(all[2]!.headers['orderflow-event-id']).toBe(eventId);
      expect(all[2]!.headers['orderflow-delivery-id']).toBe(deliveryId);
      expect(all[2]!.body).toBe(attempts[0]!.body);
      expect(verifySignature(secret, all[2]!.headers['orderflow-signature'], all[2]!.body, Math.floor(all[2]!.receivedAt / 1000)).ok).toBe(true);
      expect(await deliveries(subscription.id)).toEqual([
        {
          ...failed,
          status: 'delivered',
          attempts: 3,
          responseStatus: 200,
          responseExcerpt: 'back',
          durationMs: expect.any(Number),
          lastError: null,
          deliveredAt: expect.stringMatching(ISO),
        },
      ]);
      entries = await history(orderId);
      expect(entries.filter((e) => e.type === 'webhook.delivered').map((e) => e.data)).toEqual([
        { deliveryId, eventType: 'order.placed', url: subscription.url, status: 200, durationMs: expect.any(Number), attempts: 3 },
      ]);
      expect(entries.filter((e) => e.type === 'webhook.failed')).toHaveLength(1);
    } finally {
      await unsubscribe(subscription.id);
    }
  });

  it('does not follow a redirect: a 302 is a failed attempt with its status, and its Location is never asked', async () => {
    const subscription = await subscribe('/moved', ['order.placed']);
    receiver.route('/moved', () => ({ status: 302, body: 'see elsewhere', headers: { location: `${receiver.url}/moved-here` } }));
    receiver.route('/moved-here', () => ({ status: 200, body: 'ok' }));
    try {
      const orderId = await place(orderBody({ externalId: 'web-hooks-moved' }));
      await eventually('the delivery to fail for good', async () => (await deliveries(subscription.id))[0]?.status === 'failed');
      await sleep(SETTLE_MS);
      expect(received('/moved', orderId)).toHaveLength(2);
      expect(receiver.at('/moved-here')).toEqual([]);
      const [failed] = await deliveries(subscription.id);
      expect(failed).toMatchObject({ orderId, status: 'failed', attempts: 2, responseStatus: 302, responseExcerpt: 'see elsewhere', lastError: 'receiver answered 302' });
    } finally {
      await unsubscribe(subscription.id);
    }
  });

  it('gives up on a receiver slower than WEBHOOK_TIMEOUT_MS: no status code, the timeout as the error', async () => {
    const subscription = await subscribe('/slow', ['order.placed']);
    receiver.route('/slow', async () => {
      await sleep(1500);
      return { status: 200, body: 'too late' };
    });
    try {
      const orderId = await place(orderBody({ externalId: 'web-hooks-slow' }));
      await eventually('the delivery to fail for good', async () => (await deliveries(subscription.id))[0]?.status === 'failed');
      expect(received('/slow', orderId)).toHaveLength(2);
      const [failed] = await deliveries(subscription.id);
      expect(failed).toMatchObject({ eventType: 'order.placed', orderId, status: 'failed', attempts: 2, responseStatus: null, responseExcerpt: null, deliveredAt: null });
      expect(failed!.lastError).toMatch(/^TimeoutError: /);
      expect(failed!.durationMs).toBeGreaterThanOrEqual(450);
      expect(failed!.durationMs).toBeLessThan(1500);
      await eventually('webhook.failed', async () => (await history(orderId)).some((e) => e.type === 'webhook.failed'));
    } finally {
      await unsubscribe(subscription.id);
    }
  });
});

describe('deliveries to a stored URL that points inside the network (WEBHOOK_ALLOW_PRIVATE_NETWORKS unset)', () => {
  let h: Harness;
  const { deliveries, place } = client(() => h);

  beforeAll(async () => {
    h = await startHarness({ env: { WEBHOOK_ATTEMPTS: '1' } });
  });
  afterAll(() => h?.close());

  it('fails each delivery without connecting, the reason in lastError: an address literal, and a name that now resolves inward', async () => {
    // Rows as a subscription accepted before the guard, or one whose name was rebound to an internal address
    // after it was checked, would leave them: written directly, past the API's check.
    const port = new URL(receiver.url).port;
    const host = hostname();
    const { address } = await lookup(host);
    const rows = [
      { id: randomUUID(), url: `${receiver.url}/inward-literal`, error: `OutboundRefusedError: 127.0.0.1 is a loopback address` },
      { id: randomUUID(), url: `http://${host}:${port}/inward-name`, error: new RegExp(`^OutboundRefusedError: ${host} resolves to ${address}, an? [a-z-]+ address$`) },
    ];
    for (const row of rows) {
      await h.sql(`insert into webhook_subscriptions (id, url, secret, event_types, created_at) values (?, ?, 'inward-secret-0123456789', '["order.placed"]', now())`, [
        row.id,
        row.url,
      ]);
    }
    receiver.route('/inward-literal', () => ({ status: 200, body: 'reached' }));
    receiver.route('/inward-name', () => ({ status: 200, body: 'reached' }));

    const orderId = await place(orderBody({ externalId: 'web-hooks-inward' }));
    for (const row of rows) {
      await eventually(`the delivery to ${row.url} to fail`, async () => (await deliveries(row.id))[0]?.status === 'failed');
      const [failed] = await deliveries(row.id);
      expect(failed).toMatchObject({ orderId, status: 'failed', attempts: 1, responseStatus: null, responseExcerpt: null, deliveredAt: null });
      expect(failed!.lastError).toMatch(row.error);
    }
    await sleep(SETTLE_MS);
    expect(receiver.at('/inward-literal')).toEqual([]);
    expect(receiver.at('/inward-name')).toEqual([]);
  });
});
