/** The e-mails orderflow sends (SPEC §3.8), each switchable with EMAILS. */
export const EMAIL_KINDS = [
  'order_placed',
  'invoice_created',
  'shipment_dispatched',
  'refund_issued',
  'order_canceled',
  'comment',
  'invoice_overdue',
  'return_approved',
  'return_rejected',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export const isEmailKind = (value: string): value is EmailKind => (EMAIL_KINDS as readonly string[]).includes(value);

/** The webhook event types orderflow publishes (SPEC §3.8). */
export const WEBHOOK_EVENT_TYPES = [
  'order.placed',
  'order.status_changed',
  'invoice.created',
  'invoice.paid',
  'shipment.dispatched',
  'shipment.delivered',
  'refund.issued',
  'return.requested',
  'return.approved',
  'return.rejected',
  'return.canceled',
  'return.received',
  'return.refunded',
  'action.rejected',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface FollowUps {
  webhooks: WebhookEventType[];
  email: EmailKind | null;
  /** The refund whose money goes back through the payment provider. */
  refundPayment: string | null;
}

const NONE: FollowUps = { webhooks: [], email: null, refundPayment: null };

/**
 * What an entry of an order's history sets off once its transaction commits: webhook events, an e-mail to the
 * customer, a refund paid back. One table, so that every action gets the same follow-ups for the same entry. (PDFs
 * are rendered when first asked for, not set off.)
 */
export function followUpsOf(historyType: string, data: Record<string, unknown>): FollowUps {
  switch (historyType) {
    case 'order.place':
      return { ...NONE, webhooks: ['order.placed'], email: 'order_placed' };
    case 'status.changed':
      return { ...NONE, webhooks: ['order.status_changed'] };
    case 'invoice.create':
      return {
        ...NONE,
        webhooks: data.state === 'paid' ? ['invoice.created', 'invoice.paid'] : ['invoice.created'],
        email: 'invoice_created',
      };
    case 'invoice.pay':
      return { ...NONE, webhooks: data.state === 'paid' ? ['invoice.paid'] : [] };
    case 'invoice.remind':
      return { ...NONE, email: data.reminder === true ? 'invoice_overdue' : null };
    case 'shipment.create':
      return { ...NONE, webhooks: ['shipment.dispatched'], email: 'shipment_dispatched' };
    case 'shipment.deliver':
      return { ...NONE, webhooks: ['shipment.delivered'] };
    case 'refund.create':
      return {
        webhooks: ['refund.issued'],
        email: 'refund_issued',
        refundPayment: typeof data.refundId === 'string' ? data.refundId : null,
      };
    case 'return.request':
      return { ...NONE, webhooks: ['return.requested'] };
    case 'return.approve':
      return { ...NONE, webhooks: ['return.approved'], email: 'return_approved' };
    case 'return.reject':
      return { ...NONE, webhooks: ['return.rejected'], email: 'return_rejected' };
    case 'return.cancel':
      return { ...NONE, webhooks: ['return.canceled'] };
    case 'return.receive':
      return { ...NONE, webhooks: ['return.received'] };
    case 'return.refund':
      // A return's credit memo is a refund like any other: the same e-mail, event and payment.
      return {
        webhooks: ['return.refunded', 'refund.issued'],
        email: 'refund_issued',
        refundPayment: typeof data.refundId === 'string' ? data.refundId : null,
      };
    case 'order.cancel':
      return { ...NONE, email: 'order_canceled' };
    case 'order.comment':
      return { ...NONE, email: data.notifyCustomer === true ? 'comment' : null };
    case 'action.rejected':
      return { ...NONE, webhooks: ['action.rejected'] };
    default:
      return NONE;
  }
}

/** A webhook subscription as the follow-up rules see it: which event types it wants ('*': all). */
export interface Subscriber {
  id: string;
  eventTypes: readonly string[];
}

/** The subscriptions that want an event of this type. */
export function subscribersOf(type: string, subscribers: readonly Subscriber[]): Subscriber[] {
  return subscribers.filter((s) => s.eventTypes.includes(type) || s.eventTypes.includes('*'));
}

/** An event as subscribers receive it. */
export interface WebhookEvent {
  id: string;
  type: string;
  orderId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** The body every subscriber of an event receives. */
export function webhookBody(event: WebhookEvent): Record<string, unknown> {
  return { id: event.id, type: event.type, createdAt: event.occurredAt, orderId: event.orderId, data: event.data };
}
