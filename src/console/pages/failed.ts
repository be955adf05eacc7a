import type { Page, Unfinished } from '../api.js';
import { html } from '../html.js';
import { CONSOLE, page, type Viewer } from '../layout.js';
import { actionNoun, timeOf } from './history.js';

/** Actions the queue gave up on, each with its job in bull-board, where an operator retries it. */
export function failedPage(viewer: Viewer, failed: Page<Unfinished>, nextUrl: string | null, paged: boolean): string {
  return page({
    title: 'Failed actions',
    viewer,
    section: '/failed-actions',
    body: html`<h1>Failed actions</h1>
    <p>These actions failed on infrastructure (database, queue) after every attempt. Later actions of the same order
      wait behind them: fix the cause, then retry the job in bull-board (sign in there with the admin key's name and secret).</p>
    ${failed.items.length === 0
      ? html`<p class="empty">No failed action.</p>`
      : html`<div class="scroll"><table class="failed">
      <thead><tr><th scope="col">Accepted</th><th scope="col">Action</th><th scope="col">Order</th><th scope="col">Error</th><th scope="col" class="num">Attempts</th><th scope="col">Job</th></tr></thead>
      <tbody>${failed.items.map(
        (action) => html`<tr>
          <td>${timeOf(action.createdAt, viewer)}</td><td>${actionNoun(action.type)} <code>${action.type}</code><br><small>${action.id}</small></td>
          <td><a href="${CONSOLE}/orders/${action.orderId}">${action.orderNumber ?? 'not placed yet'}</a></td>
          <td>${action.error ? html`<code>${action.error.code}</code> ${action.error.message}` : '—'}</td>
          <td class="num">${action.attempts}</td>
          <td><a href="/admin/queues/queue/${action.queue}/${action.id}">Open the job in bull-board</a></td></tr>`,
      )}</tbody></table></div>`}
    <nav class="pager" aria-label="Pages">${paged ? html`<a href="${CONSOLE}/failed-actions">← Newest</a>` : ''} ${
      nextUrl ? html`<a href="${nextUrl}" rel="next">Older →</a>` : ''
    }</nav>`,
  });
}
