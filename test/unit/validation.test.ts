import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { bodyValidator, isTimestamp } from '../../src/validation.js';

describe('isTimestamp', () => {
  it.each(['2026-11-26T10:00:00Z', '2026-11-26T10:00:00.123+01:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2024-02-29T00:00:00Z'])(
    'accepts %s',
    (value) => expect(isTimestamp(value)).toBe(true),
  );

  it.each([
    ['year 0, which PostgreSQL refuses', '0000-01-01T00:00:00Z'],
    ['a leap second, which Date refuses', '2026-12-31T23:59:60Z'],
    ['a day the month does not have', '2026-02-30T10:00:00Z'],
    ['no zone', '2026-11-26T10:00:00'],
    ['a date alone', '2026-11-26'],
    ['an expanded year', '+275760-09-13T00:00:00Z'],
  ])('refuses %s', (_, value) => expect(isTimestamp(value)).toBe(false));
});

describe('bodyValidator', () => {
  it('counts string lengths in characters, as the API does, so an astral character counts once', () => {
    const check = bodyValidator(Type.Object({ comment: Type.String({ maxLength: 3 }) }));
    expect(check({ comment: '💥💥💥' })).toBe(true);
    expect(check({ comment: '💥💥💥💥' })).toBe(false);
  });

  it('uses the same date-time rule as the API', () => {
    const check = bodyValidator(Type.Object({ at: Type.String({ format: 'date-time' }) }));
    expect(check({ at: '2026-12-31T23:59:59Z' })).toBe(true);
    expect(check({ at: '2026-12-31T23:59:60Z' })).toBe(false);
  });
});
