import type { HistoryEvent } from '../api.js';
import { formatTime, money } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { STATUS_LABELS, type Viewer } from '../layout.js';

/** Action types (SPEC §4) as nouns for outcomes and as past tense for the timeline. */
const ACTIONS: Readonly<Record<string, { noun: string; done: string }>> = {
  'order.place': { noun: 'Placement', done: 'Placed' },
  'order.cancel': { noun: 'Cancel', done: 'Canceled' },
  'order.hold': { noun: 'Hold', done: 'Put on hold' },
  'order.unhold': { noun: 'Unhold', done: 'Released from hold' },
  'order.comment': { noun: 'Comment', done: 'Commented' },
  'invoice.create': { noun: 'Invoice', done: 'Invoiced' },
  'invoice.pay': { noun: 'Payment', done: 'Payment registered' },
  'invoice.remind': { noun: 'Overdue reminder', done: 'Invoice overdue' },
  'shipment.create': { noun: 'Shipment', done: 'Shipped' },
  'shipment.deliver': { noun: 'Delivery', done: 'Delivered' },
  'refund.create': { noun: 'Refund', done: 'Refunded' },
  'return.request': { noun: 'Return request', done: 'Return requested' },
  'return.approve': { noun: 'Return approval', done: 'Return approved' },
  'return.reject': { noun: 'Return rejection', done: 'Return rejected' },
  'return.cancel': { noun: 'Return cancellation', done: 'Return canceled' },
  'return.receive': { noun: 'Return receipt', done: 'Return received' },
  'return.refund': { noun: 'Return refund', done: 'Return refunded' },
};

/** Entries of the history that are not actions: status changes, refusals and the work done after commit. */
const OTHER_EVENTS: Readonly<Record<string, string>> = {
  'status.changed': 'Status changed',
  'action.rejected': 'Refused',
  'email.sent': 'E-mail sent',
  'email.logged': 'E-mail recorded (no SMTP server configured)',
  'email.failed': 'E-mail failed',
  'refund.payment': 'Money returned',
  'webhook.delivered': 'Webhook delivered',
  'webhook.failed': 'Webhook delivery failed',
};

export const actionNoun = (type: string) => ACTIONS[type]?.noun ?? type;

export const timeOf = (iso: string, viewer: Viewer) => html`<time datetime="${iso}">${formatTime(iso, viewer.timeZone)}</time>`;

/** History data fields that are amounts in the order's currency. */
const AMOUNTS = new Set(['grandTotal', 'amount', 'due', 'refundable', 'shipping', 'adjustmentRefund', 'adjustmentFee']);

function value(key: string, data: unknown, currency: string, timeZone: string): string {
  if (typeof data === 'number' && AMOUNTS.has(key)) return money(data, currency);
  if (typeof data === 'string' && /At$/.test(key) && !Number.isNaN(Date.parse(data))) return formatTime(data, timeZone);
  if (Array.isArray(data)) return `${data.length} ${data.length === 1 ? 'line' : 'lines'}`;
  if (data !== null && typeof data === 'object') {
    return Object.entries(data).map(([k, v]) => `${k} ${value(k, v, currency, timeZone)}`).join(', ');
  }
  return String(data);
}

/** What an entry says, in words: the ids are left out (the documents are listed above). */
function summary(event: HistoryEvent, currency: string, timeZone: string): SafeHtml {
  const data = event.data;
  if (event.type === 'status.changed') {
    const label = (status: unknown) => STATUS_LABELS[String(status)] ?? String(status);
    return data.from === null ? html`Now ${label(data.to)}` : html`${label(data.from)} → ${label(data.to)}`;
  }
  if (event.type === 'action.rejected') {
    return html`${actionNoun(String(data.actionType))}: <code>${String(data.code)}</code> ${String(data.message)}`;
  }
  if (event.type === 'order.comment') {
    return html`“${String(data.comment)}”${data.notifyCustomer === true ? ' (e-mailed to the customer)' : ''}`;
  }
  return dataSummary(data, currency, timeZone);
}

/** Fields of a history entry or of a rejection's details, amounts in the currency and times in the zone. */
export function dataSummary(data: Record<string, unknown>, currency: string, timeZone: string): SafeHtml {
  const fields = Object.entries(data).filter(([key, item]) => !/Id$/.test(key) && item !== null && item !== undefined);
  const words = (key: string) => key.replace(/[A-Z]/g, (capital) => ` ${capital.toLowerCase()}`);
  return html`${fields.map(([key, item], i) => html`${i > 0 ? ' · ' : ''}${words(key)}: ${value(key, item, currency, timeZone)}`)}`;
}

export function timeline(events: HistoryEvent[], currency: string, viewer: Viewer): SafeHtml {
  return html`<section><h2>History <small>(newest first)</small></h2><ol class="timeline">${[...events].reverse().map(
    (event) => html`<li class="event event-${event.type.replace(/[^a-z]/g, '-')}">
      ${timeOf(event.createdAt, viewer)}
      <div><strong>${ACTIONS[event.type]?.done ?? OTHER_EVENTS[event.type] ?? event.type}</strong> <span class="actor">by ${event.actor}</span>
      <p>${summary(event, currency, viewer.timeZone)}</p></div>
    </li>`,
  )}</ol></section>`;
}
