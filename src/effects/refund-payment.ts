import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { Order } from '../db/entities/orders.js';
import { Refund } from '../db/entities/refunds.js';
import { writeWhileUnavailable } from '../db/errors.js';
import { appendHistory } from '../db/history.js';
import type { PaymentProvider } from './payment-provider.js';

/**
 * Hands a committed refund to the payment provider, after commit and outside any transaction. The refund id is
 * the provider's idempotency key, so a retried job never pays twice; the outcome is recorded on the refund.
 */
export async function payRefund(
  deps: { orm: MikroORM; log: Logger; provider: PaymentProvider },
  refundId: string,
): Promise<'paid' | 'paid-before' | 'missing'> {
  const em = deps.orm.em.fork();
  const refund = await em.findOne(Refund, refundId);
  if (!refund) return 'missing';
  if (refund.paymentStatus === 'succeeded') return 'paid-before';
  const order = await em.findOneOrFail(Order, refund.orderId);
  const { reference } = await deps.provider.refund({
    refundId: refund.id,
    orderId: order.id,
    amount: refund.grandTotal,
    currency: order.currency,
    paymentMethod: order.paymentMethod,
  });
  await writeWhileUnavailable(() => em.fork().transactional(async (tx) => {
    const updated = await tx.nativeUpdate(
      Refund,
      { id: refund.id, paymentStatus: { $ne: 'succeeded' } },
      { paymentStatus: 'succeeded', paymentReference: reference, updatedAt: new Date() },
    );
    if (updated === 0) return;
    appendHistory(tx, {
      orderId: order.id,
      type: 'refund.payment',
      actor: 'system',
      data: { refundId: refund.id, number: refund.number, provider: deps.provider.name, status: 'succeeded', reference },
      at: new Date(),
    });
  }));
  deps.log.info({ refundId, reference }, 'refund paid back');
  return 'paid';
}

/** After the last attempt: the refund stays committed, its payment is marked failed for an operator to act on. */
export async function markRefundPaymentFailed(deps: { orm: MikroORM }, refundId: string, error: Error): Promise<void> {
  await deps.orm.em.fork().transactional(async (tx) => {
    const refund = await tx.findOne(Refund, refundId);
    if (!refund || refund.paymentStatus !== 'pending') return;
    refund.paymentStatus = 'failed';
    refund.updatedAt = new Date();
    appendHistory(tx, {
      orderId: refund.orderId,
      type: 'refund.payment',
      actor: 'system',
      data: { refundId, number: refund.number, status: 'failed', error: error.message },
      at: new Date(),
    });
  });
}
