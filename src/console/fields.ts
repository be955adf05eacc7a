import { Type } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import type { Order } from './api.js';
import { html, type SafeHtml } from './html.js';
import { UUID } from './http.js';

/** Form controls: each with its label, its error next to it, and the value typed or pre-filled. */

export type Values = Readonly<Record<string, string>>;
export type FieldErrors = Readonly<Record<string, string>>;

const id = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

interface Control {
  name: string;
  label: string;
  hint?: string;
}

function wrap(control: Control, errors: FieldErrors, input: (describedBy: string) => SafeHtml): SafeHtml {
  const error = errors[control.name];
  const describedBy = [control.hint ? `${id(control.name)}-hint` : '', error ? `${id(control.name)}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' has-error' : ''}">
    <label for="${id(control.name)}">${control.label}</label>
    ${input(describedBy)}
    ${control.hint ? html`<small id="${id(control.name)}-hint">${control.hint}</small>` : ''}
    ${error ? html`<p class="field-error" id="${id(control.name)}-error">${error}</p>` : ''}
  </div>`;
}

const common = (control: Control, errors: FieldErrors, describedBy: string) =>
  html`id="${id(control.name)}" name="${control.name}"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${
    errors[control.name] ? html` aria-invalid="true"` : ''
  }`;

export function textField(
  control: Control & { type?: 'text' | 'datetime-local'; required?: boolean; maxLength?: number; inputMode?: 'decimal' },
  values: Values,
  errors: FieldErrors,
): SafeHtml {
  return wrap(control, errors, (describedBy) =>
    html`<input type="${control.type ?? 'text'}" ${common(control, errors, describedBy)} value="${values[control.name] ?? ''}"${
      control.required ? html` required` : ''
    }${control.maxLength ? html` maxlength="${control.maxLength}"` : ''}${control.inputMode ? html` inputmode="${control.inputMode}"` : ''}>`,
  );
}

/** An amount typed in major units of the order's currency. */
export const amountField = (control: Control, currency: string, values: Values, errors: FieldErrors) =>
  textField({ ...control, label: `${control.label} (${currency})`, inputMode: 'decimal' }, values, errors);

export function textArea(control: Control & { required?: boolean; maxLength: number }, values: Values, errors: FieldErrors): SafeHtml {
  return wrap(control, errors, (describedBy) =>
    html`<textarea ${common(control, errors, describedBy)} rows="3" maxlength="${control.maxLength}"${control.required ? html` required` : ''}>${
      values[control.name] ?? ''
    }</textarea>`,
  );
}

export function selectField(
  control: Control & { options: readonly { value: string; label: string }[] },
  values: Values,
  errors: FieldErrors,
): SafeHtml {
  return wrap(control, errors, (describedBy) =>
    html`<select ${common(control, errors, describedBy)}>${control.options.map(
      (option) => html`<option value="${option.value}"${values[control.name] === option.value ? html` selected` : ''}>${option.label}</option>`,
    )}</select>`,
  );
}

export const checkbox = (name: string, label: string, values: Values) =>
  html`<div class="field checkbox"><input type="checkbox" id="${id(name)}" name="${name}" value="on"${
    values[name] === 'on' ? html` checked` : ''
  }><label for="${id(name)}">${label}</label></div>`;

type LineFigure = 'qtyToInvoice' | 'qtyToShip' | 'qtyToRefund' | 'qtyToCancel' | 'qtyToReturn';

export const qtyField = (itemId: string) => `qty.${itemId}`;
export const restockField = (itemId: string) => `restock.${itemId}`;

/** The per-line fields as the browser posts them, by name pattern: a quantity and a back-to-stock box per line. */
export const linePatternProperties = {
  [`^qty\\.${UUID}$`]: Type.String({ pattern: '^\\d{0,5}$' }),
  [`^restock\\.${UUID}$`]: Type.Literal('on'),
};

/**
 * One row per line: its figure from the API (what is still to invoice, ship, refund) and, unless read-only, the
 * quantity to act on, bounded by that figure; optionally a "back to stock" box for stockable lines.
 */
export function lineTable(
  lines: Order['items'],
  figure: LineFigure,
  options: { heading: string; verb: string; values: Values; errors: FieldErrors; restock?: boolean; readOnly?: boolean },
): SafeHtml {
  const { values, errors } = options;
  return html`<table class="lines-form">
    <thead><tr><th scope="col">SKU</th><th scope="col">Item</th><th scope="col" class="num">${options.heading}</th>${
      options.readOnly ? '' : html`<th scope="col" class="num">Quantity</th>`
    }${options.restock ? html`<th scope="col">Back to stock</th>` : ''}</tr></thead>
    <tbody>${lines.map((line) => {
      const name = qtyField(line.id);
      const error = errors[name];
      return html`<tr>
        <td>${line.sku}</td><td>${line.name}</td><td class="num">${line[figure]}</td>
        ${options.readOnly ? '' : html`<td class="num"><input type="number" class="qty" id="${id(name)}" name="${name}" value="${values[name] ?? '0'}" min="0" max="${line[figure]}" inputmode="numeric" aria-label="Quantity of ${line.sku} to ${options.verb}"${
          error ? html` aria-invalid="true"` : ''
        }>${error ? html`<p class="field-error">${error}</p>` : ''}</td>`}
        ${options.restock ? html`<td>${line.stockable ? html`<input type="checkbox" name="${restockField(line.id)}" value="on" aria-label="Put ${line.sku} back in stock"${values[restockField(line.id)] === 'on' ? html` checked` : ''}>` : '—'}</td>` : ''}
      </tr>`;
    })}</tbody>
  </table>`;
}

/** Pre-filled quantities per line. */
export function lineDefaults(lines: Order['items'], quantity: (line: Order['items'][number]) => number): Values {
  return Object.fromEntries(lines.map((line) => [qtyField(line.id), String(quantity(line))]));
}

/** The quantities typed per line, for the API's `items`; a line left empty counts 0. */
export function lineItems(lines: Order['items'], values: Values) {
  return lines.map((line) => ({ itemId: line.id, qty: Number(values[qtyField(line.id)] || '0') }));
}

const MESSAGES: Record<string, string> = {
  pattern: 'has the wrong format',
  minLength: 'is required',
  maxLength: 'is too long',
  required: 'is required',
  additionalProperties: 'is not a field of this form',
};

/** The validator's complaints about a form body, by field. */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of errors ?? []) {
    const field =
      error.keyword === 'required'
        ? String(error.params.missingProperty)
        : error.keyword === 'additionalProperties'
          ? String(error.params.additionalProperty)
          : error.instancePath.slice(1);
    byField[field] ??= MESSAGES[error.keyword] ?? 'is not valid';
  }
  return byField;
}
