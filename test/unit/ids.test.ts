import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/db/ids.js';

describe('uuidv7', () => {
  it('carries the milliseconds in its first 48 bits, version 7 and the RFC 9562 variant', () => {
    const id = uuidv7(Date.UTC(2026, 11, 2, 8, 0, 0, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 2, 8, 0, 0, 123));
  });

  it('never repeats across many draws of the random pool, and sorts by time', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_800_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(5000);
    const times = ids.map((id) => id.slice(0, 13));
    expect([...times].sort()).toEqual(times);
    // The 74 random bits differ between ids of the same millisecond.
    expect(new Set(ids.slice(0, 100).map((id) => id.slice(14))).size).toBe(100);
  });
});
