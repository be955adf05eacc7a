import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKey } from '../../config/config.js';
import { Problem } from '../api/problem.js';
import { ApiClient, type OrderListItem, type Page, type Source, type Stock, type Unfinished } from './api.js';
import { nextDay, zonedInstant } from './format.js';
import { html } from './html.js';
import { HTML, Id, queryString as query } from './http.js';
import { CONSOLE, errorPage, page, STATUS_LABELS } from './layout.js';
import { operatorOf } from './operator.js';
import { orderRoutes } from './order-routes.js';
import { failedPage } from './pages/failed.js';
import { inventoryPage } from './pages/inventory.js';
import { ordersPage } from './pages/orders.js';
import { cookieValue, csrfToken, isCsrfToken, readSession, SESSION_COOKIE, sessionCookie } from './session.js';

const ORDERS_PER_PAGE = 25;
const Cursor = Type.Optional(Type.String({ maxLength: 200 }));
const Day = Type.String({ pattern: '^(\\d{4}-\\d{2}-\\d{2})?$' });

const OrdersQuery = Type.Object(
  {
    q: Type.String({ maxLength: 254, default: '' }),
    status: Type.Union([Type.Literal(''), ...Object.keys(STATUS_LABELS).map((s) => Type.Literal(s))], { default: '' }),
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    cursor: Cursor,
  },
  { additionalProperties: false },
);
const CursorQuery = Type.Object({ cursor: Cursor }, { additionalProperties: false });

/** Console pages and forms behind the sign-in; every POST carries the session's CSRF token. */
export const signedInRoutes: FastifyPluginAsyncTypebox<{ keys: readonly ApiKey[] }> = async (app, { keys }) => {
  app.addHook('onRequest', async (request, reply) => {
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const found = cookie ? readSession(cookie, keys, new Date()) : null;
    if (!cookie || !found) return reply.redirect(`${CONSOLE}/login`, 303);
    request.operator = {
      viewer: { keyName: found.key.name, timeZone: found.session.timeZone, csrf: csrfToken(cookie, found.key) },
      api: new ApiClient(app, found.key.secret, request.id),
      key: found.key,
      cookie,
    };
  });
  // Before any validation: a form without the session's token is refused whatever else is in it.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return;
    const operator = operatorOf(request);
    const body = request.body;
    const token = typeof body === 'object' && body !== null && 'csrf' in body && typeof body.csrf === 'string' ? body.csrf : '';
    if (!isCsrfToken(token, operator.cookie, operator.key)) {
      throw new Problem(403, 'CSRF_TOKEN_INVALID', 'Forbidden', 'This form does not come from your console session (its CSRF token is missing or wrong). Reload the page and submit it again.');
    }
  });

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${CONSOLE}/orders`, 303));

  app.post('/logout', { schema: { hide: true } }, async (request, reply) =>
    reply.header('set-cookie', sessionCookie(null, request.protocol === 'https')).redirect(`${CONSOLE}/login`, 303),
  );

  app.get('/orders', { schema: { hide: true, querystring: OrdersQuery } }, async (request, reply) => {
    const operator = operatorOf(request);
    const { q, status, from = '', to = '', cursor } = request.query;
    const zone = operator.viewer.timeZone;
    const apiQuery = query({
      q: q.trim(),
      status,
      createdFrom: from ? zonedInstant(from, zone)?.toISOString() : undefined,
      createdTo: to ? zonedInstant(nextDay(to), zone)?.toISOString() : undefined,
      limit: String(ORDERS_PER_PAGE),
      cursor,
    });
    const orders = await operator.api.need<Page<OrderListItem>>(`/v1/orders?${apiQuery}`);
    const search = { q, status, from, to };
    const here = (next: string | undefined) => `${CONSOLE}/orders?${query({ ...search, cursor: next })}`;
    const body = ordersPage(operator.viewer, search, orders, orders.nextCursor ? here(orders.nextCursor) : null, cursor ? here(undefined) : null);
    return reply.type(HTML).send(body);
  });

  await app.register(orderRoutes);

  app.get('/inventory', { schema: { hide: true, querystring: CursorQuery } }, async (request, reply) => {
    const { api, viewer } = operatorOf(request);
    const { cursor } = request.query;
    const [sources, stock] = await Promise.all([
      api.need<{ items: Source[] }>('/v1/inventory/sources'),
      api.need<Page<Stock>>(`/v1/inventory/items?${query({ limit: '50', cursor })}`),
    ]);
    const next = stock.nextCursor ? `${CONSOLE}/inventory?${query({ cursor: stock.nextCursor })}` : null;
    return reply.type(HTML).send(inventoryPage(viewer, sources.items, stock, next, Boolean(cursor)));
  });

  app.get('/failed-actions', { schema: { hide: true, querystring: CursorQuery } }, async (request, reply) => {
    const { api, viewer } = operatorOf(request);
    const { cursor } = request.query;
    const failed = await api.need<Page<Unfinished>>(`/v1/actions?${query({ status: 'failed', limit: '50', cursor })}`);
    const next = failed.nextCursor ? `${CONSOLE}/failed-actions?${query({ cursor: failed.nextCursor })}` : null;
    return reply.type(HTML).send(failedPage(viewer, failed, next, Boolean(cursor)));
  });

  // The API's PDFs need the key, which the browser does not have: the console fetches them for it.
  for (const kind of ['invoices', 'refunds', 'returns'] as const) {
    app.get(`/${kind}/:id/pdf`, { schema: { hide: true, params: Type.Object({ id: Id }) } }, async (request, reply) => {
      const operator = operatorOf(request);
      const res = await operator.api.fetch(`/v1/${kind}/${request.params.id}/pdf`);
      if (res.statusCode === 200) {
        return reply
          .type('application/pdf')
          .header('content-disposition', String(res.headers['content-disposition'] ?? 'inline'))
          .send(res.rawPayload);
      }
      if (res.statusCode === 202) {
        const body = html`<h1>The PDF is being rendered</h1><p>This page reloads until it is ready.</p>`;
        return reply.code(202).type(HTML).send(page({ title: 'Rendering the PDF', viewer: operator.viewer, refreshSeconds: 2, body }));
      }
      await operator.api.need(`/v1/${kind}/${request.params.id}`); // its problem (404) becomes the page
      return reply.code(502).type(HTML).send(errorPage({ status: 502, code: 'PDF_UNAVAILABLE', title: 'No PDF', detail: `The API answered ${res.statusCode}.` }, operator.viewer));
    });
  }
};
