import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKey } from '../../config/config.js';
import { Problem } from '../api/problem.js';
import { schemaGuard } from '../validation.js';
import { ApiClient, type Action, type HistoryEvent, type Invoice, type Order, type OrderListItem, type Page, type Refund, type Shipment, type Source, type Stock, type Unfinished } from './api.js';
import { fieldErrors, type Values } from './fields.js';
import { nextDay, zonedInstant } from './format.js';
import { formNamed, postedSchema, targetsOrder, FORMS, type FormContext, type FormDefinition, type OrderFigures } from './forms.js';
import { CONSOLE, errorPage, page, STATUS_LABELS } from './layout.js';
import { failedPage } from './pages/failed.js';
import { inventoryPage } from './pages/inventory.js';
import { orderPage, type OpenForm } from './pages/order.js';
import { ordersPage } from './pages/orders.js';
import { html } from './html.js';
import type { Operator } from './plugin.js';
import { cookieValue, csrfToken, isCsrfToken, readSession, SESSION_COOKIE, sessionCookie } from './session.js';

const HTML = 'text/html; charset=utf-8';
const ORDERS_PER_PAGE = 25;
const uuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const Id = Type.String({ pattern: uuidPattern });
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
const OrderQuery = Type.Object(
  { form: Type.Optional(Type.String({ maxLength: 20 })), target: Type.Optional(Id), action: Type.Optional(Id) },
  { additionalProperties: false },
);
const CursorQuery = Type.Object({ cursor: Cursor }, { additionalProperties: false });

const INVALID_FORM = { status: 400, code: 'FORM_INVALID', title: 'Check the form', detail: 'Some fields are not valid; nothing was recorded.' };

const isForm = schemaGuard(Type.Record(Type.String(), Type.String()));
const postedGuards = new Map(FORMS.map((form) => [form, schemaGuard(postedSchema(form))]));

function operatorOf(request: FastifyRequest): Operator {
  if (!request.operator) throw new Error('console route reached without a session');
  return request.operator;
}

const query = (params: Record<string, string | undefined>) => {
  const defined = Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]));
  return new URLSearchParams(defined).toString();
};

/** The order and its documents in full, as the API reports them. */
async function readFigures(api: ApiClient, orderId: string): Promise<OrderFigures> {
  const order = await api.need<Order>(`/v1/orders/${orderId}`);
  const [invoices, shipments, refunds] = await Promise.all([
    Promise.all(order.invoices.map((d) => api.need<Invoice>(`/v1/invoices/${d.id}`))),
    Promise.all(order.shipments.map((d) => api.need<Shipment>(`/v1/shipments/${d.id}`))),
    Promise.all(order.refunds.map((d) => api.need<Refund>(`/v1/refunds/${d.id}`))),
  ]);
  return { order, invoices, shipments, refunds };
}

async function formContext(operator: Operator, form: FormDefinition, figures: OrderFigures, target: string | null): Promise<FormContext> {
  const sources = form.needsSources ? (await operator.api.need<{ items: Source[] }>('/v1/inventory/sources')).items : [];
  return { figures, target, timeZone: operator.viewer.timeZone, sources };
}

async function sendOrderPage(
  reply: FastifyReply,
  operator: Operator,
  figures: OrderFigures,
  extra: { open?: OpenForm | null; outcome?: Action | null; notice?: string | null; status?: number },
) {
  const { api } = operator;
  const [history, unfinished] = await Promise.all([
    api.need<{ items: HistoryEvent[] }>(`/v1/orders/${figures.order.id}/history`),
    api.need<Page<Unfinished>>(`/v1/actions?${query({ orderId: figures.order.id, limit: '20' })}`),
  ]);
  const body = orderPage(operator.viewer, {
    figures,
    history: history.items,
    unfinished: unfinished.items,
    outcome: extra.outcome ?? null,
    open: extra.open ?? null,
    notice: extra.notice ?? null,
  });
  return reply.code(extra.status ?? 200).type(HTML).send(body);
}

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

  app.get('/orders/:id', { schema: { hide: true, params: Type.Object({ id: Id }), querystring: OrderQuery } }, async (request, reply) => {
    const operator = operatorOf(request);
    const figures = await readFigures(operator.api, request.params.id);
    const { form: formName, target = null, action } = request.query;
    let outcome: Action | null = null;
    if (action) {
      const read = await operator.api.get<Action>(`/v1/actions/${action}`);
      if (read.ok && read.value.orderId === figures.order.id) outcome = read.value;
    }
    const form = formName ? formNamed(formName) : undefined;
    const offered = form && targetsOrder(form, figures, target) && form.openers(figures).some((o) => o.target === target);
    if (!form || !offered) {
      const notice = formName ? 'That form is not offered for this order now: its figures no longer allow it.' : null;
      return sendOrderPage(reply, operator, figures, { outcome, notice });
    }
    const context = await formContext(operator, form, figures, target);
    const open = { form, context, values: form.defaults(context), errors: {}, problem: null, idempotencyKey: randomUUID() };
    return sendOrderPage(reply, operator, figures, { outcome, open });
  });

  app.post(
    '/orders/:id/:form',
    { schema: { hide: true, params: Type.Object({ id: Id, form: Type.String({ maxLength: 20 }) }) } },
    async (request, reply) => {
      const operator = operatorOf(request);
      const form = formNamed(request.params.form);
      if (!form) throw new Problem(404, 'NOT_FOUND', 'Not found', `The console has no form ${request.params.form}.`);
      if (!isForm(request.body)) throw new Problem(400, 'FORM_INVALID', 'Invalid form', 'Send the form as the console renders it.');
      const values: Values = request.body;
      const target = values.target ?? null;
      const figures = await readFigures(operator.api, request.params.id);
      if (!targetsOrder(form, figures, target)) {
        throw new Problem(404, 'NOT_FOUND', 'Not found', 'That document is not one of this order’s.');
      }
      const reopen = async (open: Omit<OpenForm, 'form' | 'context' | 'values'>, fresh: OrderFigures, status: number) =>
        sendOrderPage(reply, operator, fresh, { open: { ...open, form, context: await formContext(operator, form, fresh, target), values }, status });

      const posted = postedGuards.get(form)!;
      const key = values.idempotencyKey ?? randomUUID();
      if (!posted(values)) return reopen({ errors: fieldErrors(posted.errors), problem: INVALID_FORM, idempotencyKey: randomUUID() }, figures, 400);
      const built = form.request(await formContext(operator, form, figures, target), values);
      if ('errors' in built) return reopen({ errors: built.errors, problem: INVALID_FORM, idempotencyKey: key }, figures, 400);
      const outcome = await operator.api.write(built.path, built.body, key);
      if (outcome.kind !== 'refused') {
        return reply.redirect(`${CONSOLE}/orders/${figures.order.id}?${query({ action: outcome.action.id })}`, 303);
      }
      // A refusal the API recorded used up the form's key; one it did not (busy, rate limited) may be retried with it.
      const idempotencyKey = outcome.recorded ? randomUUID() : key;
      const fresh = await readFigures(operator.api, figures.order.id);
      return reopen({ errors: {}, problem: outcome.problem, idempotencyKey }, fresh, outcome.problem.status);
    },
  );

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
  for (const kind of ['invoices', 'refunds'] as const) {
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
