import { FormatRegistry, Type } from '@sinclair/typebox';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
// The worker re-checks stored payloads with TypeBox, which knows no formats until told (the API uses ajv-formats).
FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));

/**
 * Building blocks of request schemas. Bounds keep every amount a safe integer: 500 lines of 10,000 units at
 * 10^9 minor units stay below 2^53.
 */
export const MAX_QTY = 10_000;
export const MAX_UNIT_PRICE = 1_000_000_000;
export const MAX_AMOUNT = 1_000_000_000_000;

export const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', ...(description ? { description } : {}) });

export const Money = (description: string, options: { maximum?: number; default?: number } = {}) =>
  Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, ...options, description: `${description} (integer, minor units)` });

export const Quantity = (description = 'units') => Type.Integer({ minimum: 1, maximum: MAX_QTY, description });

export const Strict = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

export const Uuid = (description: string) =>
  Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description });

export const Reason = Type.Optional(Text(1000, 'why, recorded in the history'));


export const SourceCode = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,49}$', description: 'inventory source code, e.g. main' });

export const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S+$', description: 'stock keeping unit' });

/** Units per line of a document (invoice, shipment). */
export const DocumentItems = (description: string) =>
  Type.Array(
    Strict({
      itemId: Uuid('an item (line) id of this order'),
      qty: Type.Integer({ minimum: 0, maximum: MAX_QTY, description: 'units; 0 leaves the line out' }),
    }),
    { minItems: 1, maxItems: 500, description },
  );
