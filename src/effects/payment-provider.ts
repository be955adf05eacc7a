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
