import { Type } from '@sinclair/typebox';

export const HTML = 'text/html; charset=utf-8';

export const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
export const Id = Type.String({ pattern: `^${UUID}$` });

/** A query string of the parameters that have a value. */
export function queryString(params: Record<string, string | undefined>): string {
  const defined = Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]));
  return new URLSearchParams(defined).toString();
}
