import type { Static, TSchema } from '@sinclair/typebox';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

import { fullFormats } from 'ajv-formats/dist/formats.js';

const rfc3339 = fullFormats['date-time'] as { validate: (value: string) => boolean };

/**
 * An RFC 3339 timestamp (a real calendar day) that JavaScript and PostgreSQL both read as the same instant: years
 * 0001–9999, no leap second (JSON Schema's `date-time` allows `0000` and `:60`, which `Date` or PostgreSQL refuse).
 */
export function isTimestamp(value: string): boolean {
  return rfc3339.validate(value) && !value.startsWith('0000') && Number.isFinite(Date.parse(value));
}

function makeAjv(coerceTypes: boolean): Ajv.default {
  const ajv = addFormats.default(
    new Ajv.default({ allErrors: true, coerceTypes, useDefaults: true, removeAdditional: false, strict: false }),
  );
  ajv.addFormat('date-time', { type: 'string', validate: isTimestamp });
  return ajv;
}

/**
 * The one validator of orderflow. Bodies are validated strictly: no type coercion, unknown fields refused, every
 * error reported. Query strings and path parameters arrive as text, so there numbers are coerced. The worker checks
 * a stored payload with the same body validator the API accepted it with, so the two can never disagree.
 */
const strict = makeAjv(false);
const coercing = makeAjv(true);

export function bodyValidator(schema: object): ValidateFunction {
  return strict.compile(schema);
}

/** The strict validator as a type guard for a TypeBox schema: input it accepts has the schema's type, uncast. */
export function schemaGuard<S extends TSchema>(schema: S): ValidateFunction<Static<S>> {
  return strict.compile<Static<S>>(schema);
}

/** Fastify's validator compiler: strict for bodies, coercing for query strings and path parameters. */
export function validatorCompiler({ schema, httpPart }: { schema: object; httpPart?: string }): ValidateFunction {
  return (httpPart === 'body' ? strict : coercing).compile(schema);
}
