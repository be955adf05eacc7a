import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../src/api/problem.js';
import { actionDefinitions } from '../../src/actions/registry.js';
import { KEYS, startHarness, type Harness } from '../support/harness.js';

/**
 * The OpenAPI document is the contract storefront developers generate clients from (SPEC §4): it passes Redocly's
 * recommended rules, and a client generated from it with openapi-typescript runs a checkout with openapi-fetch,
 * type-checked without casts.
 */
const run = promisify(execFile);
const LINTED = 'test-artifacts/openapi.json';

type Operation = {
  operationId?: string;
  requestBody?: { required: boolean };
  parameters?: { in: string; name: string; required: boolean }[];
  responses: Record<string, { description: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
};

let h: Harness;
let document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Record<string, unknown>> } };

beforeAll(async () => {
  h = await startHarness();
  document = (await h.get('/docs/json', { key: null })).json();
});
afterAll(() => h?.close());

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));

describe('the OpenAPI document', () => {
  it('passes Redocly lint with the recommended rules: no error, no warning (.redocly.lint-ignore.yaml says what is left out and why)', async () => {
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync(LINTED, JSON.stringify(document, null, 2));
    const linted = await run('node_modules/.bin/redocly', ['lint', LINTED, '--format=json'], { maxBuffer: 16 << 20 }).catch(
      (failure: { stdout: string }) => failure,
    );
    const report = JSON.parse(linted.stdout.slice(linted.stdout.indexOf('{')));
    expect(report.problems.map((p: { ruleId: string; message: string }) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 2 });
  }, 60_000);

  it('names every operation and answers each problem as application/problem+json with the code as an enum of every code', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, operation } of operations()) {
      for (const [status, answer] of Object.entries(operation.responses)) {
        expect(answer.description, `${method} ${path} ${status}`).not.toBe('Default Response');
        // Readiness answers 503 with its own report of what is down, not a problem.
        if (Number(status) >= 400 && path !== '/health/ready') expect(Object.keys(answer.content ?? {}), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
      }
      expect(Object.keys(operation.responses).some((status) => status.startsWith('2')), `${method} ${path}`).toBe(true);
    }
    const code = (document.components.schemas.Problem!.properties as Record<string, { anyOf?: { enum: string[] }[]; enum?: string[] }>).code!;
    const enumerated = code.enum ?? code.anyOf!.flatMap((option) => option.enum);
    expect([...enumerated].sort()).toEqual([...PROBLEM_CODES].sort());
    expect(enumerated).toContain('OUT_OF_STOCK');
    expect(enumerated).toContain('IDEMPOTENCY_KEY_REQUIRED');
  });

  it('lists only the problems each route can answer, and the headers a write sends and needs', () => {
    const statuses = (path: string, method: string) => Object.keys(document.paths[path]![method]!.responses);
    expect(statuses('/v1/orders', 'post')).toEqual(['201', '202', '400', '401', '409', '413', '415', '422', '429', '503']);
    expect(statuses('/v1/orders/{id}', 'get')).toEqual(['200', '400', '401', '404', '429', '503']);
    expect(statuses('/v1/inventory/sources', 'get')).toEqual(['200', '401', '403', '429', '503']);
    expect(statuses('/v1/inventory/items/{sku}', 'put')).toEqual(['200', '400', '401', '403', '404', '413', '415', '422', '429', '503']);
    expect(statuses('/v1/webhooks/{id}', 'delete')).toEqual(['204', '400', '401', '403', '404', '429', '503']);
    expect(statuses('/metrics', 'get')).toEqual(['200', '401', '403', '429', '503']);
    expect(statuses('/health/ready', 'get')).toEqual(['200', '503']);

    const place = document.paths['/v1/orders']!.post!;
    expect(place.parameters?.find((p) => p.name === 'idempotency-key')).toMatchObject({ in: 'header', required: true });
    expect(document.paths['/v1/orders/{id}/invoices']!.post!.parameters?.find((p) => p.name === 'idempotency-key')).toMatchObject({ required: false });
    expect(Object.keys(place.responses['201']!.headers ?? {})).toEqual(['location', 'preference-applied']);
    expect(Object.keys(place.responses['429']!.headers ?? {})).toEqual(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(Object.keys(place.responses['503']!.headers ?? {})).toEqual(['retry-after']);
    // The server accepts these without a body; placing needs one.
    for (const path of ['/v1/orders/{id}/invoices', '/v1/shipments/{id}/delivery', '/v1/orders/{id}/cancel']) {
      expect(document.paths[path]!.post!.requestBody?.required, path).toBe(false);
    }
    expect(place.requestBody?.required).toBe(true);
  });

  it('names the resources and one typed action per action type, with a defaulted field not required', () => {
    const schemas = document.components.schemas;
    for (const name of ['Order', 'OrderSummary', 'Invoice', 'Shipment', 'Refund', 'Return', 'HistoryEvent', 'Action', 'Problem', 'Stock', 'Source']) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(Object.keys(schemas).filter((name) => /Action$/.test(name) && name !== 'Action' && name !== 'UnfinishedAction').length).toBe(actionDefinitions.length);
    expect(schemas.InvoiceCreateAction!.properties).toMatchObject({
      type: { enum: ['invoice.create'] },
      result: { properties: { invoiceId: { type: 'string' } }, nullable: true },
    });
    const body = schemas.PlaceOrderBody!;
    expect(body.required).not.toContain('channel');
    const line = (body.properties as Record<string, { items: { required: string[] } }>).items!.items;
    expect(line.required).not.toContain('taxAmount');
    expect(line.required).toContain('sku');
  });
});

describe('a client generated from it', () => {
  it('type-checks a checkout written against openapi-typescript types, and runs it with openapi-fetch', async () => {
    const types = astToString(await openapiTS(JSON.stringify(document)));
    mkdirSync('test/client/generated', { recursive: true });
    writeFileSync('test/client/generated/orderflow.ts', types);
    const script = readFileSync('test/client/checkout.ts', 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(script).not.toMatch(/\bas\s+(?!const\b)[A-Za-z{[]|@ts-|<any>/); // no casts, no suppressed errors
    const checked = await run('node_modules/.bin/tsc', ['-p', 'test/client/tsconfig.json']).catch((failure: { stdout: string }) => failure);
    expect(checked.stdout).toBe('');

    expect((await h.put('/v1/inventory/sources/main', { name: 'Main' })).statusCode).toBe(201);
    expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 10 } })).statusCode).toBe(200);
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const ran = await run(process.execPath, ['--import', 'tsx', 'test/client/checkout.ts'], {
      env: { ...process.env, ORDERFLOW_URL: base, STOREFRONT_KEY: KEYS.storefront, ADMIN_KEY: KEYS.admin },
    });
    const seen = JSON.parse(ran.stdout);
    expect(seen).toEqual({
      orderNumber: '100000001',
      placedStatus: 201,
      invoiceLocation: expect.stringMatching(/^\/v1\/invoices\/[0-9a-f-]{36}$/),
      refund: { number: 'RFD-000001', grandTotal: 2199, items: 1 },
      refused: { status: 422, code: 'REFUND_LIMIT_EXCEEDED' },
      status: 'completed',
      totals: { paid: 5997, refunded: 2199 },
    });
  }, 120_000);
});
