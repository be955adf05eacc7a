import { Type } from '@sinclair/typebox';

/** Field schemas every response shape uses (SPEC §4.1). */

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
export const Timestamp = Type.String({ format: 'date-time' });
export const Amount = Type.Integer({ description: 'minor units' });
