import type { Page, Source, Stock } from '../api.js';
import { html } from '../html.js';
import { CONSOLE, page, type Viewer } from '../layout.js';

/** Sources, and the stock of every managed SKU: on hand per source, reserved, salable. */
export function inventoryPage(viewer: Viewer, sources: Source[], stock: Page<Stock>, nextUrl: string | null, paged: boolean): string {
  return page({
    title: 'Inventory',
    viewer,
    section: '/inventory',
    body: html`<h1>Inventory</h1>
    <section><h2>Sources</h2>${sources.length === 0
      ? html`<p class="empty">No inventory source yet (PUT /v1/inventory/sources/{code}).</p>`
      : html`<div class="scroll"><table>
      <thead><tr><th scope="col">Code</th><th scope="col">Name</th><th scope="col">Contact</th><th scope="col">Active</th></tr></thead>
      <tbody>${sources.map(
        (source) => html`<tr><th scope="row">${source.code}</th><td>${source.name}</td><td>${source.contactEmail ?? '—'}</td><td>${source.active ? 'yes' : 'no'}</td></tr>`,
      )}</tbody></table></div>`}</section>
    <section><h2>Stock per SKU</h2>${stock.items.length === 0
      ? html`<p class="empty">No managed SKU yet (PUT /v1/inventory/items/{sku}).</p>`
      : html`<div class="scroll"><table class="stock">
      <thead><tr><th scope="col">SKU</th>${sources.map((source) => html`<th scope="col" class="num">On hand at ${source.code}</th>`)}<th scope="col" class="num">Reserved</th><th scope="col" class="num">Salable</th></tr></thead>
      <tbody>${stock.items.map(
        (item) => html`<tr><th scope="row">${item.sku}</th>${sources.map(
          (source) => html`<td class="num">${item.sources.find((s) => s.code === source.code)?.onHand ?? '—'}</td>`,
        )}<td class="num">${item.reserved}</td><td class="num${item.salable < 0 ? ' negative' : ''}">${item.salable}</td></tr>`,
      )}</tbody></table></div>`}
      <nav class="pager" aria-label="Pages">${paged ? html`<a href="${CONSOLE}/inventory">← First SKUs</a>` : ''} ${
        nextUrl ? html`<a href="${nextUrl}" rel="next">Next SKUs →</a>` : ''
      }</nav></section>`,
  });
}
