import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Problem } from '../api/problem.js';
import { schemaGuard } from '../validation.js';
import type { Action, ApiClient, HistoryEvent, Invoice, Order, Page, Refund, Return, Shipment, Source, Unfinished } from './api.js';
import { fieldErrors, type Values } from './fields.js';
import { formNamed, postedSchema, targetsOrder, FORMS, type FormContext, type FormDefinition, type OrderFigures } from './forms.js';
import { HTML, Id, queryString as query } from './http.js';
import { CONSOLE } from './layout.js';
import { operatorOf, type Operator } from './operator.js';
import { orderPage, type OpenForm } from './pages/order.js';

const OrderQuery = Type.Object(
  { form: Type.Optional(Type.String({ maxLength: 20 })), target: Type.Optional(Id), action: Type.Optional(Id) },
  { additionalProperties: false },
);

const INVALID_FORM = { status: 400, code: 'FORM_INVALID', title: 'Check the form', detail: 'Some fields are not valid; nothing was recorded.' };

const isForm = schemaGuard(Type.Record(Type.String(), Type.String()));
const postedGuards = new Map(FORMS.map((form) => [form, schemaGuard(postedSchema(form))]));

/** The order and its documents in full, as the API reports them. */
async function readFigures(api: ApiClient, orderId: string): Promise<OrderFigures> {
  const order = await api.need<Order>(`/v1/orders/${orderId}`);
  const [invoices, shipments, refunds, returns] = await Promise.all([
    Promise.all(order.invoices.map((d) => api.need<Invoice>(`/v1/invoices/${d.id}`))),
    Promise.all(order.shipments.map((d) => api.need<Shipment>(`/v1/shipments/${d.id}`))),
    Promise.all(order.refunds.map((d) => api.need<Refund>(`/v1/refunds/${d.id}`))),
    Promise.all(order.returns.map((d) => api.need<Return>(`/v1/returns/${d.id}`))),
  ]);
  return { order, invoices, shipments, refunds, returns };
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

/** The order page, and its forms: each submit records one action through the API and shows its outcome. */
export const orderRoutes: FastifyPluginAsyncTypebox = async (app) => {
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

};
