import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { ApiKey } from '../../config/config.js';
import { schemaGuard } from '../validation.js';

/**
 * Console sessions without server-side state. The cookie carries an admin key's name, an expiry and the operator's
 * time zone, signed with a key derived from that admin key's secret: every API process that has the key accepts
 * it, and removing or rotating the key ends its sessions. The secret itself never leaves the server.
 */
export const SESSION_COOKIE = 'orderflow_console';
export const SESSION_SECONDS = 8 * 60 * 60; // a working shift

export interface Session {
  keyName: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  timeZone: string;
}

const Payload = Type.Object(
  { k: Type.String({ minLength: 1, maxLength: 200 }), e: Type.Integer({ minimum: 0 }), z: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const isPayload = schemaGuard(Payload);

const sessionKey = (secret: string) => createHmac('sha256', secret).update('orderflow console session').digest();
const mac = (secret: string, text: string) => createHmac('sha256', sessionKey(secret)).update(text).digest('base64url');

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie value of a session of `key` (an admin key). */
export function signSession(session: Session, key: ApiKey): string {
  const payload = Buffer.from(JSON.stringify({ k: session.keyName, e: session.expiresAt, z: session.timeZone })).toString('base64url');
  return `${payload}.${mac(key.secret, payload)}`;
}

/** The session a cookie value carries, with its admin key, if the signature holds and it has not expired. */
export function readSession(value: string, keys: readonly ApiKey[], now: Date): { session: Session; key: ApiKey } | null {
  const [payload, signature, ...rest] = value.split('.');
  if (!payload || !signature || rest.length > 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!isPayload(parsed)) return null;
  const key = keys.find((candidate) => candidate.role === 'admin' && candidate.name === parsed.k);
  if (!key || !sameText(signature, mac(key.secret, payload))) return null;
  if (parsed.e * 1000 <= now.getTime()) return null;
  return { session: { keyName: parsed.k, expiresAt: parsed.e, timeZone: parsed.z }, key };
}

/** The CSRF token of a session: every console form carries it, and a POST without it is refused. */
export function csrfToken(cookieValue: string, key: ApiKey): string {
  return mac(key.secret, `csrf.${cookieValue}`);
}

export function isCsrfToken(given: string, cookieValue: string, key: ApiKey): boolean {
  return sameText(given, csrfToken(cookieValue, key));
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

/** The configured key whose secret was typed, compared by digest like the API does, so timing tells nothing. */
export function keyOfSecret(typed: string, keys: readonly ApiKey[]): ApiKey | null {
  const given = digest(typed);
  return keys.find((key) => timingSafeEqual(digest(key.secret), given)) ?? null;
}

/** `Set-Cookie` for the session (or, with null, one that removes it). */
export function sessionCookie(value: string | null, secure: boolean): string {
  const attributes = ['Path=/console', 'HttpOnly', 'SameSite=Strict', `Max-Age=${value === null ? 0 : SESSION_SECONDS}`];
  if (secure) attributes.push('Secure');
  return [`${SESSION_COOKIE}=${value ?? ''}`, ...attributes].join('; ');
}

/** A cookie's value from a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
