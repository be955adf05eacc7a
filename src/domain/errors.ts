/** Stable codes of business rejections (SPEC §3). An action that hits one ends `rejected`, never retried. */
export const REJECTION_CODES = [
  'ORDER_NOT_FOUND',
  'TOTALS_MISMATCH',
  'OUT_OF_STOCK',
  'ORDER_ON_HOLD',
  'UNKNOWN_ITEM',
  'INVALID_QUANTITY',
  'INVOICE_NOT_ALLOWED',
  'INVOICE_EMPTY',
  'PAYMENT_EXCEEDS_DUE',
  'INVOICE_ALREADY_PAID',
  'REMINDER_NOT_DUE',
  'SHIPMENT_NOT_ALLOWED',
  'ITEM_NOT_SHIPPABLE',
  'SHIPMENT_EMPTY',
  'UNKNOWN_SOURCE',
  'INSUFFICIENT_STOCK',
  'INVALID_DELIVERY_TIME',
  'REFUND_NOT_ALLOWED',
  'REFUND_WINDOW_EXPIRED',
  'INVALID_SHIPPING_AMOUNT',
  'REFUND_ZERO',
  'REFUND_NEGATIVE',
  'REFUND_LIMIT_EXCEEDED',
  'CANCEL_NOT_ALLOWED',
  'HOLD_NOT_ALLOWED',
  'UNHOLD_NOT_ALLOWED',
  'RETURN_NOT_ALLOWED',
  'RETURN_WINDOW_EXPIRED',
  'RETURN_EMPTY',
  'RETURN_STATE_INVALID',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export const isRejectionCode = (code: string): code is RejectionCode => (REJECTION_CODES as readonly string[]).includes(code);

/** A business refusal raised by a pure rule: the action ends `rejected` with this code, message and details. */
export class DomainError extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
