import { Type, type TSchema } from '@sinclair/typebox';
import { RETURN_REASON_WORDS, RETURN_REASONS } from '../domain/returns.js';
import type { Invoice, Order, Refund, Return, Shipment, Source } from './api.js';
import {
  amountField,
  checkbox,
  lineDefaults,
  lineItems,
  linePatternProperties,
  lineTable,
  qtyField,
  restockField,
  selectField,
  textArea,
  textField,
  type FieldErrors,
  type Values,
} from './fields.js';
import { amountInput, formatTime, money, parseAmount, zonedInstant } from './format.js';
import { html, type SafeHtml } from './html.js';
import { UUID } from './http.js';

/**
 * The console's forms, one definition each: which buttons open it (offered only when the figures the API computed
 * allow it), its fields and their defaults, and the API request it makes. No business rule is decided here: a
 * request the rules refuse comes back from the API as a rejection with its code and message.
 */

export interface OrderFigures {
  order: Order;
  invoices: Invoice[];
  shipments: Shipment[];
  refunds: Refund[];
  returns: Return[];
}

export interface FormContext {
  figures: OrderFigures;
  /** The invoice paid, the shipment delivered or the return moved, for forms about one document. */
  target: string | null;
  timeZone: string;
  /** Inventory sources, read for the shipment and return receipt forms only. */
  sources: Source[];
}

export interface Opener {
  label: string;
  target: string | null;
}

export type ApiRequest = { path: string; body: Record<string, unknown> } | { errors: FieldErrors };

export interface FormDefinition {
  name: string;
  submitLabel: string;
  /** Form fields besides the CSRF token, the idempotency key and the target, as the browser sends them. */
  fields: Record<string, TSchema>;
  /** Per-line quantity (and back-to-stock) fields. */
  perLine?: boolean;
  needsSources?: boolean;
  /** For a form about one document of the order: the documents it may be about. */
  documents?(figures: OrderFigures): readonly { id: string }[];
  openers(figures: OrderFigures): Opener[];
  title(context: FormContext): string;
  defaults(context: FormContext): Values;
  render(context: FormContext, values: Values, errors: FieldErrors): SafeHtml;
  request(context: FormContext, values: Values): ApiRequest;
}

const Optional = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
const Required = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const Checkbox = Type.Optional(Type.Literal('on'));
const Amount = Type.String({ maxLength: 40 });

const onHold = (order: Order) => order.status === 'on_hold';
const once = (offered: boolean, label: string): Opener[] => (offered ? [{ label, target: null }] : []);
const orderPath = (context: FormContext, path: string) => `/v1/orders/${context.figures.order.id}/${path}`;

/** Optional text: left empty, the field is left out of the request. */
const present = (values: Values, name: string) => (values[name]?.trim() ? { [name]: values[name]!.trim() } : {});

/** Amount fields parsed into minor units, or the errors of those that do not parse. */
function amounts(values: Values, names: readonly string[], currency: string, optional: boolean) {
  const parsed: Record<string, number> = {};
  const errors: Record<string, string> = {};
  for (const name of names) {
    const typed = values[name] ?? '';
    if (optional && typed.trim() === '') continue;
    const amount = parseAmount(typed, currency);
    if ('minor' in amount) parsed[name] = amount.minor;
    else errors[name] = amount.error;
  }
  return { parsed, errors };
}

const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;

const invoiceForm: FormDefinition = {
  name: 'invoice',
  submitLabel: 'Create invoice',
  fields: { state: Type.Union([Type.Literal('paid'), Type.Literal('pending')]), dueInDays: Type.String({ pattern: '^\\d{0,4}$' }) },
  perLine: true,
  openers: ({ order }) => once(!onHold(order) && order.items.some((line) => line.qtyToInvoice > 0), 'Invoice…'),
  title: ({ figures }) => `Invoice order ${figures.order.number}`,
  defaults: ({ figures }) => ({
    state: 'paid',
    dueInDays: '',
    ...lineDefaults(figures.order.items, (line) => line.qtyToInvoice),
  }),
  render: ({ figures }, values, errors) => html`
    ${lineTable(figures.order.items, 'qtyToInvoice', { heading: 'To invoice', verb: 'invoice', values, errors })}
    <div class="row">
      ${selectField({ name: 'state', label: 'State', options: [{ value: 'paid', label: 'Paid' }, { value: 'pending', label: 'Pending (credit terms)' }] }, values, errors)}
      ${textField({ name: 'dueInDays', label: 'Due in days', hint: 'Pending invoices only; empty: the configured default.' }, values, errors)}
    </div>`,
  request: (context, values) => ({
    path: orderPath(context, 'invoices'),
    body: {
      items: lineItems(context.figures.order.items, values),
      state: values.state,
      ...(values.state === 'pending' && values.dueInDays ? { dueInDays: Number(values.dueInDays) } : {}),
    },
  }),
};

const unpaid = (invoice: Invoice) => invoice.state === 'pending' || invoice.state === 'overdue';
const targetInvoice = ({ figures, target }: FormContext) => figures.invoices.find((invoice) => invoice.id === target);

const paymentForm: FormDefinition = {
  name: 'pay',
  submitLabel: 'Register payment',
  fields: { amount: Amount, method: Required(64), reference: Optional(200) },
  documents: ({ invoices }) => invoices,
  openers: ({ invoices }) => invoices.filter(unpaid).map((invoice) => ({ label: `Register payment on ${invoice.number}…`, target: invoice.id })),
  title: (context) => `Register a payment on ${targetInvoice(context)?.number ?? 'an invoice'}`,
  defaults: (context) => {
    const invoice = targetInvoice(context);
    const due = invoice ? invoice.grandTotal - invoice.paidAmount : 0;
    return { amount: amountInput(due, context.figures.order.currency), method: 'banktransfer', reference: '' };
  },
  render: (context, values, errors) => html`
    <p>Due on this invoice: <strong>${money(
      (targetInvoice(context)?.grandTotal ?? 0) - (targetInvoice(context)?.paidAmount ?? 0),
      context.figures.order.currency,
    )}</strong></p>
    <div class="row">
      ${amountField({ name: 'amount', label: 'Amount' }, context.figures.order.currency, values, errors)}
      ${textField({ name: 'method', label: 'Method', required: true, maxLength: 64, hint: 'e.g. banktransfer' }, values, errors)}
      ${textField({ name: 'reference', label: 'Reference', maxLength: 200 }, values, errors)}
    </div>`,
  request: (context, values) => {
    const { parsed, errors } = amounts(values, ['amount'], context.figures.order.currency, false);
    if (hasErrors(errors)) return { errors };
    return {
      path: `/v1/invoices/${context.target}/payments`,
      body: { amount: parsed.amount, method: values.method?.trim(), ...present(values, 'reference') },
    };
  },
};

const shipmentForm: FormDefinition = {
  name: 'ship',
  submitLabel: 'Create shipment',
  fields: { source: Required(50), carrierCode: Required(64), carrierTitle: Required(200), trackingNumber: Required(100) },
  perLine: true,
  needsSources: true,
  openers: ({ order }) => once(!onHold(order) && order.items.some((line) => line.qtyToShip > 0), 'Ship…'),
  title: ({ figures }) => `Ship order ${figures.order.number}`,
  defaults: ({ figures, sources }) => ({
    source: sources.find((source) => source.active)?.code ?? '',
    carrierCode: '',
    carrierTitle: '',
    trackingNumber: '',
    ...lineDefaults(figures.order.items, (line) => line.qtyToShip),
  }),
  render: ({ figures, sources }, values, errors) => html`
    ${lineTable(
      figures.order.items.filter((line) => line.stockable),
      'qtyToShip',
      { heading: 'To ship', verb: 'ship', values, errors },
    )}
    <div class="row">
      ${selectField(
        {
          name: 'source',
          label: 'From source',
          options: sources.map((source) => ({ value: source.code, label: `${source.name} (${source.code})${source.active ? '' : ', inactive'}` })),
        },
        values,
        errors,
      )}
      ${textField({ name: 'carrierCode', label: 'Carrier code', required: true, maxLength: 64, hint: 'e.g. ups' }, values, errors)}
      ${textField({ name: 'carrierTitle', label: 'Carrier name', required: true, maxLength: 200, hint: 'e.g. UPS' }, values, errors)}
      ${textField({ name: 'trackingNumber', label: 'Tracking number', required: true, maxLength: 100 }, values, errors)}
    </div>`,
  request: (context, values) => ({
    path: orderPath(context, 'shipments'),
    body: {
      source: values.source,
      carrier: { code: values.carrierCode?.trim(), title: values.carrierTitle?.trim() },
      trackingNumber: values.trackingNumber?.trim(),
      items: lineItems(context.figures.order.items.filter((line) => line.stockable), values),
    },
  }),
};

const targetShipment = ({ figures, target }: FormContext) => figures.shipments.find((shipment) => shipment.id === target);

const deliveryForm: FormDefinition = {
  name: 'deliver',
  submitLabel: 'Record delivery',
  fields: { deliveredAt: Type.String({ maxLength: 19 }) },
  documents: ({ shipments }) => shipments,
  openers: ({ shipments }) =>
    shipments.filter((shipment) => shipment.state === 'dispatched').map((shipment) => ({ label: `Record delivery of ${shipment.number}…`, target: shipment.id })),
  title: (context) => `Record the delivery of ${targetShipment(context)?.number ?? 'a shipment'}`,
  defaults: () => ({ deliveredAt: '' }),
  render: ({ timeZone }, values, errors) =>
    textField(
      { name: 'deliveredAt', label: 'Delivered at', type: 'datetime-local', hint: `In ${timeZone}; leave empty for now.` },
      values,
      errors,
    ),
  request: (context, values) => {
    const typed = values.deliveredAt ?? '';
    const at = typed ? zonedInstant(typed, context.timeZone) : null;
    if (typed && !at) return { errors: { deliveredAt: 'Give a date and a time, or leave it empty for now.' } };
    return { path: `/v1/shipments/${context.target}/delivery`, body: at ? { deliveredAt: at.toISOString() } : {} };
  },
};

const REFUND_AMOUNTS = ['shipping', 'adjustmentRefund', 'adjustmentFee'] as const;

/** The money of a credit memo besides its units: shipping, an extra refund, a fee kept back; 0 by default. */
const refundAmountDefaults = (currency: string) => Object.fromEntries(REFUND_AMOUNTS.map((name) => [name, amountInput(0, currency)]));
const refundAmountFields = (currency: string, values: Values, errors: FieldErrors) => html`
  <div class="row">
    ${amountField({ name: 'shipping', label: 'Shipping to refund' }, currency, values, errors)}
    ${amountField({ name: 'adjustmentRefund', label: 'Extra refund' }, currency, values, errors)}
    ${amountField({ name: 'adjustmentFee', label: 'Fee kept back' }, currency, values, errors)}
  </div>`;

const refundForm: FormDefinition = {
  name: 'refund',
  submitLabel: 'Create refund',
  fields: { shipping: Amount, adjustmentRefund: Amount, adjustmentFee: Amount, reason: Optional(1000), overrideReason: Optional(1000) },
  perLine: true,
  openers: ({ order }) => once(!onHold(order) && order.totals.refundable > 0, 'Refund…'),
  title: ({ figures }) => `Refund order ${figures.order.number}`,
  defaults: ({ figures }) => ({
    ...refundAmountDefaults(figures.order.currency),
    reason: '',
    overrideReason: '',
    ...lineDefaults(figures.order.items, () => 0),
  }),
  render: ({ figures, timeZone }, values, errors) => {
    const { order } = figures;
    return html`
      <p>Refundable (paid and not refunded yet): <strong>${money(order.totals.refundable, order.currency)}</strong></p>
      ${lineTable(order.items, 'qtyToRefund', { heading: 'To refund', verb: 'refund', values, errors, restock: true })}
      ${refundAmountFields(order.currency, values, errors)}
      ${textField({ name: 'reason', label: 'Reason', maxLength: 1000 }, values, errors)}
      ${textField(
        {
          name: 'overrideReason',
          label: 'Override the refund window, because',
          maxLength: 1000,
          hint: order.refundWindowEndsAt
            ? `The refund window ends ${formatTime(order.refundWindowEndsAt, timeZone)}; only needed after it, recorded in the history.`
            : 'Only needed after the refund window; recorded in the history.',
        },
        values,
        errors,
      )}`;
  },
  request: (context, values) => {
    const { order } = context.figures;
    const { parsed, errors } = amounts(values, REFUND_AMOUNTS, order.currency, true);
    if (hasErrors(errors)) return { errors };
    return {
      path: orderPath(context, 'refunds'),
      body: {
        items: lineItems(order.items, values).map((item) => ({ ...item, returnToStock: values[restockField(item.itemId)] === 'on' })),
        ...parsed,
        ...present(values, 'reason'),
        ...(values.overrideReason?.trim() ? { overrideWindow: { reason: values.overrideReason.trim() } } : {}),
      },
    };
  },
};

/** A return reason as the console shows it: the domain's words, capitalized. */
const reasonLabel = (reason: (typeof RETURN_REASONS)[number]) => {
  const words = RETURN_REASON_WORDS[reason];
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
};

const returnRequestForm: FormDefinition = {
  name: 'return',
  submitLabel: 'Record return request',
  fields: { reason: Type.Union(RETURN_REASONS.map((reason) => Type.Literal(reason))), note: Optional(1000) },
  perLine: true,
  openers: ({ order }) => once(!onHold(order) && order.items.some((line) => line.qtyToReturn > 0), 'Return…'),
  title: ({ figures }) => `Record a return of order ${figures.order.number}, as the customer asked`,
  defaults: ({ figures }) => ({ reason: 'did_not_fit', note: '', ...lineDefaults(figures.order.items, () => 0) }),
  render: ({ figures }, values, errors) => html`
    ${lineTable(
      figures.order.items.filter((line) => line.stockable),
      'qtyToReturn',
      { heading: 'Returnable', verb: 'send back', values, errors },
    )}
    <div class="row">
      ${selectField({ name: 'reason', label: 'Reason', options: RETURN_REASONS.map((value) => ({ value, label: reasonLabel(value) })) }, values, errors)}
      ${textField({ name: 'note', label: 'Note', maxLength: 1000, hint: "The customer's words, if any." }, values, errors)}
    </div>`,
  request: (context, values) => ({
    path: orderPath(context, 'returns'),
    body: {
      items: lineItems(context.figures.order.items.filter((line) => line.stockable), values).map((item) => ({ ...item, reason: values.reason })),
      ...present(values, 'note'),
    },
  }),
};

const targetReturn = ({ figures, target }: FormContext) => figures.returns.find((ret) => ret.id === target);
const returnPath = (context: FormContext, move: string) => `/v1/returns/${context.target}/${move}`;

/** A form that moves one return, offered for the returns whose `moves` (from the API) include it. */
function returnMoveForm(
  move: 'approve' | 'reject' | 'cancel' | 'receive' | 'refund',
  definition: Omit<FormDefinition, 'name' | 'documents' | 'openers' | 'title'> & { opener: string; title: string },
): FormDefinition {
  const { opener, title, ...rest } = definition;
  return {
    ...rest,
    name: `return-${move}`,
    documents: ({ returns }) => returns,
    openers: ({ returns }) => returns.filter((ret) => ret.moves.includes(move)).map((ret) => ({ label: `${opener} ${ret.number}…`, target: ret.id })),
    title: (context) => `${title} ${targetReturn(context)?.number ?? 'a return'}`,
  };
}

/** What was asked to come back, per line of the return. */
function askedUnits(context: FormContext): SafeHtml {
  const ret = targetReturn(context);
  return html`<p>Asked to send back: ${(ret?.items ?? []).map((item) => `${item.qty} × ${item.sku} (${reasonLabel(item.reason)})`).join(', ')}</p>`;
}

const returnForms: FormDefinition[] = [
  returnMoveForm('approve', {
    opener: 'Approve',
    title: 'Approve return',
    submitLabel: 'Approve return',
    fields: { note: Optional(1000) },
    defaults: () => ({ note: '' }),
    render: (context, values, errors) => html`${askedUnits(context)}
      ${textField({ name: 'note', label: 'Instructions for the customer', maxLength: 1000, hint: 'Added to the approval e-mail.' }, values, errors)}`,
    request: (context, values) => ({ path: returnPath(context, 'approve'), body: present(values, 'note') }),
  }),
  returnMoveForm('reject', {
    opener: 'Reject',
    title: 'Reject return',
    submitLabel: 'Reject return',
    fields: { reason: Required(1000) },
    defaults: () => ({ reason: '' }),
    render: (context, values, errors) => html`${askedUnits(context)}
      ${textField({ name: 'reason', label: 'Reason', required: true, maxLength: 1000, hint: 'Told to the customer.' }, values, errors)}`,
    request: (context, values) => ({ path: returnPath(context, 'reject'), body: { reason: values.reason?.trim() } }),
  }),
  returnMoveForm('receive', {
    opener: 'Receive',
    title: 'Receive return',
    submitLabel: 'Record receipt',
    fields: { source: Required(50) },
    perLine: true,
    needsSources: true,
    defaults: (context) => ({
      source: context.sources.find((source) => source.active)?.code ?? '',
      ...Object.fromEntries((targetReturn(context)?.items ?? []).flatMap((item) => [[qtyField(item.itemId), String(item.qty)], [restockField(item.itemId), 'on']])),
    }),
    render: (context, values, errors) => html`
      <table class="lines-form">
        <thead><tr><th scope="col">SKU</th><th scope="col" class="num">Asked</th><th scope="col" class="num">Arrived</th><th scope="col">Resellable</th></tr></thead>
        <tbody>${(targetReturn(context)?.items ?? []).map((item) => {
          const name = qtyField(item.itemId);
          return html`<tr><td>${item.sku}</td><td class="num">${item.qty}</td>
            <td class="num"><input type="number" class="qty" name="${name}" value="${values[name] ?? '0'}" min="0" max="${item.qty}" inputmode="numeric" aria-label="Units of ${item.sku} that arrived"${
              errors[name] ? html` aria-invalid="true"` : ''
            }>${errors[name] ? html`<p class="field-error">${errors[name]}</p>` : ''}</td>
            <td><input type="checkbox" name="${restockField(item.itemId)}" value="on" aria-label="${item.sku} can be sold again"${
              values[restockField(item.itemId)] === 'on' ? html` checked` : ''
            }></td></tr>`;
        })}</tbody>
      </table>
      ${selectField(
        {
          name: 'source',
          label: 'Received at source',
          hint: 'Resellable units go back on hand there; the others do not.',
          options: context.sources.map((source) => ({ value: source.code, label: `${source.name} (${source.code})${source.active ? '' : ', inactive'}` })),
        },
        values,
        errors,
      )}`,
    request: (context, values) => ({
      path: returnPath(context, 'receive'),
      body: {
        source: values.source,
        items: (targetReturn(context)?.items ?? []).map((item) => ({
          itemId: item.itemId,
          qty: Number(values[qtyField(item.itemId)] || '0'),
          condition: values[restockField(item.itemId)] === 'on' ? 'resellable' : 'damaged',
        })),
      },
    }),
  }),
  returnMoveForm('refund', {
    opener: 'Refund',
    title: 'Refund return',
    submitLabel: 'Create credit memo',
    fields: { shipping: Amount, adjustmentRefund: Amount, adjustmentFee: Amount, reason: Optional(1000) },
    defaults: ({ figures }) => ({
      ...refundAmountDefaults(figures.order.currency),
      reason: '',
    }),
    render: (context, values, errors) => {
      const { order } = context.figures;
      const received = (targetReturn(context)?.items ?? []).filter((item) => item.qtyReceived > 0);
      return html`<p>Refunds what arrived: ${received.map((item) => `${item.qtyReceived} × ${item.sku}`).join(', ') || 'nothing'}.</p>
        ${refundAmountFields(order.currency, values, errors)}
        ${textField({ name: 'reason', label: 'Reason', maxLength: 1000 }, values, errors)}`;
    },
    request: (context, values) => {
      const { parsed, errors } = amounts(values, REFUND_AMOUNTS, context.figures.order.currency, true);
      if (hasErrors(errors)) return { errors };
      return { path: returnPath(context, 'refund'), body: { ...parsed, ...present(values, 'reason') } };
    },
  }),
  returnMoveForm('cancel', {
    opener: 'Cancel',
    title: 'Cancel return',
    submitLabel: 'Cancel return',
    fields: { reason: Optional(1000) },
    defaults: () => ({ reason: '' }),
    render: (context, values, errors) => html`${askedUnits(context)}
      ${textField({ name: 'reason', label: 'Reason', maxLength: 1000, hint: 'Recorded in the history.' }, values, errors)}`,
    request: (context, values) => ({ path: returnPath(context, 'cancel'), body: present(values, 'reason') }),
  }),
];

/** Cancel, hold and unhold: a reason, and the API's own rule of what they change. */
function reasonForm(
  name: 'cancel' | 'hold' | 'unhold',
  opener: string,
  submitLabel: string,
  offered: (order: Order) => boolean,
  title: (number: string) => string,
): FormDefinition {
  return {
    name,
    submitLabel,
    fields: { reason: Optional(1000) },
    openers: ({ order }) => once(offered(order), opener),
    title: ({ figures }) => title(figures.order.number),
    defaults: () => ({ reason: '' }),
    render: ({ figures }, values, errors) => html`
      ${name === 'cancel'
        ? lineTable(figures.order.items, 'qtyToCancel', { heading: 'To cancel', verb: 'cancel', values, errors, readOnly: true })
        : ''}
      ${textField({ name: 'reason', label: 'Reason', maxLength: 1000, hint: 'Recorded in the history.' }, values, errors)}`,
    request: (context, values) => ({ path: orderPath(context, name), body: present(values, 'reason') }),
  };
}

/** Statuses from which an order can no longer be held (SPEC §3.7), read off the status the API reports. */
const FINAL = new Set(['canceled', 'closed', 'completed', 'on_hold']);

const commentForm: FormDefinition = {
  name: 'comment',
  submitLabel: 'Add comment',
  fields: { comment: Required(5000), notifyCustomer: Checkbox },
  openers: () => once(true, 'Comment…'),
  title: ({ figures }) => `Comment on order ${figures.order.number}`,
  defaults: () => ({ comment: '' }),
  render: ({ figures }, values, errors) => html`
    ${textArea({ name: 'comment', label: 'Comment', required: true, maxLength: 5000 }, values, errors)}
    ${checkbox('notifyCustomer', `E-mail it to the customer (${figures.order.customer.email})`, values)}`,
  request: (context, values) => ({
    path: orderPath(context, 'comments'),
    body: { comment: values.comment ?? '', notifyCustomer: values.notifyCustomer === 'on' },
  }),
};

/** In the order the order page offers them. */
export const FORMS: readonly FormDefinition[] = [
  invoiceForm,
  paymentForm,
  shipmentForm,
  deliveryForm,
  refundForm,
  returnRequestForm,
  ...returnForms,
  reasonForm('cancel', 'Cancel…', 'Cancel order', (order) => !onHold(order) && order.items.some((line) => line.qtyToCancel > 0), (n) => `Cancel what is left of order ${n}`),
  reasonForm('hold', 'Hold…', 'Hold order', (order) => !FINAL.has(order.status), (n) => `Hold order ${n}`),
  reasonForm('unhold', 'Unhold…', 'Unhold order', onHold, (n) => `Release order ${n} from hold`),
  commentForm,
];

export const formNamed = (name: string) => FORMS.find((form) => form.name === name);

/** Whether a form about one document names a document of this order. */
export function targetsOrder(form: FormDefinition, figures: OrderFigures, target: string | null): boolean {
  return form.documents ? form.documents(figures).some((document) => document.id === target) : target === null;
}

/** The schema of what the browser posts for a form: strict, per-line fields by pattern. */
export function postedSchema(form: FormDefinition) {
  return Type.Object(
    {
      csrf: Type.String(),
      idempotencyKey: Type.String({ pattern: `^${UUID}$` }),
      target: Type.Optional(Type.String({ pattern: `^${UUID}$` })),
      ...form.fields,
    },
    {
      additionalProperties: false,
      ...(form.perLine
        ? { patternProperties: linePatternProperties }
        : {}),
    },
  );
}
