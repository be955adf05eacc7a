import { createHmac, randomBytes } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { WebhookDelivery, WebhookSubscription } from '../db/entities.js';
import { uuidv7 } from '../db/ids.js';
import { appendEvent } from '../actions/history.js';
import { outboundFetch } from '../net/outbound.js';

/** An event as subscribers receive it. */
export interface PublishedEvent {
  id: string;
  type: string;
  orderId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export const SIGNATURE_HEADER = 'orderflow-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`; a receiver recomputes it with its secret. */
export function signature(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

export const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

export interface WebhookDeps {
  orm: MikroORM;
  config: Config;
  log: Logger;
}

/** The event types some live subscription wants ('*' when one wants all). */
export async function subscribedEventTypes(em: EntityManager): Promise<Set<string>> {
  const rows = await em.execute<{ type: string }[]>(
    'select distinct jsonb_array_elements_text(event_types) as type from webhook_subscriptions where deleted_at is null',
  );
  return new Set(rows.map((row) => row.type));
}

/**
 * Fans an event out to the subscriptions that want it: one delivery row per subscription (unique per
 * subscription and event, so publishing twice creates nothing new). Returns the deliveries still to make.
 */
export async function publishEvent(deps: WebhookDeps, event: PublishedEvent): Promise<string[]> {
  const em = deps.orm.em.fork();
  const subscriptions = await em.find(WebhookSubscription, { deletedAt: null });
  const wanted = subscriptions.filter((s) => s.eventTypes.includes(event.type) || s.eventTypes.includes('*'));
  if (wanted.length === 0) return [];
  const [order] = await em.execute<{ id: string }[]>('select id from orders where id = ?', [event.orderId]);
  const body = { id: event.id, type: event.type, createdAt: event.occurredAt, orderId: event.orderId, data: event.data };
  for (const subscription of wanted) {
    await em.execute(
      `insert into webhook_deliveries (id, subscription_id, event_id, event_type, order_id, payload, status, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, 'pending', now(), now()) on conflict (subscription_id, event_id) do nothing`,
      [uuidv7(), subscription.id, event.id, event.type, order ? event.orderId : null, JSON.stringify(body)],
    );
  }
  const pending = await em.find(WebhookDelivery, { eventId: event.id, status: 'pending' }, { fields: ['id'] });
  return pending.map((delivery) => delivery.id);
}

const EXCERPT = 500;

/**
 * POSTs one delivery, signed, and records the attempt (status code, duration, response excerpt). A 2xx
 * answer delivers it; anything else throws, for the queue to retry with backoff.
 */
export async function deliver(deps: WebhookDeps, deliveryId: string, now: () => Date = () => new Date()): Promise<'delivered' | 'delivered-before' | 'gone'> {
  const em = deps.orm.em.fork();
  const delivery = await em.findOne(WebhookDelivery, deliveryId);
  if (!delivery) return 'gone';
  if (delivery.status === 'delivered') return 'delivered-before';
  const subscription = await em.findOneOrFail(WebhookSubscription, delivery.subscriptionId);
  if (subscription.deletedAt) {
    await em.nativeUpdate(WebhookDelivery, { id: delivery.id }, { status: 'failed', lastError: 'subscription deleted', updatedAt: now() });
    return 'gone';
  }

  const body = JSON.stringify(delivery.payload);
  const timestamp = Math.floor(now().getTime() / 1000);
  const started = performance.now();
  let status: number | null = null;
  let excerpt: string | null = null;
  let failure: string | null = null;
  try {
    const response = await outboundFetch(subscription.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'orderflow-webhooks/1',
        [SIGNATURE_HEADER]: signature(subscription.secret, timestamp, body),
        'orderflow-event-id': delivery.eventId,
        'orderflow-delivery-id': delivery.id,
      },
      body,
      signal: AbortSignal.timeout(deps.config.webhooks.timeoutMs),
    }, deps.config.outbound);
    status = response.status;
    excerpt = (await response.text()).slice(0, EXCERPT);
    if (status < 200 || status > 299) failure = `receiver answered ${status}`;
  } catch (error) {
    failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  const durationMs = Math.round(performance.now() - started);
  const delivered = failure === null;
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(
      WebhookDelivery,
      { id: delivery.id },
      {
        attempts: delivery.attempts + 1,
        responseStatus: status,
        responseExcerpt: excerpt,
        durationMs,
        lastError: failure,
        updatedAt: now(),
        ...(delivered ? { status: 'delivered', deliveredAt: now() } : {}),
      },
    );
    if (delivered && delivery.orderId) {
      appendEvent(tx, {
        orderId: delivery.orderId,
        type: 'webhook.delivered',
        actor: 'system',
        data: { deliveryId: delivery.id, eventType: delivery.eventType, url: subscription.url, status, durationMs, attempts: delivery.attempts + 1 },
        at: now(),
      });
    }
  });
  if (!delivered) throw new Error(`webhook delivery ${delivery.id} to ${subscription.url} failed: ${failure}`);
  return 'delivered';
}

/** After the last attempt (about a day with the defaults): the delivery is failed, redeliverable by hand. */
export async function markDeliveryFailed(deps: { orm: MikroORM }, deliveryId: string, error: Error): Promise<void> {
  await deps.orm.em.fork().transactional(async (tx) => {
    const delivery = await tx.findOne(WebhookDelivery, deliveryId);
    if (!delivery || delivery.status !== 'pending') return;
    Object.assign(delivery, { status: 'failed', updatedAt: new Date() });
    if (delivery.orderId) {
      appendEvent(tx, {
        orderId: delivery.orderId,
        type: 'webhook.failed',
        actor: 'system',
        data: { deliveryId, eventType: delivery.eventType, attempts: delivery.attempts, error: error.message },
        at: new Date(),
      });
    }
  });
}
