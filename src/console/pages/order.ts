import type { Action, ApiProblem, HistoryEvent, Order, Unfinished } from '../api.js';
import type { FieldErrors, Values } from '../fields.js';
import { FORMS, type FormContext, type FormDefinition, type OrderFigures } from '../forms.js';
import { money } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { badge, CONSOLE, csrfField, page, problemBox, STATUS_LABELS, type Viewer } from '../layout.js';
import { actionNoun, dataSummary, timeOf, timeline } from './history.js';

/** A form shown open on the order page: pre-filled, or as submitted with what was wrong with it. */
export interface OpenForm {
  form: FormDefinition;
  context: FormContext;
  values: Values;
  errors: FieldErrors;
  problem: ApiProblem | null;
  idempotencyKey: string;
}

export interface OrderPage {
  figures: OrderFigures;
  history: HistoryEvent[];
  /** Actions of this order not applied yet, or failed. */
  unfinished: Unfinished[];
  /** The action the last form recorded (`?action=`), as it is now. */
  outcome: Action | null;
  open: OpenForm | null;
  notice: string | null;
}

const orderUrl = (order: Order) => `${CONSOLE}/orders/${order.id}`;
const RUNNING = new Set(['queued', 'processing']);
const INVOICE_STATES = { paid: 'Paid', pending: 'Pending', overdue: 'Overdue' };
const SHIPMENT_STATES = { dispatched: 'Dispatched', delivered: 'Delivered' };
const RETURN_STATES = { requested: 'Requested', approved: 'Approved', rejected: 'Rejected', canceled: 'Canceled', received: 'Received', refunded: 'Refunded' };

function opener(order: Order, form: FormDefinition, label: string, target: string | null): SafeHtml {
  return html`<form method="get" action="${orderUrl(order)}#open-form" class="opener">
    <input type="hidden" name="form" value="${form.name}">
    ${target ? html`<input type="hidden" name="target" value="${target}">` : ''}
    <button type="submit">${label}</button>
  </form>`;
}

/** The buttons of forms about one document (pay an invoice, record a delivery, move a return), in that document's row. */
function documentOpeners(figures: OrderFigures, documentId: string): SafeHtml[] {
  return FORMS.filter((form) => form.documents).flatMap((form) =>
    form.openers(figures).filter((o) => o.target === documentId).map((o) => opener(figures.order, form, o.label, o.target)),
  );
}

/** What the last form did: applied, refused, or still being applied by a worker. */
function outcomeBox(action: Action, figures: OrderFigures): SafeHtml {
  const noun = actionNoun(action.type);
  if (action.status === 'succeeded') {
    const documents = [...figures.invoices, ...figures.shipments, ...figures.refunds, ...figures.returns];
    const created = Object.values(action.result ?? {}).flatMap((id) => documents.filter((d) => d.id === id).map((d) => d.number));
    return html`<div class="notice notice-ok" role="status"><p><strong>Applied:</strong> ${noun}${created.length ? html` ${created.join(', ')}` : ''}.</p></div>`;
  }
  if (action.status === 'rejected' && action.error) {
    return problemBox({ status: 422, code: action.error.code, title: `${noun} refused`, detail: action.error.message });
  }
  if (action.status === 'failed') {
    return html`<div class="notice notice-error" role="alert"><p><strong>${noun} failed</strong> after ${action.attempts} attempt(s): ${
      action.error?.message ?? ''
    }</p><p>See <a href="${CONSOLE}/failed-actions">failed actions</a> to retry its job.</p></div>`;
  }
  return html`<div class="notice notice-wait" role="status"><p><strong>Still being applied:</strong> ${noun}. This page refreshes until it is.</p></div>`;
}

function unfinishedBox(unfinished: Unfinished[], shown: string | null): SafeHtml {
  const others = unfinished.filter((action) => action.id !== shown);
  if (others.length === 0) return html``;
  return html`<div class="notice notice-wait" role="status">
    <p>Actions of this order not applied yet:</p>
    <ul>${others.map(
      (action) => html`<li>${actionNoun(action.type)}: ${badge(action.status, {})}${
        action.status === 'failed'
          ? html` ${action.error?.message ?? ''} — <a href="/admin/queues/queue/${action.queue}/${action.id}">open its job in bull-board</a>; later actions of this order wait for it`
          : ''
      }</li>`,
    )}</ul>
  </div>`;
}

function openFormPanel(open: OpenForm, viewer: Viewer): SafeHtml {
  const { form, context } = open;
  const details = open.problem?.action?.error?.details;
  return html`<section id="open-form" class="panel" aria-labelledby="open-form-title">
    <h2 id="open-form-title">${form.title(context)}</h2>
    ${open.problem ? problemBox(open.problem) : ''}
    ${details ? html`<p class="details">The figures behind it: ${dataSummary(details, context.figures.order.currency, viewer.timeZone)}</p>` : ''}
    <form method="post" action="${orderUrl(context.figures.order)}/${form.name}" class="action-form">
      ${csrfField(viewer)}
      <input type="hidden" name="idempotencyKey" value="${open.idempotencyKey}">
      ${context.target ? html`<input type="hidden" name="target" value="${context.target}">` : ''}
      ${form.render(context, open.values, open.errors)}
      <div class="buttons">
        <button type="submit" class="primary">${form.submitLabel}</button>
        <a href="${orderUrl(context.figures.order)}">Close</a>
      </div>
    </form>
  </section>`;
}

function address(title: string, a: Order['billingAddress']): SafeHtml {
  return html`<section class="card"><h2>${title}</h2>${
    a
      ? html`<address>${[a.name, a.company, a.line1, a.line2, [a.postcode, a.city].filter(Boolean).join(' '), a.region, a.country, a.phone]
          .filter(Boolean)
          .map((line) => html`${line}<br>`)}</address>`
      : html`<p>None</p>`
  }</section>`;
}

function linesTable(order: Order): SafeHtml {
  const columns = ['Ordered', 'Invoiced', 'Shipped', 'Refunded', 'Canceled', 'To invoice', 'To ship', 'To refund', 'To cancel', 'To return'];
  return html`<section><h2>Lines</h2><div class="scroll"><table class="lines">
    <thead><tr><th scope="col">SKU</th><th scope="col">Item</th><th scope="col" class="num">Unit price</th>${columns.map(
      (c) => html`<th scope="col" class="num">${c}</th>`,
    )}<th scope="col" class="num">Tax</th><th scope="col" class="num">Discount</th><th scope="col" class="num">Row total</th></tr></thead>
    <tbody>${order.items.map(
      (line) => html`<tr>
        <th scope="row">${line.sku}</th><td>${line.name}${line.stockable ? '' : html` <small>(not shipped)</small>`}</td>
        <td class="num">${money(line.unitPrice, order.currency)}</td>
        ${[line.qtyOrdered, line.qtyInvoiced, line.qtyShipped, line.qtyRefunded, line.qtyCanceled, line.qtyToInvoice, line.qtyToShip, line.qtyToRefund, line.qtyToCancel, line.qtyToReturn].map(
          (n) => html`<td class="num">${n}</td>`,
        )}
        <td class="num">${money(line.taxAmount, order.currency)}</td><td class="num">${money(line.discountAmount, order.currency)}</td>
        <td class="num">${money(line.rowTotal, order.currency)}</td>
      </tr>`,
    )}</tbody></table></div></section>`;
}

function totals(order: Order): SafeHtml {
  const t = order.totals;
  const rows: [string, number][] = [
    ['Subtotal', t.subTotal], ['Shipping', t.shipping], ['Tax', t.tax], ['Discount', t.discount], ['Grand total', t.grandTotal],
    ['Invoiced', t.invoiced], ['Paid', t.paid], ['Due', t.due], ['Refunded', t.refunded], ['Refundable', t.refundable],
  ];
  return html`<section class="card"><h2>Totals</h2><dl class="totals">${rows.map(
    ([label, amount]) => html`<dt>${label}</dt><dd>${money(amount, order.currency)}</dd>`,
  )}</dl></section>`;
}

function documents(figures: OrderFigures, viewer: Viewer): SafeHtml {
  const { order, invoices, shipments, refunds, returns } = figures;
  const none = (what: string) => html`<p class="empty">No ${what} yet.</p>`;
  const sku = (itemId: string) => order.items.find((line) => line.id === itemId)?.sku ?? itemId;
  const units = (items: { itemId: string; qty: number }[]) =>
    items.filter((item) => item.qty > 0).map((item) => `${item.qty} × ${sku(item.itemId)}`).join(', ');
  return html`
  <section><h2>Invoices</h2>${invoices.length === 0 ? none('invoices') : html`<div class="scroll"><table>
    <thead><tr><th scope="col">Number</th><th scope="col">State</th><th scope="col">Units</th><th scope="col" class="num">Grand total</th><th scope="col" class="num">Paid</th><th scope="col">Due at</th><th scope="col">Created</th><th scope="col">Document</th><th scope="col"></th></tr></thead>
    <tbody>${invoices.map((invoice) => html`<tr>
      <th scope="row">${invoice.number}</th><td>${badge(invoice.state, INVOICE_STATES)}</td><td>${units(invoice.items)}</td>
      <td class="num">${money(invoice.grandTotal, order.currency)}</td><td class="num">${money(invoice.paidAmount, order.currency)}</td>
      <td>${invoice.dueAt ? timeOf(invoice.dueAt, viewer) : '—'}</td><td>${timeOf(invoice.createdAt, viewer)}</td>
      <td><a href="${CONSOLE}/invoices/${invoice.id}/pdf">PDF of ${invoice.number}</a></td>
      <td>${documentOpeners(figures, invoice.id)}</td></tr>`)}</tbody></table></div>`}</section>
  <section><h2>Shipments</h2>${shipments.length === 0 ? none('shipments') : html`<div class="scroll"><table>
    <thead><tr><th scope="col">Number</th><th scope="col">State</th><th scope="col">Units</th><th scope="col">Source</th><th scope="col">Carrier</th><th scope="col">Tracking</th><th scope="col">Shipped</th><th scope="col">Delivered</th><th scope="col"></th></tr></thead>
    <tbody>${shipments.map((shipment) => html`<tr>
      <th scope="row">${shipment.number}</th><td>${badge(shipment.state, SHIPMENT_STATES)}</td><td>${units(shipment.items)}</td>
      <td>${shipment.source}</td><td>${shipment.carrier.title}</td><td>${shipment.trackingNumber}</td>
      <td>${timeOf(shipment.createdAt, viewer)}</td><td>${shipment.deliveredAt ? timeOf(shipment.deliveredAt, viewer) : '—'}</td>
      <td>${documentOpeners(figures, shipment.id)}</td></tr>`)}</tbody></table></div>`}</section>
  <section><h2>Refunds</h2>${refunds.length === 0 ? none('refunds') : html`<div class="scroll"><table>
    <thead><tr><th scope="col">Number</th><th scope="col">Units</th><th scope="col">Back to stock</th><th scope="col" class="num">Grand total</th><th scope="col">Reason</th><th scope="col">Money back</th><th scope="col">Created</th><th scope="col">Document</th></tr></thead>
    <tbody>${refunds.map((refund) => html`<tr>
      <th scope="row">${refund.number}</th><td>${units(refund.items)}</td>
      <td>${units(refund.items.filter((item) => item.returnToStock)) || '—'}</td>
      <td class="num">${money(refund.grandTotal, order.currency)}</td><td>${refund.reason ?? '—'}</td>
      <td>${refund.paymentStatus}</td><td>${timeOf(refund.createdAt, viewer)}</td>
      <td><a href="${CONSOLE}/refunds/${refund.id}/pdf">PDF of ${refund.number}</a></td></tr>`)}</tbody></table></div>`}</section>
  <section><h2>Returns</h2>${returns.length === 0 ? none('returns') : html`<div class="scroll"><table>
    <thead><tr><th scope="col">Number</th><th scope="col">State</th><th scope="col">Asked</th><th scope="col">Arrived resellable</th><th scope="col">Arrived damaged</th><th scope="col">Source</th><th scope="col">Requested</th><th scope="col">Document</th><th scope="col"></th></tr></thead>
    <tbody>${returns.map((ret) => html`<tr>
      <th scope="row">${ret.number}</th><td>${badge(ret.state, RETURN_STATES)}${ret.decisionReason ? html` <small>(${ret.decisionReason})</small>` : ''}</td>
      <td>${units(ret.items)}</td>
      <td>${units(ret.items.map((item) => ({ itemId: item.itemId, qty: item.qtyResellable }))) || '—'}</td>
      <td>${units(ret.items.map((item) => ({ itemId: item.itemId, qty: item.qtyDamaged }))) || '—'}</td>
      <td>${ret.source ?? '—'}</td><td>${timeOf(ret.createdAt, viewer)}</td>
      <td><a href="${CONSOLE}/returns/${ret.id}/pdf">Return slip ${ret.number}</a></td>
      <td>${documentOpeners(figures, ret.id)}</td></tr>`)}</tbody></table></div>`}</section>`;
}

export function orderPage(viewer: Viewer, data: OrderPage): string {
  const { figures, open, outcome } = data;
  const { order } = figures;
  const running = (outcome !== null && RUNNING.has(outcome.status)) || data.unfinished.some((action) => RUNNING.has(action.status));
  const toolbar = FORMS.filter((form) => !form.documents).flatMap((form) =>
    form.openers(figures).map((o) => opener(order, form, o.label, o.target)),
  );
  const body = html`
    <div class="title-row">
      <h1>Order ${order.number} ${badge(order.status)}</h1>
      <p class="meta">Placed ${timeOf(order.createdAt, viewer)} · ${order.externalId ? html`external id <strong>${order.externalId}</strong> · ` : ''}channel ${order.channel} · ${order.currency}</p>
    </div>
    ${outcome ? outcomeBox(outcome, figures) : ''}
    ${unfinishedBox(data.unfinished, outcome?.id ?? null)}
    ${data.notice ? html`<div class="notice" role="status"><p>${data.notice}</p></div>` : ''}
    <div class="toolbar" role="group" aria-label="Actions on this order">${toolbar}</div>
    ${open ? openFormPanel(open, viewer) : ''}
    <div class="cards">
      <section class="card"><h2>Customer</h2><p>${order.customer.firstName} ${order.customer.lastName}<br><a href="mailto:${order.customer.email}">${order.customer.email}</a>${
        order.customer.id ? html`<br>id ${order.customer.id}` : ''
      }</p></section>
      ${address('Billing address', order.billingAddress)}
      ${address('Shipping address', order.shippingAddress)}
      <section class="card"><h2>Payment and shipping</h2><p>Payment: ${order.payment.method}${order.payment.captured ? ' (captured)' : ''}<br>
        Shipping: ${order.shipping.title} (${money(order.shipping.amount, order.currency)})${
          order.refundWindowEndsAt ? html`<br>Refund window ends ${timeOf(order.refundWindowEndsAt, viewer)}` : ''
        }</p></section>
      ${totals(order)}
    </div>
    ${linesTable(order)}
    ${documents(figures, viewer)}
    ${timeline(data.history, order.currency, viewer)}`;
  return page({
    title: `Order ${order.number} (${STATUS_LABELS[order.status] ?? order.status})`,
    viewer,
    section: '/orders',
    // While a worker is still applying an action the page reloads, but never under an operator typing in a form.
    refreshSeconds: running && !open ? 2 : undefined,
    body,
  });
}
