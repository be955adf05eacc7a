import { describe, expect, it } from 'vitest';
import { bodyProblems } from '../../src/api/plugins/errors.js';

describe('bodyProblems', () => {
  it('accepts ordinary text, unicode and emoji', () => {
    expect(bodyProblems({ name: 'Zoë 💥 日本', items: [{ sku: 'A-1' }] })).toEqual([]);
  });

  it('names every string PostgreSQL cannot store: NUL and unpaired surrogates, in values and keys', () => {
    expect(bodyProblems({ a: 'x\u0000y', b: ['ok', '\ud800'], 'k\u0000': 1, 'c/d': { e: '\udfff' } })).toEqual(
      expect.arrayContaining([
        { path: '/a', message: 'contains a NUL character or an unpaired surrogate' },
        { path: '/b/1', message: 'contains a NUL character or an unpaired surrogate' },
        { path: '/k\u0000', message: 'contains a NUL character or an unpaired surrogate' },
        { path: '/c~1d/e', message: 'contains a NUL character or an unpaired surrogate' },
      ]),
    );
    expect(bodyProblems({ a: 'x\u0000y', b: ['ok', '\ud800'], 'k\u0000': 1, 'c/d': { e: '\udfff' } })).toHaveLength(4);
  });

  it('refuses nesting deeper than 32 levels without exhausting the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(bodyProblems(deep)).toEqual([{ path: `/${Array(32).fill('0').join('/')}`, message: 'is nested deeper than 32 levels' }]);
    let fine: unknown = 'leaf';
    for (let i = 0; i < 31; i++) fine = { a: fine };
    expect(bodyProblems(fine)).toEqual([]);
  });
});
