import type { Config } from '../../config/config.js';
import { outboundFetch, type OutboundPolicy } from '../net/outbound.js';

/** What a payment provider is asked to give back. `refundId` is the idempotency key: asking twice pays once. */
export interface RefundRequest {
  refundId: string;
  orderId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
}

export interface PaymentProvider {
  name: string;
  /** Resolves with the provider's reference once the money is on its way back; throws to be retried. */
  refund(request: RefundRequest): Promise<{ reference: string }>;
}

/** The built-in provider: money is returned outside orderflow (cash, bank transfer); it only records the refund. */
export const offlineProvider: PaymentProvider = {
  name: 'offline',
  async refund(request) {
    return { reference: `offline:${request.refundId}` };
  },
};

/**
 * A gateway behind HTTP: POST {refundId, orderId, amount, currency, paymentMethod} to PAYMENT_PROVIDER_URL with
 * `Idempotency-Key: <refundId>`; a 2xx answer `{ "reference": "…" }` means the money is on its way back.
 * This is how real gateways plug in: an adapter service speaks this to orderflow and the gateway's API beyond.
 */
export function httpProvider(url: string, timeoutMs: number, outbound: OutboundPolicy): PaymentProvider {
  return {
    name: 'http',
    async refund(request) {
      const response = await outboundFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': request.refundId },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(timeoutMs),
      }, outbound);
      const text = await response.text();
      if (!response.ok) throw new Error(`payment provider answered ${response.status}: ${text.slice(0, 200)}`);
      const reference = (JSON.parse(text) as { reference?: unknown }).reference;
      if (typeof reference !== 'string' || reference === '') {
        throw new Error('payment provider answered without a reference');
      }
      return { reference };
    },
  };
}

export function paymentProvider(config: Config): PaymentProvider {
  return config.paymentProvider.kind === 'http' ? httpProvider(config.paymentProvider.url, config.webhooks.timeoutMs, config.outbound) : offlineProvider;
}
