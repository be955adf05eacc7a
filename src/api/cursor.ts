import type { Static, TSchema } from '@sinclair/typebox';
import { schemaGuard } from '../validation.js';
import { Problem } from './problem.js';

/**
 * Where a page of a list ended, handed out as an opaque `nextCursor` (base64url JSON) and read back with the
 * schema it was written with: a cursor this API did not issue is a 400 at /query/cursor, never a query.
 */
export function cursorCodec<S extends TSchema>(schema: S) {
  const isCursor = schemaGuard(schema);
  return {
    encode: (position: Static<S>): string => Buffer.from(JSON.stringify(position)).toString('base64url'),
    decode(raw: string): Static<S> {
      try {
        const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
        if (isCursor(parsed)) return parsed;
      } catch {
        // fall through to the problem below
      }
      throw new Problem(400, 'VALIDATION_FAILED', 'Invalid request', 'cursor is not a cursor this API returned', {
        errors: [{ path: '/query/cursor', message: 'is not a cursor this API returned' }],
      });
    },
  };
}
