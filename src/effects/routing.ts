import type { EmailKind } from '../../config/config.js';

/** Job names of the work after commit. */
export const PUBLISH_JOB = 'webhook.publish';
export const DELIVER_JOB = 'webhook.deliver';
export const EMAIL_JOB = 'email.send';
export const PDF_JOB = 'pdf.render';

/** The webhook event types orderflow publishes (SPEC §3.8). */
export const WEBHOOK_EVENT_TYPES = [
  'order.placed',
  'order.status_changed',
  'invoice.created',
  'invoice.paid',
  'shipment.dispatched',
  'shipment.delivered',
  'refund.issued',
  'action.rejected',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface Effects {
  webhooks: WebhookEventType[];
  email: EmailKind | null;
  pdf: { kind: 'invoice' | 'refund'; documentId: string } | null;
}

const NONE: Effects = { webhooks: [], email: null, pdf: null };

/**
 * What an entry of an order's history sets off once its transaction commits: webhook events, an e-mail to the
 * customer, a PDF to render. One table, so that every handler gets the same effects for the same entry.
 */
export function effectsOf(historyType: string, data: Record<string, unknown>): Effects {
  const id = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  switch (historyType) {
    case 'order.place':
      return { ...NONE, webhooks: ['order.placed'], email: 'order_placed' };
    case 'status.changed':
      return { ...NONE, webhooks: ['order.status_changed'] };
    case 'invoice.create': {
      const invoiceId = id('invoiceId');
      return {
        webhooks: data.state === 'paid' ? ['invoice.created', 'invoice.paid'] : ['invoice.created'],
        email: 'invoice_created',
        pdf: invoiceId ? { kind: 'invoice', documentId: invoiceId } : null,
      };
    }
    case 'invoice.pay':
      return { ...NONE, webhooks: data.state === 'paid' ? ['invoice.paid'] : [] };
    case 'invoice.remind':
      return { ...NONE, email: data.reminder === true ? 'invoice_overdue' : null };
    case 'shipment.create':
      return { ...NONE, webhooks: ['shipment.dispatched'], email: 'shipment_dispatched' };
    case 'shipment.deliver':
      return { ...NONE, webhooks: ['shipment.delivered'] };
    case 'refund.create': {
      const refundId = id('refundId');
      return {
        webhooks: ['refund.issued'],
        email: 'refund_issued',
        pdf: refundId ? { kind: 'refund', documentId: refundId } : null,
      };
    }
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

/** Who would notice a follow-up: the e-mail kinds switched on, the event types some subscription wants ('*': all). */
export interface Audience {
  emails: readonly EmailKind[];
  eventTypes: ReadonlySet<string>;
}

/**
 * Whether a follow-up would do anything: an e-mail of a kind switched off or an event nobody subscribed to is not
 * written at all (each would cost an outbox row, a job and its run for nothing).
 */
export function followUpWanted(name: string, payload: Record<string, unknown>, audience: Audience): boolean {
  if (name === EMAIL_JOB) return audience.emails.includes(payload.kind as EmailKind);
  if (name === PUBLISH_JOB) return audience.eventTypes.has('*') || audience.eventTypes.has(String(payload.type));
  return true;
}
