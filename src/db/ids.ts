import { randomFillSync } from 'node:crypto';

/** Random bytes drawn 4 KiB at a time: one call into the system's generator per 409 ids, not one per id. */
const pool = Buffer.alloc(4096);
let drawn = pool.length;

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids created later sort later, which
 * keeps primary-key indexes compact under heavy inserts.
 */
export function uuidv7(now = Date.now()): string {
  if (drawn + 10 > pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  pool.copy(bytes, 6, drawn, drawn + 10);
  drawn += 10;
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
