import type { OrderListItem, Page } from '../api.js';
import { money } from '../format.js';
import { html } from '../html.js';
import { badge, CONSOLE, page, STATUS_LABELS, type Viewer } from '../layout.js';
import { timeOf } from './history.js';

export interface OrderSearch {
  q: string;
  status: string;
  from: string;
  to: string;
}

/** The orders list: newest first, found by number, e-mail or external id, filtered by status and day, paged. */
export function ordersPage(viewer: Viewer, search: OrderSearch, orders: Page<OrderListItem>, nextUrl: string | null, firstUrl: string | null): string {
  const statuses = [{ value: '', label: 'Any status' }, ...Object.entries(STATUS_LABELS).map(([value, label]) => ({ value, label }))];
  return page({
    title: 'Orders',
    viewer,
    section: '/orders',
    body: html`<h1>Orders</h1>
    <form method="get" action="${CONSOLE}/orders" class="filters" role="search">
      <div class="field grow"><label for="f-q">Number, e-mail or external id</label><input type="search" id="f-q" name="q" value="${search.q}"></div>
      <div class="field"><label for="f-status">Status</label><select id="f-status" name="status">${statuses.map(
        (s) => html`<option value="${s.value}"${s.value === search.status ? html` selected` : ''}>${s.label}</option>`,
      )}</select></div>
      <div class="field"><label for="f-from">Placed from</label><input type="date" id="f-from" name="from" value="${search.from}"></div>
      <div class="field"><label for="f-to">Placed until</label><input type="date" id="f-to" name="to" value="${search.to}"></div>
      <div class="buttons"><button type="submit" class="primary">Search</button> <a href="${CONSOLE}/orders">Clear</a></div>
    </form>
    ${orders.items.length === 0
      ? html`<p class="empty">No order matches.</p>`
      : html`<div class="scroll"><table class="orders">
      <thead><tr><th scope="col">Number</th><th scope="col">Placed</th><th scope="col">Customer</th><th scope="col">External id</th><th scope="col">Status</th><th scope="col" class="num">Grand total</th></tr></thead>
      <tbody>${orders.items.map(
        (order) => html`<tr>
          <th scope="row"><a href="${CONSOLE}/orders/${order.id}">${order.number}</a></th><td>${timeOf(order.createdAt, viewer)}</td>
          <td>${order.customerEmail}</td><td>${order.externalId ?? '—'}</td><td>${badge(order.status)}</td>
          <td class="num">${money(order.grandTotal, order.currency)}</td></tr>`,
      )}</tbody></table></div>`}
    <nav class="pager" aria-label="Pages">${firstUrl ? html`<a href="${firstUrl}">← Newest</a>` : ''} ${
      nextUrl ? html`<a href="${nextUrl}" rel="next">Older orders →</a>` : ''
    }</nav>`,
  });
}
