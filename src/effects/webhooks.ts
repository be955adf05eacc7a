import { createHmac, randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { WebhookDelivery, WebhookSubscription } from '../db/entities/effects.js';
import { writeWhileUnavailable } from '../db/errors.js';
import { appendHistory } from '../db/history.js';
import { ClaimBusyError, CLAIM_SECONDS, whileClaimed } from './claims.js';
import { outboundFetch } from '../net/outbound.js';

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

const EXCERPT = 500;

/**
 * POSTs one delivery, signed, and records the attempt (status code, duration, response excerpt). A 2xx
 * answer delivers it; anything else throws, for the queue to retry with backoff. The delivery is claimed for the
 * attempt, so that a second job for it (handed over again, or started for a stalled one) does not send it too.
 */
export async function deliver(deps: WebhookDeps, deliveryId: string, now: () => Date = () => new Date()): Promise<'delivered' | 'delivered-before' | 'gone'> {
  const em = deps.orm.em.fork();
  // The select reads the row as it was before the claim; `claimed` says whether this job took it.
  const [claim] = await em.execute<{ status: string; claimed_at: Date | null; claimed: boolean }[]>(
    `with claimed as (
       update webhook_deliveries set claimed_at = now()
       where id = ? and status <> 'delivered' and (claimed_at is null or claimed_at < now() - make_interval(secs => ?))
       returning id)
     select d.status, d.claimed_at, exists (select 1 from claimed) as claimed from webhook_deliveries d where d.id = ?`,
    [deliveryId, CLAIM_SECONDS, deliveryId],
  );
  if (!claim) return 'gone';
  if (claim.status === 'delivered') return 'delivered-before';
  if (!claim.claimed) throw new ClaimBusyError(`webhook delivery ${deliveryId}`, claim.claimed_at ? new Date(claim.claimed_at) : null);
  const delivery = await em.findOneOrFail(WebhookDelivery, deliveryId);
  const subscription = await em.findOneOrFail(WebhookSubscription, delivery.subscriptionId);
  if (subscription.deletedAt) {
    await em.nativeUpdate(WebhookDelivery, { id: delivery.id }, { status: 'failed', lastError: 'subscription deleted', claimedAt: null, updatedAt: now() });
    return 'gone';
  }

  const body = JSON.stringify(delivery.payload);
  const timestamp = Math.floor(now().getTime() / 1000);
  const started = performance.now();
  let status: number | null = null;
  let excerpt: string | null = null;
  let failure: string | null = null;
  const renew = () => em.execute(`update webhook_deliveries set claimed_at = now() where id = ?`, [delivery.id]);
  try {
    const response = await whileClaimed(renew, () => outboundFetch(subscription.url, {
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
    }, deps.config.outbound), deps.log);
    status = response.status;
    excerpt = (await response.text()).slice(0, EXCERPT);
    if (status < 200 || status > 299) failure = `receiver answered ${status}`;
  } catch (error) {
    failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  const durationMs = Math.round(performance.now() - started);
  const delivered = failure === null;
  await writeWhileUnavailable(() => em.fork().transactional(async (tx) => {
    await tx.nativeUpdate(
      WebhookDelivery,
      { id: delivery.id },
      {
        attempts: delivery.attempts + 1,
        responseStatus: status,
        responseExcerpt: excerpt,
        durationMs,
        lastError: failure,
        claimedAt: null,
        updatedAt: now(),
        ...(delivered ? { status: 'delivered', deliveredAt: now() } : {}),
      },
    );
    if (delivered && delivery.orderId) {
      appendHistory(tx, {
        orderId: delivery.orderId,
        type: 'webhook.delivered',
        actor: 'system',
        data: { deliveryId: delivery.id, eventType: delivery.eventType, url: subscription.url, status, durationMs, attempts: delivery.attempts + 1 },
        at: now(),
      });
    }
  }));
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
      appendHistory(tx, {
        orderId: delivery.orderId,
        type: 'webhook.failed',
        actor: 'system',
        data: { deliveryId, eventType: delivery.eventType, attempts: delivery.attempts, error: error.message },
        at: new Date(),
      });
    }
  });
}
