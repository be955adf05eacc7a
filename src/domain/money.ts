/**
 * Money is an integer count of the currency's minor unit (cents for USD, yen for JPY, fils for KWD).
 * No floating point touches it.
 */

/** ISO 4217 currencies whose minor unit is not 1/100. */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0,
  VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** What ICU knows, plus the ISO 4217 funds codes (CLF, UYI, UYW) it leaves out. */
const KNOWN_CURRENCIES = new Set([...Intl.supportedValuesOf('currency'), ...Object.keys(MINOR_UNITS)]);

export function isKnownCurrency(code: string): boolean {
  return KNOWN_CURRENCIES.has(code);
}

/** Number of decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3). */
export function minorUnits(currency: string): number {
  return MINOR_UNITS[currency] ?? 2;
}

/** Guards the one assumption that makes `number` safe for money: every amount stays a safe integer. */
export function assertSafeAmount(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} is not a safe integer: ${value}`);
  return value;
}

/**
 * The share of an amount `amount` spread over `totalUnits`, for a document covering `units` more units after
 * `coveredBefore` were already covered: floor(A*(u+q)/Q) - floor(A*u/Q). The shares of any split sum to `amount`.
 */
export function prorate(amount: number, totalUnits: number, coveredBefore: number, units: number): number {
  if (totalUnits <= 0) return 0;
  const a = BigInt(amount);
  const q = BigInt(totalUnits);
  return Number((a * BigInt(coveredBefore + units)) / q - (a * BigInt(coveredBefore)) / q);
}

/**
 * An amount for people: the currency code and the amount in major units with the currency's decimals, from
 * integer arithmetic only. 1999 USD → "USD 19.99", 1999 JPY → "JPY 1,999", 1999 KWD → "KWD 1.999".
 */
export function formatMoney(amount: number, currency: string): string {
  const digits = minorUnits(currency);
  const sign = amount < 0 ? '-' : '';
  const text = String(Math.abs(amount)).padStart(digits + 1, '0');
  const major = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const minor = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${currency} ${sign}${major}${minor}`;
}
