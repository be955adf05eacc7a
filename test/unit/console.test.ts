import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../../config/config.js';
import { amountInput, formatTime, nextDay, parseAmount, zonedInstant } from '../../src/console/format.js';
import { escapeHtml, html } from '../../src/console/html.js';
import {
  cookieValue,
  csrfToken,
  isCsrfToken,
  keyOfSecret,
  readSession,
  sessionCookie,
  signSession,
  type Session,
} from '../../src/console/session.js';

/** The console's pure parts: amounts typed by operators, times in their zone, sessions, CSRF tokens, escaping. */

describe('parseAmount: major units typed by an operator, as minor units', () => {
  it.each([
    ['19.99', 'USD', 1999],
    ['19.9', 'USD', 1990],
    ['19', 'USD', 1900],
    ['0.01', 'USD', 1],
    [' 007.50 ', 'USD', 750],
    ['0', 'USD', 0],
    ['1999', 'JPY', 1999],
    ['1.999', 'KWD', 1999],
    ['1.5', 'KWD', 1500],
    ['0.1', 'USD', 10],
    ['0.3', 'USD', 30], // 0.1 + 0.2 style float traps cannot happen: no float is involved
    ['9999999999999.99', 'USD', 999_999_999_999_999],
  ])('%s %s → %i', (typed, currency, minor) => {
    expect(parseAmount(typed, currency)).toEqual({ minor });
  });

  it.each([
    ['19.999', 'USD', 'USD has at most 2 decimals.'],
    ['1.5', 'JPY', 'JPY has no decimals.'],
    ['1.0001', 'KWD', 'KWD has at most 3 decimals.'],
    ['99999999999999.99', 'USD', 'That amount is too large.'],
  ])('refuses %s %s: %s', (typed, currency, error) => {
    expect(parseAmount(typed, currency)).toEqual({ error });
  });

  it.each(['', ' ', '-1', '+1', '1e3', '19,99', '1,999.00', '.5', '5.', 'abc', '1 000', '0x10', 'Infinity', 'NaN', '١٢'])(
    'refuses the malformed %j with an example in the currency',
    (typed) => {
      expect(parseAmount(typed, 'USD')).toEqual({ error: 'Type an amount like USD 19.99, with a dot before the decimals.' });
    },
  );

  it('gives an example with the currency’s own decimals', () => {
    expect(parseAmount('x', 'JPY')).toEqual({ error: 'Type an amount like JPY 199,900, with a dot before the decimals.' });
    expect(parseAmount('x', 'KWD')).toEqual({ error: 'Type an amount like KWD 1.999, with a dot before the decimals.' });
  });

  it('prefills what it parses back', () => {
    expect(amountInput(123456789, 'USD')).toBe('1234567.89');
    expect(amountInput(1999, 'JPY')).toBe('1999');
    expect(amountInput(5, 'KWD')).toBe('0.005');
    for (const [minor, currency] of [[123456789, 'USD'], [1999, 'JPY'], [5, 'KWD'], [0, 'USD']] as const) {
      expect(parseAmount(amountInput(minor, currency), currency)).toEqual({ minor });
    }
  });
});

describe('times in the operator’s zone', () => {
  it('formats an instant in the zone, naming it', () => {
    expect(formatTime('2026-11-20T10:00:00Z', 'Europe/Paris')).toBe('20 Nov 2026, 11:00 CET');
    expect(formatTime('2026-07-20T10:00:00Z', 'Europe/Paris')).toBe('20 Jul 2026, 12:00 CEST');
    expect(formatTime('2026-11-20T10:00:00Z', 'UTC')).toBe('20 Nov 2026, 10:00 UTC');
  });

  it('reads a wall-clock time as the instant it names in the zone, on both sides of daylight saving', () => {
    expect(zonedInstant('2026-11-20T10:00', 'Europe/Paris')?.toISOString()).toBe('2026-11-20T09:00:00.000Z');
    expect(zonedInstant('2026-07-20T10:00', 'Europe/Paris')?.toISOString()).toBe('2026-07-20T08:00:00.000Z');
    expect(zonedInstant('2026-03-29T01:30', 'Europe/Paris')?.toISOString()).toBe('2026-03-29T00:30:00.000Z');
    expect(zonedInstant('2026-03-29T03:30', 'Europe/Paris')?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedInstant('2026-11-20T10:00:30', 'America/New_York')?.toISOString()).toBe('2026-11-20T15:00:30.000Z');
    expect(zonedInstant('2026-11-20', 'Asia/Tokyo')?.toISOString()).toBe('2026-11-19T15:00:00.000Z');
  });

  it.each(['2026-02-30T10:00', '2026-11-20T24:00', '2026-11-20T10:60', '20/11/2026', '2026-11-20T10:00Z', ''])('refuses %j', (local) => {
    expect(zonedInstant(local, 'UTC')).toBeNull();
  });

  it('steps to the next calendar day across months and years', () => {
    expect(nextDay('2026-11-20')).toBe('2026-11-21');
    expect(nextDay('2026-02-28')).toBe('2026-03-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
});

describe('console sessions', () => {
  const admin: ApiKey = { name: 'ops', role: 'admin', secret: 'admin-secret-0123456789' };
  const other: ApiKey = { name: 'night', role: 'admin', secret: 'night-secret-0123456789' };
  const shop: ApiKey = { name: 'shop', role: 'storefront', secret: 'shop-secret-0123456789' };
  const keys = [shop, admin, other];
  const now = new Date('2026-11-20T10:00:00Z');
  const session: Session = { keyName: 'ops', expiresAt: now.getTime() / 1000 + 3600, timeZone: 'Europe/Paris' };

  it('reads back the session it signed, with its key', () => {
    expect(readSession(signSession(session, admin), keys, now)).toEqual({ session, key: admin });
  });

  it('never carries the secret', () => {
    const value = signSession(session, admin);
    expect(value).not.toContain(admin.secret);
    expect(Buffer.from(value.split('.')[0]!, 'base64url').toString()).toBe('{"k":"ops","e":1795172400,"z":"Europe/Paris"}');
  });

  it('ends at its expiry', () => {
    const value = signSession(session, admin);
    expect(readSession(value, keys, new Date(session.expiresAt * 1000 - 1))).not.toBeNull();
    expect(readSession(value, keys, new Date(session.expiresAt * 1000))).toBeNull();
  });

  it('refuses a tampered payload or signature', () => {
    const value = signSession(session, admin);
    const [payload, signature] = value.split('.') as [string, string];
    const longer = Buffer.from(JSON.stringify({ k: 'ops', e: session.expiresAt + 86_400, z: 'Europe/Paris' })).toString('base64url');
    expect(readSession(`${longer}.${signature}`, keys, now)).toBeNull();
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
    expect(readSession(`${payload}.${flipped}`, keys, now)).toBeNull();
    for (const broken of ['', '.', payload, `${payload}.`, `.${signature}`, `${value}.x`, 'not base64!.x', `${Buffer.from('[]').toString('base64url')}.x`]) {
      expect(readSession(broken, keys, now), broken).toBeNull();
    }
  });

  it('refuses a session signed with another key under this key’s name', () => {
    const forged = signSession(session, other);
    expect(readSession(forged, keys, now)).toBeNull();
  });

  it('ends when the key is rotated or removed', () => {
    const value = signSession(session, admin);
    expect(readSession(value, [shop, { ...admin, secret: 'rotated-secret-0123456789' }], now)).toBeNull();
    expect(readSession(value, [shop, other], now)).toBeNull();
  });

  it('is never a storefront key’s, even if one signed it', () => {
    const value = signSession({ ...session, keyName: 'shop' }, shop);
    expect(readSession(value, keys, now)).toBeNull();
  });

  it('carries CSRF tokens bound to the session and the key', () => {
    const value = signSession(session, admin);
    const token = csrfToken(value, admin);
    expect(isCsrfToken(token, value, admin)).toBe(true);
    expect(isCsrfToken(token, signSession({ ...session, expiresAt: session.expiresAt + 1 }, admin), admin)).toBe(false);
    expect(isCsrfToken(token, value, { ...admin, secret: 'rotated-secret-0123456789' })).toBe(false);
    expect(isCsrfToken('', value, admin)).toBe(false);
    expect(isCsrfToken(token.slice(1), value, admin)).toBe(false);
    expect(token).not.toBe(value.split('.')[1]);
  });

  it('finds the key of a typed secret, and no key for anything else', () => {
    expect(keyOfSecret('admin-secret-0123456789', keys)).toBe(admin);
    expect(keyOfSecret('shop-secret-0123456789', keys)).toBe(shop);
    expect(keyOfSecret('admin-secret-012345678', keys)).toBeNull();
    expect(keyOfSecret('', keys)).toBeNull();
  });

  it('sets the cookie HttpOnly, SameSite=Strict on /console, Secure behind TLS, and removes it', () => {
    expect(sessionCookie('v.s', false)).toBe('orderflow_console=v.s; Path=/console; HttpOnly; SameSite=Strict; Max-Age=28800');
    expect(sessionCookie('v.s', true)).toBe('orderflow_console=v.s; Path=/console; HttpOnly; SameSite=Strict; Max-Age=28800; Secure');
    expect(sessionCookie(null, false)).toBe('orderflow_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; orderflow_console=v.s; b=2', 'orderflow_console')).toBe('v.s');
    expect(cookieValue('xorderflow_console=v.s', 'orderflow_console')).toBeNull();
    expect(cookieValue(undefined, 'orderflow_console')).toBeNull();
  });
});

describe('html', () => {
  it('escapes every interpolated string, in text and attributes', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    expect(escapeHtml('a & b')).toBe('a &amp; b');
  });

  it('keeps markup built by html, joins lists, and leaves out null, undefined and false', () => {
    const items = ['<a>', 'b'].map((text) => html`<li>${text}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
  });
});
