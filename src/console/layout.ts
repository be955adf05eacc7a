import type { ApiProblem } from './api.js';
import { html, type SafeHtml } from './html.js';

/** The signed-in operator as the pages show them; null on the sign-in page and on errors before sign-in. */
export interface Viewer {
  keyName: string;
  timeZone: string;
  csrf: string;
}

export const CONSOLE = '/console';

/** Order statuses of SPEC §3.2, as operators read them. */
export const STATUS_LABELS: Readonly<Record<string, string>> = {
  pending: 'Pending',
  pending_payment: 'Pending payment',
  processing: 'Processing',
  completed: 'Completed',
  canceled: 'Canceled',
  closed: 'Closed',
  on_hold: 'On hold',
};

/** A status as a badge: the word carries the meaning, the colour only helps. */
export const badge = (state: string, labels: Readonly<Record<string, string>> = STATUS_LABELS) =>
  html`<span class="badge badge-${state.replace(/[^a-z_]/g, '')}">${labels[state] ?? state.replace(/_/g, ' ')}</span>`;

/** The CSRF token every form posts. */
export const csrfField = (viewer: Viewer) => html`<input type="hidden" name="csrf" value="${viewer.csrf}">`;

export function problemBox(problem: ApiProblem): SafeHtml {
  return html`<div class="notice notice-error" role="alert">
    <p><strong>${problem.title}</strong> <code>${problem.code}</code></p>
    <p>${problem.detail}</p>
    ${problem.errors?.length ? html`<ul>${problem.errors.map((e) => html`<li><code>${e.path}</code> ${e.message}</li>`)}</ul>` : ''}
  </div>`;
}

function navigation(viewer: Viewer, current: string): SafeHtml {
  const link = (path: string, label: string) =>
    html`<a href="${CONSOLE}${path}"${current === path ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav aria-label="Console">
      ${link('/orders', 'Orders')} ${link('/inventory', 'Inventory')} ${link('/failed-actions', 'Failed actions')}
    </nav>
    <div class="who">
      <span>Signed in as <strong>${viewer.keyName}</strong> · times in ${viewer.timeZone}</span>
      <form method="post" action="${CONSOLE}/logout">${csrfField(viewer)}<button type="submit" class="secondary">Sign out</button></form>
    </div>`;
}

export interface PageOptions {
  title: string;
  viewer: Viewer | null;
  /** The navigation entry to mark as current. */
  section?: string;
  /** Reload the page every few seconds, while actions it shows are still being applied. */
  refreshSeconds?: number;
  body: SafeHtml;
}

export function page(options: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  ${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
  <title>${options.title} · orderflow console</title>
  <link rel="stylesheet" href="${CONSOLE}/assets/console.css">
  <script src="${CONSOLE}/assets/console.js" defer></script>
</head>
<body>
  <a class="skip" href="#main">Skip to content</a>
  <header class="top">
    <a class="brand" href="${CONSOLE}/orders">orderflow console</a>
    ${options.viewer ? navigation(options.viewer, options.section ?? '') : ''}
  </header>
  <main id="main" tabindex="-1">
    ${options.body}
  </main>
</body>
</html>`.value;
}

export function errorPage(problem: ApiProblem, viewer: Viewer | null): string {
  return page({
    title: problem.title,
    viewer,
    body: html`<h1>${problem.title}</h1>${problemBox(problem)}<p><a href="${CONSOLE}/orders">Back to the orders</a></p>`,
  });
}
