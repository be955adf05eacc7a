import { describe, expect, it } from 'vitest';
import { assertSafeAmount, isKnownCurrency, minorUnits, prorate } from '../../src/domain/money.js';
import { intBetween, seededRandom } from '../support/domain.js';

/** SPEC §2 written out with BigInt: floor(A*(u+q)/Q) - floor(A*u/Q). */
function exactShare(amount: number, totalUnits: number, coveredBefore: number, units: number): number {
  const a = BigInt(amount);
  const q = BigInt(totalUnits);
  return Number((a * BigInt(coveredBefore + units)) / q - (a * BigInt(coveredBefore)) / q);
}

/** Splits `total` units into `parts` document quantities (some may be 0), in random order. */
function randomSplit(random: () => number, total: number, parts: number): number[] {
  const cuts = Array.from({ length: parts - 1 }, () => intBetween(random, 0, total)).sort((a, b) => a - b);
  const bounds = [0, ...cuts, total];
  return bounds.slice(1).map((bound, i) => bound - bounds[i]!);
}

/** The shares of `amount` for documents covering `split` units one after the other. */
function sharesOf(amount: number, totalUnits: number, split: readonly number[]): number[] {
  let covered = 0;
  return split.map((units) => {
    const share = prorate(amount, totalUnits, covered, units);
    covered += units;
    return share;
  });
}

describe('prorate', () => {
  it('gives a document covering every unit the whole amount', () => {
    expect(prorate(400, 2, 0, 2)).toBe(400);
    expect(prorate(999, 7, 0, 7)).toBe(999);
  });

  it('splits an even amount into equal shares', () => {
    expect(prorate(400, 2, 0, 1)).toBe(200);
    expect(prorate(400, 2, 1, 1)).toBe(200);
  });

  it('gives the rounding remainder to the document that crosses the unit boundary, never losing a minor unit', () => {
    // 100 over 3 units: floor(100/3)=33, floor(200/3)-33=33, 100-66=34
    expect(prorate(100, 3, 0, 1)).toBe(33);
    expect(prorate(100, 3, 1, 1)).toBe(33);
    expect(prorate(100, 3, 2, 1)).toBe(34);
    expect(prorate(100, 3, 0, 2)).toBe(66);
    expect(prorate(100, 3, 2, 1) + prorate(100, 3, 0, 2)).toBe(100);
  });

  it('gives a tiny amount to the later documents, as the formula says', () => {
    // 1 over 3 units: floor(1/3)=0, floor(2/3)-0=0, 1-0=1
    expect(prorate(1, 3, 0, 1)).toBe(0);
    expect(prorate(1, 3, 1, 1)).toBe(0);
    expect(prorate(1, 3, 2, 1)).toBe(1);
    // 2 over 3 units: 0, 1, 1
    expect(prorate(2, 3, 0, 1)).toBe(0);
    expect(prorate(2, 3, 1, 1)).toBe(1);
    expect(prorate(2, 3, 2, 1)).toBe(1);
  });

  it('gives 0 to a document covering no units', () => {
    expect(prorate(400, 2, 0, 0)).toBe(0);
    expect(prorate(400, 2, 1, 0)).toBe(0);
    expect(prorate(100, 3, 2, 0)).toBe(0);
  });

  it('gives 0 when the amount is 0', () => {
    expect(prorate(0, 5, 0, 5)).toBe(0);
    expect(prorate(0, 5, 2, 1)).toBe(0);
  });

  it('gives 0 when the line covers no units at all', () => {
    expect(prorate(400, 0, 0, 0)).toBe(0);
    expect(prorate(400, 0, 0, 1)).toBe(0);
  });

  it('is exact near 10^12 over 10,000 units, where float arithmetic is off by one', () => {
    const amount = 999_999_990_001;
    // A*9999 = 9_998_999_900_019_999 exceeds 2^53: as a double it rounds up to …020_000, one unit too many.
    expect(Math.floor((amount * 9999) / 10_000)).toBe(999_899_990_002);
    expect(prorate(amount, 10_000, 0, 9999)).toBe(999_899_990_001);
    expect(prorate(amount, 10_000, 9999, 1)).toBe(100_000_000);
    expect(prorate(amount, 10_000, 0, 9999) + prorate(amount, 10_000, 9999, 1)).toBe(amount);
    expect(prorate(amount, 10_000, 0, 10_000)).toBe(amount);
  });

  it('is exact for a second amount where float arithmetic fails', () => {
    const amount = 999_999_996_667;
    expect(Math.floor((amount * 9997) / 10_000)).toBe(999_699_996_668);
    expect(prorate(amount, 10_000, 0, 9997)).toBe(999_699_996_667);
    expect(prorate(amount, 10_000, 9997, 3)).toBe(300_000_000);
  });

  it('handles the largest safe amount over many units without losing precision', () => {
    const amount = Number.MAX_SAFE_INTEGER;
    const first = prorate(amount, 10_000, 0, 3333);
    const second = prorate(amount, 10_000, 3333, 3333);
    const third = prorate(amount, 10_000, 6666, 3334);
    expect(first).toBe(exactShare(amount, 10_000, 0, 3333));
    expect(first).toBe(3_002_099_511_605_172);
    expect(first + second + third).toBe(amount);
  });

  describe('over many random splits (seeded)', () => {
    const cases = (() => {
      const random = seededRandom(0x5eed_2026);
      return Array.from({ length: 600 }, (_, i) => {
        // a third of the cases use amounts near 10^12 over 10,000 units, the rest anything
        const big = i % 3 === 0;
        const amount = big ? intBetween(random, 999_000_000_000, 1_000_000_000_000) : intBetween(random, 0, 5_000_000);
        const totalUnits = big ? 10_000 : intBetween(random, 1, 500);
        const parts = intBetween(random, 1, Math.min(12, totalUnits + 1));
        return { amount, totalUnits, split: randomSplit(random, totalUnits, parts) };
      });
    })();

    it('the shares always sum to exactly the amount', () => {
      for (const { amount, totalUnits, split } of cases) {
        const shares = sharesOf(amount, totalUnits, split);
        expect(shares.reduce((a, b) => a + b, 0), JSON.stringify({ amount, totalUnits, split })).toBe(amount);
      }
    });

    it('every share is a non-negative safe integer', () => {
      for (const { amount, totalUnits, split } of cases) {
        for (const share of sharesOf(amount, totalUnits, split)) {
          expect(Number.isSafeInteger(share) && share >= 0, JSON.stringify({ amount, totalUnits, split, share })).toBe(
            true,
          );
        }
      }
    });

    it('every share equals floor(A*(u+q)/Q) - floor(A*u/Q) computed exactly', () => {
      for (const { amount, totalUnits, split } of cases) {
        let covered = 0;
        for (const units of split) {
          expect(prorate(amount, totalUnits, covered, units), JSON.stringify({ amount, totalUnits, covered, units })).toBe(
            exactShare(amount, totalUnits, covered, units),
          );
          covered += units;
        }
      }
    });

    it('every share is within one minor unit of the exact fraction A*q/Q', () => {
      for (const { amount, totalUnits, split } of cases) {
        let covered = 0;
        for (const units of split) {
          const share = BigInt(prorate(amount, totalUnits, covered, units));
          const scaled = BigInt(amount) * BigInt(units); // share*Q must lie strictly within (A*q - Q, A*q + Q)
          const q = BigInt(totalUnits);
          expect(share * q > scaled - q && share * q < scaled + q, JSON.stringify({ amount, totalUnits, covered, units })).toBe(
            true,
          );
          covered += units;
        }
      }
    });

    it('one-unit shares differ by at most one minor unit: the split is as even as it can be', () => {
      for (const { amount, totalUnits } of cases.slice(0, 60)) {
        const perUnit = sharesOf(amount, totalUnits, Array.from({ length: totalUnits }, () => 1));
        expect(Math.max(...perUnit) - Math.min(...perUnit), JSON.stringify({ amount, totalUnits })).toBeLessThanOrEqual(
          amount === 0 ? 0 : 1,
        );
        expect(perUnit.reduce((a, b) => a + b, 0)).toBe(amount);
      }
    });

    it('the random cases reach products A*(u+q) above 2^53, where a double can no longer hold them exactly', () => {
      // guards the test itself: the big cases really exercise the region where float proration goes wrong
      const beyondDouble = cases.filter(({ amount, split }) => {
        const lastButOne = split.slice(0, -1).reduce((a, b) => a + b, 0);
        return BigInt(amount) * BigInt(lastButOne) > BigInt(Number.MAX_SAFE_INTEGER);
      });
      expect(beyondDouble.length).toBeGreaterThan(50);
    });

    it('matches the exact formula for every amount in a band near 10^12 where some naive results are off by one', () => {
      let naiveWrong = 0;
      for (let amount = 999_999_990_000; amount <= 1_000_000_000_000; amount += 1) {
        const share = prorate(amount, 10_000, 0, 9999);
        expect(share).toBe(exactShare(amount, 10_000, 0, 9999));
        expect(share + prorate(amount, 10_000, 9999, 1)).toBe(amount);
        if (Math.floor((amount * 9999) / 10_000) !== share) naiveWrong += 1;
      }
      expect(naiveWrong).toBeGreaterThan(0);
    });
  });
});

describe('minorUnits', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['ISK', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['TND', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])('%s has %i decimal places', (currency, places) => {
    expect(minorUnits(currency)).toBe(places);
  });

  it('defaults to 2 decimal places for a currency not listed as different', () => {
    expect(minorUnits('CHF')).toBe(2);
    expect(minorUnits('SEK')).toBe(2);
  });
});

describe('isKnownCurrency', () => {
  it.each(['USD', 'EUR', 'JPY', 'KWD', 'GBP', 'CHF'])('accepts the ISO 4217 code %s', (code) => {
    expect(isKnownCurrency(code)).toBe(true);
  });

  it.each(['ABC', 'usd', 'Usd', 'US', 'USDD', '', ' USD', '123'])('rejects %j', (code) => {
    expect(isKnownCurrency(code)).toBe(false);
  });

  it.each(['CLF', 'UYW', 'UYI'])(
    'accepts %s, an ISO 4217 code whose minor unit minorUnits knows, so such an order can be placed',
    (code) => {
      expect(isKnownCurrency(code)).toBe(true);
    },
  );
});

describe('assertSafeAmount', () => {
  it.each([0, 1, -1, 5997, 1_000_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])(
    'returns the safe integer %d unchanged',
    (value) => {
      expect(assertSafeAmount(value, 'amount')).toBe(value);
    },
  );

  it.each([
    [0.5, 'tax is not a safe integer: 0.5'],
    [19.99, 'tax is not a safe integer: 19.99'],
    [Number.MAX_SAFE_INTEGER + 1, 'tax is not a safe integer: 9007199254740992'],
    [-(2 ** 53), 'tax is not a safe integer: -9007199254740992'],
    [Number.NaN, 'tax is not a safe integer: NaN'],
    [Number.POSITIVE_INFINITY, 'tax is not a safe integer: Infinity'],
  ])('rejects %d with a RangeError naming what it checked', (value, message) => {
    expect(() => assertSafeAmount(value, 'tax')).toThrow(RangeError);
    expect(() => assertSafeAmount(value, 'tax')).toThrow(new RangeError(message));
  });
});
