import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startHarness, type Harness } from '../support/harness.js';

/** The console over HTTP, below the browser: its answers are pages, its sign-in is rate limited, its headers strict. */
const LIMIT = 5;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ workers: false, env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(() => h?.close());

const signIn = (apiKey: string, remoteAddress: string) =>
  h.app.inject({ method: 'POST', url: '/console/login', remoteAddress, payload: new URLSearchParams({ apiKey, timeZone: 'Europe/Paris' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

function isPage(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toMatch(/^<!doctype html>/);
}

describe('console over HTTP', () => {
  it('signs in an admin key with a signed session cookie and sends it to the orders', async () => {
    const res = await signIn(KEYS.admin, '198.51.100.1');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/orders');
    expect(res.headers['set-cookie']).toMatch(/^orderflow_console=[\w-]+\.[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const orders = await h.app.inject({ method: 'GET', url: '/console/orders', headers: { cookie }, remoteAddress: '198.51.100.1' });
    isPage(orders, 200);
    expect(orders.body).toContain('Signed in as <strong>ops</strong> · times in Europe/Paris');
  });

  it('answers an unknown console page with a page, not problem+json', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/console/nowhere', remoteAddress: '198.51.100.2' });
    isPage(res, 404);
    expect(res.body).toContain('The console has no page /console/nowhere.');
  });

  it('counts sign-ins against the rate limit of the address, and answers the excess with a page', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await signIn(`guess-${i}-0123456789abcdef`, '198.51.100.3')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await signIn(KEYS.admin, '198.51.100.3'); // even the right key, from this address, this minute
    isPage(limited, 429);
    expect(limited.body).toContain('RATE_LIMITED');
    expect(limited.headers['set-cookie']).toBeUndefined();
    expect((await signIn(KEYS.admin, '198.51.100.4')).statusCode).toBe(303);
  });

  it('serves its stylesheet and script itself, cacheable, and nothing else from /console/assets', async () => {
    for (const [name, type] of [['console.css', 'text/css; charset=utf-8'], ['console.js', 'text/javascript; charset=utf-8']]) {
      const res = await h.app.inject({ method: 'GET', url: `/console/assets/${name}`, remoteAddress: '198.51.100.5' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.body).not.toMatch(/https?:\/\//);
    }
    isPage(await h.app.inject({ method: 'GET', url: '/console/assets/..%2F..%2Fconfig.ts', remoteAddress: '198.51.100.5' }), 404);
  });
});
