import { formatMoney, minorUnits } from '../domain/money.js';

/** Amounts and times for people: amounts in the order's currency, times in the operator's time zone. */

/** 1999 USD → "USD 19.99": the API's minor units are for machines. */
export const money = formatMoney;

/** The largest amount an operator types: 15 digits stay a safe integer in any currency. */
const MAX_DIGITS = 15;

export type ParsedAmount = { minor: number } | { error: string };

/**
 * An amount typed in major units ("19.99") as an integer of minor units (1999), by string arithmetic: no floating
 * point touches it. The currency's decimals bound the fraction (USD 2, JPY 0, KWD 3); anything else is refused.
 */
export function parseAmount(typed: string, currency: string): ParsedAmount {
  const digits = minorUnits(currency);
  const example = formatMoney(1999 * 10 ** Math.max(0, 2 - digits), currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(typed.trim());
  if (!match) return { error: `Type an amount like ${example}, with a dot before the decimals.` };
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > digits) {
    return { error: digits === 0 ? `${currency} has no decimals.` : `${currency} has at most ${digits} decimals.` };
  }
  const text = (whole + fraction.padEnd(digits, '0')).replace(/^0+(?=\d)/, '');
  if (text.length > MAX_DIGITS) return { error: 'That amount is too large.' };
  return { minor: Number(text) };
}

/** An amount in minor units as an operator would type it: 1999 USD → "19.99". */
export function amountInput(minor: number, currency: string): string {
  return formatMoney(minor, currency).slice(currency.length + 1).replace(/,/g, '');
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** "20 Nov 2026, 11:00 CET" */
export function formatTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

/** How far the zone's wall clock is ahead of UTC at `instant`, in milliseconds. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant a wall-clock time ("2026-11-20T10:00", as a datetime-local field sends it) names in `timeZone`;
 * null for anything else. The offset is looked up twice, so a time next to a daylight-saving change lands right.
 */
export function zonedInstant(local: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local);
  if (!m) return null;
  const field = (i: number) => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [field(1), field(2), field(3), field(4), field(5), field(6)];
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const first = wall - zoneOffset(wall, timeZone);
  return new Date(wall - zoneOffset(first, timeZone));
}

/** The day after a calendar day, both as "YYYY-MM-DD". */
export function nextDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, (day ?? 1) + 1)).toISOString().slice(0, 10);
}
