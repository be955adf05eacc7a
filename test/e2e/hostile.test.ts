import { createConnection, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETURN_REASONS } from '../../src/domain/returns.js';
import { orderBody } from '../support/fixtures.js';
import { KEYS, newKey, startHarness, type Harness } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { eventually } from '../support/wait.js';
import { seededRandom } from '../support/domain.js';
import { rawAnswers } from '../support/http.js';
import { pooled } from '../support/pool.js';
import { RECEIVER_ON_LOOPBACK } from '../support/receiver.js';

/**
 * Generated hostile input (SPEC §4: "never a 500 for bad input"): malformed and malicious requests against every
 * write route (their body schemas read from the app's own OpenAPI document, so a new field or route is covered at
 * once), hostile query strings and path parameters on the reads, hostile headers, content types, sizes, depths,
 * duplicate and prototype-polluting keys, items of other orders, and a share of raw HTTP/1.1 sent over a socket.
 * Workers run, so what is accepted is applied or rejected; at the end nothing may have been written that no
 * accepted request asked for, no action may have failed, and the server still answers.
 *
 * CI runs 3000 requests; `RESILIENCE=full` (or HOSTILE_REQUESTS=n) runs more. A failure names the request number:
 * replay with the same HOSTILE_SEED and at least that many HOSTILE_REQUESTS.
 */
const total = Number(process.env.HOSTILE_REQUESTS ?? (process.env.RESILIENCE === 'full' ? 10_000 : 3000));
const seed = Number(process.env.HOSTILE_SEED ?? 20261126);
// API and workers share one process: one request at a time keeps the workers up with the intake (more only slows both).
const concurrency = Number(process.env.HOSTILE_CONCURRENCY ?? 1);
const BODY_LIMIT = 65_536;

// ---------------------------------------------------------------------------------------------------------------
// Deterministic randomness

/** Seeded (mulberry32), so a failure can be replayed. */
class Rand {
  readonly next: () => number;
  constructor(seedValue: number) {
    this.next = seededRandom(seedValue);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  /** A well-formed UUID that names nothing. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON bodies with raw number literals (1e400, 2^53+1) that JSON.stringify cannot write

const RAW_MARK = '\u0001raw:';
const raw = (literal: string) => `${RAW_MARK}${literal}\u0001`;
const serialize = (value: unknown) => JSON.stringify(value).replace(/"\\u0001raw:(.*?)\\u0001"/g, '$1');

type Path = (string | number)[];
type Body = Record<string, unknown>;

function setAt(body: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(body) ? [...(body as unknown[])] : { ...(body && typeof body === 'object' ? body : {}) }) as Record<
    string | number,
    unknown
  >;
  copy[head!] = setAt(copy[head!], rest, value);
  return copy;
}

function deleteAt(body: unknown, path: Path): unknown {
  if (path.length === 1 && body && typeof body === 'object') {
    const copy = { ...(body as Record<string, unknown>) };
    delete copy[String(path[0])];
    return copy;
  }
  const [head, ...rest] = path;
  const current = (body as Record<string | number, unknown>)[head!];
  return setAt(body, [head!], deleteAt(current, rest));
}

// ---------------------------------------------------------------------------------------------------------------
// Schema-driven values: what a field must refuse, and valid values that are easy to get wrong

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  default?: unknown;
}

interface Field {
  path: Path;
  schema: JsonSchema;
}

/** Every field of a body schema; array items at index 0, record values under the key `main`. */
function fieldsOf(schema: JsonSchema, path: Path = []): Field[] {
  const out: Field[] = path.length > 0 ? [{ path, schema }] : [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) out.push(...fieldsOf(child, [...path, key]));
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.push(...fieldsOf(schema.additionalProperties, [...path, 'main']));
  }
  if (schema.items) out.push(...fieldsOf(schema.items, [...path, 0]));
  return out;
}

const enumOf = (schema: JsonSchema): unknown[] | null =>
  schema.enum ?? (schema.anyOf ? schema.anyOf.flatMap((option) => option.enum ?? []) : null);

const codePoints = (value: string) => [...value].length;
const unstorable = (value: string) => /\u0000|\p{Surrogate}/u.test(value);

/** Whether a string is certainly invalid for the field: checked as the API's validator would, in code points. */
function stringRefused(schema: JsonSchema, value: string): boolean {
  const values = enumOf(schema);
  if (values && !values.includes(value)) return true;
  if (unstorable(value)) return true;
  if (schema.maxLength !== undefined && codePoints(value) > schema.maxLength) return true;
  if (schema.minLength !== undefined && codePoints(value) < schema.minLength) return true;
  return schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value);
}

const STRING_PROBES = [
  '', ' ', '\t\n', 'a b', 'UPPER', '-lead', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g', 'ada@', '@x.y',
  'gb', 'GBR', 'usd', 'US1', '💥', 'ＦＵＬＬ', "'; drop table orders; --", '<script>alert(1)</script>',
  '../../etc/passwd', '${jndi:ldap://x/a}', '{{7*7}}', '%00', '\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '\u202Eevil',
];
const BAD_DATES = ['yesterday', '2026-13-01T00:00:00Z', '2026-02-30T10:00:00Z', '2026-01-01', '2026-01-01T25:00:00Z', '1e9', 'T'];
const BAD_URIS = ['javascript:alert(1)', 'ftp://127.0.0.1/x', '//127.0.0.1/x', 'http//x', 'file:///etc/passwd'];
const WRONG_TYPE: Record<string, unknown[]> = {
  integer: ['1', 'one', true, null, [], {}, [1]],
  string: [1, 0, -1, true, null, [], {}, ['x']],
  boolean: ['true', 'false', 1, 0, null, [], {}],
  array: ['[]', 1, {}, null, true],
  object: ['{}', [], 1, null, 'x', true],
};

/** Values a field must refuse (400): wrong types, out-of-range, fractional and unsafe numbers, bad strings. */
function refusedValues(field: Field, example: unknown): unknown[] {
  const { schema } = field;
  const values = enumOf(schema);
  if (values) return [...WRONG_TYPE.string!, ...values.flatMap((v) => [String(v).toUpperCase(), ` ${String(v)}`, `${String(v)}\u0000`]), ''].filter((v) => !values.includes(v));
  switch (schema.type) {
    case 'integer': {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? 2 ** 53;
      return [
        ...WRONG_TYPE.integer!,
        min - 1, -1, -0.0001, min + 0.5, 1.5, 2.000001, -1e308, 1e308, Number.MAX_VALUE, 1e21, max + 1,
        2 ** 53, -(2 ** 53), raw('9007199254740993'), raw('18446744073709551617'), raw('1e400'), raw('-1e400'),
        raw(`1${'0'.repeat(400)}`), raw('1E+400'), raw('0.30000000000000004'), String(min + 1),
      ];
    }
    case 'string': {
      const out: unknown[] = [...WRONG_TYPE.string!, ...STRING_PROBES.filter((probe) => stringRefused(schema, probe))];
      if (schema.maxLength !== undefined) out.push('x'.repeat(schema.maxLength + 1), 'é'.repeat(schema.maxLength + 1));
      if (schema.format === 'date-time') out.push(...BAD_DATES);
      if (schema.format === 'uri') out.push(...BAD_URIS);
      return out;
    }
    case 'boolean':
      return WRONG_TYPE.boolean!;
    case 'array': {
      const out: unknown[] = [...WRONG_TYPE.array!];
      const element = Array.isArray(example) ? example[0] : undefined;
      if (schema.maxItems !== undefined) out.push(Array.from({ length: schema.maxItems + 1 }, () => element));
      if ((schema.minItems ?? 0) > 0) out.push([]);
      if (schema.uniqueItems && element !== undefined) out.push([element, element]);
      return out;
    }
    case 'object':
      return WRONG_TYPE.object!;
    default:
      return [];
  }
}

/** Valid values that are easy to mishandle: bounds, -0, 1e1, astral characters up to the limit, leap seconds. */
function edgeValues(field: Field): unknown[] {
  const { schema } = field;
  const values = enumOf(schema);
  if (values) return values;
  switch (schema.type) {
    case 'integer': {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? 2 ** 53 - 1;
      return [min, max, raw('1.0'), raw('1e1'), raw('1E1'), raw('10.000'), raw('-0'), raw('0e0')].filter((v) => {
        const n = typeof v === 'number' ? v : Number(String(v).slice(RAW_MARK.length, -1));
        return n >= min && n <= max;
      });
    }
    case 'string': {
      if (schema.format === 'date-time') {
        return [
          '2026-12-31T23:59:60Z', '2026-06-30T23:59:60+00:00', '1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z',
          '9999-12-31T23:59:59.999999999Z', '2026-11-20t10:00:00z', '2026-11-20T10:00:00+14:00', new Date().toISOString(),
        ];
      }
      if (schema.format === 'uri') return ['http://127.0.0.1:9/x?a=%00&b=%FF', 'https://[::1]:9/é', 'http://127.0.0.1:9/#💥'];
      const max = schema.maxLength ?? 300;
      const candidates = [
        '💥'.repeat(max), '𝔘'.repeat(max), 'e\u0301'.repeat(Math.floor(max / 2)), 'x'.repeat(max), 'ｆｕｌｌ',
        "O'Brien\"; DROP TABLE orders;--", '<img src=x onerror=alert(1)>', '\u200Bzero-width', '\u202Eright-to-left',
        'a'.repeat(Math.max(1, schema.minLength ?? 1)), 'Zürich ÅÄÖ 東京 🚚', '\\u0000 literally',
      ];
      return candidates.filter((candidate) => !stringRefused(schema, candidate));
    }
    case 'boolean':
      return [true, false];
    default:
      return [];
  }
}

/** Every way to send a quantity or an amount wrong: each is sent in every integer field of every write route. */
const numberAttacks = (schema: JsonSchema): unknown[] => [
  (schema.minimum ?? 0) - 1, -1, -0.5, -0.0001, 0.5, 1.5, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), raw('9007199254740993'),
  raw('1e400'), raw('-1e400'), raw(`1${'0'.repeat(400)}`), 1e21, 1e308, (schema.maximum ?? 2 ** 53) + 1, '1', '10', '-1',
  '1e3', '0x10', ' 1', '１', 'NaN', 'Infinity', null, true, [1], { $numberInt: '1' },
];

const NASTY: unknown[] = [
  -1, 0.5, -0.0001, 1e308, -1e308, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, raw('1e400'), raw('9007199254740993'),
  '', ' ', '1', '-1', 'NaN', 'Infinity', null, true, false, [], {}, [1, 2], { $gt: '' }, { $ne: null },
  "'; drop table orders; --", '" or ""="', '<script>alert(1)</script>', '\u0000', '\uD800', '💥'.repeat(300), 'ｆｕｌｌ',
  'a'.repeat(10_000), '../../etc/passwd', '${jndi:ldap://x}', '%s%s%n', 'constructor', '__proto__', 'toString',
];

function mutate(r: Rand, value: unknown, depth = 0): unknown {
  if (r.chance(0.15) || depth > 4) return r.pick(NASTY);
  if (Array.isArray(value)) {
    const copy = value.map((v) => (r.chance(0.3) ? mutate(r, v, depth + 1) : v));
    if (r.chance(0.1)) copy.push(...Array.from({ length: 600 }, () => copy[0]));
    return copy;
  }
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of Object.keys(copy)) {
      const roll = r.next();
      if (roll < 0.2) copy[key] = mutate(r, copy[key], depth + 1);
      else if (roll < 0.25) delete copy[key];
    }
    if (r.chance(0.1)) copy[r.pick(['unknown', 'admin', 'status', 'number', 'id', 'orderId'])] = r.pick(NASTY);
    return copy;
  }
  return r.chance(0.5) ? r.pick(NASTY) : value;
}

// ---------------------------------------------------------------------------------------------------------------
// The world the requests aim at

interface Line {
  id: string;
  sku: string;
  stockable: boolean;
}
interface World {
  orders: { id: string; lines: Line[] }[];
  invoices: { id: string; orderId: string }[];
  shipments: { id: string; orderId: string }[];
  returns: { id: string; orderId: string }[];
}
interface Fixture extends World {
  /**
   * Orders only the `field-edge` requests act on: valid but unusual input that a worker may choke on would
   * otherwise block the orders the other checks need (a failed action holds back the later ones of its order).
   */
  edge: World;
  refunds: string[];
  actions: string[];
  deliveries: string[];
  subscriptions: string[];
  replay: { key: string; url: string; body: Body; actionId: string };
}

type RouteKind = 'action' | 'source' | 'stock' | 'webhook-create' | 'webhook-delete' | 'redeliver';
interface WriteRoute {
  /** "METHOD /path/{param}" as in the OpenAPI document. */
  key: string;
  method: 'POST' | 'PUT' | 'DELETE';
  path: string;
  kind: RouteKind;
  actionType?: string;
  role: 'storefront' | 'admin';
  schema?: JsonSchema;
  target(r: Rand): string;
  template(target: string, r: Rand): Body | undefined;
}

const reason = () => ({ reason: 'hostile' });

function writeRoutes(fx: Fixture, schemas: Map<string, JsonSchema | undefined>, world: World = fx): WriteRoute[] {
  const order = (r: Rand) => r.pick(world.orders).id;
  const linesOf = (orderId: string) => world.orders.find((o) => o.id === orderId)?.lines ?? [];
  const line = (orderId: string, r: Rand, stockable = false) =>
    r.pick(linesOf(orderId).filter((l) => !stockable || l.stockable)).id;
  const routes: Omit<WriteRoute, 'schema'>[] = [
    {
      key: 'POST /v1/orders', method: 'POST', path: '/v1/orders', kind: 'action', actionType: 'order.place', role: 'storefront',
      target: () => '',
      template: () => placement(),
    },
    {
      key: 'POST /v1/orders/{id}/invoices', method: 'POST', path: '/v1/orders/{id}/invoices', kind: 'action', actionType: 'invoice.create', role: 'admin',
      target: order,
      template: (id, r) => ({ items: [{ itemId: line(id, r), qty: 1 }], state: r.pick(['paid', 'pending']), dueInDays: r.int(60) }),
    },
    {
      key: 'POST /v1/orders/{id}/shipments', method: 'POST', path: '/v1/orders/{id}/shipments', kind: 'action', actionType: 'shipment.create', role: 'admin',
      target: order,
      template: (id, r) => ({ source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: `1Z${r.int(1e6)}`, items: [{ itemId: line(id, r, true), qty: 1 }] }),
    },
    {
      key: 'POST /v1/orders/{id}/refunds', method: 'POST', path: '/v1/orders/{id}/refunds', kind: 'action', actionType: 'refund.create', role: 'admin',
      target: order,
      template: (id, r) => ({
        items: [{ itemId: line(id, r), qty: 1, returnToStock: r.chance(0.5) }],
        shipping: 0, adjustmentRefund: r.int(2), adjustmentFee: 0, reason: 'hostile', overrideWindow: { reason: 'hostile' },
      }),
    },
    { key: 'POST /v1/orders/{id}/cancel', method: 'POST', path: '/v1/orders/{id}/cancel', kind: 'action', actionType: 'order.cancel', role: 'storefront', target: order, template: reason },
    { key: 'POST /v1/orders/{id}/hold', method: 'POST', path: '/v1/orders/{id}/hold', kind: 'action', actionType: 'order.hold', role: 'admin', target: order, template: reason },
    { key: 'POST /v1/orders/{id}/unhold', method: 'POST', path: '/v1/orders/{id}/unhold', kind: 'action', actionType: 'order.unhold', role: 'admin', target: order, template: reason },
    {
      key: 'POST /v1/orders/{id}/comments', method: 'POST', path: '/v1/orders/{id}/comments', kind: 'action', actionType: 'order.comment', role: 'admin',
      target: order,
      template: () => ({ comment: 'hostile', notifyCustomer: false }),
    },
    {
      key: 'POST /v1/invoices/{id}/payments', method: 'POST', path: '/v1/invoices/{id}/payments', kind: 'action', actionType: 'invoice.pay', role: 'admin',
      target: (r) => r.pick(world.invoices).id,
      template: (_id, r) => ({ amount: 1 + r.int(100), method: 'banktransfer', reference: `BT-${r.int(1e6)}` }),
    },
    {
      key: 'POST /v1/shipments/{id}/delivery', method: 'POST', path: '/v1/shipments/{id}/delivery', kind: 'action', actionType: 'shipment.deliver', role: 'admin',
      target: (r) => r.pick(world.shipments).id,
      template: () => ({ deliveredAt: new Date().toISOString() }),
    },
    {
      key: 'POST /v1/orders/{id}/returns', method: 'POST', path: '/v1/orders/{id}/returns', kind: 'action', actionType: 'return.request', role: 'storefront',
      target: order,
      template: (id, r) => ({ items: [{ itemId: line(id, r, true), qty: 1, reason: r.pick(RETURN_REASONS), note: 'hostile' }], note: 'hostile' }),
    },
    ...(['approve', 'reject', 'cancel'] as const).map((move) => ({
      key: `POST /v1/returns/{id}/${move}`, method: 'POST' as const, path: `/v1/returns/{id}/${move}`, kind: 'action' as const, actionType: `return.${move}`,
      role: move === 'cancel' ? ('storefront' as const) : ('admin' as const),
      target: (r: Rand) => r.pick(world.returns).id,
      template: () => (move === 'approve' ? { note: 'hostile' } : { reason: 'hostile' }),
    })),
    {
      key: 'POST /v1/returns/{id}/receive', method: 'POST', path: '/v1/returns/{id}/receive', kind: 'action', actionType: 'return.receive', role: 'admin',
      target: (r) => r.pick(world.returns).id,
      template: (id, r) => ({
        source: 'main',
        items: [{ itemId: line(world.returns.find((ret) => ret.id === id)?.orderId ?? '', r, true), qty: 1, condition: r.pick(['resellable', 'damaged']) }],
      }),
    },
    {
      key: 'POST /v1/returns/{id}/refund', method: 'POST', path: '/v1/returns/{id}/refund', kind: 'action', actionType: 'return.refund', role: 'admin',
      target: (r) => r.pick(world.returns).id,
      template: (_id, r) => ({ shipping: 0, adjustmentRefund: r.int(2), adjustmentFee: 0, reason: 'hostile' }),
    },
    {
      key: 'PUT /v1/inventory/sources/{code}', method: 'PUT', path: '/v1/inventory/sources/{code}', kind: 'source', role: 'admin',
      target: (r) => r.pick(['main', 'hostile', `src-${r.int(20)}`]),
      template: (_code, r) => ({ name: 'Hostile source', contactEmail: 'ops@example.com', active: r.chance(0.8) }),
    },
    {
      key: 'PUT /v1/inventory/items/{sku}', method: 'PUT', path: '/v1/inventory/items/{sku}', kind: 'stock', role: 'admin',
      target: (r) => r.pick(['TSHIRT-M', 'HOSTILE-SKU', `SKU-${r.int(20)}`]),
      template: (_sku, r) => ({ sources: { main: 1000 + r.int(1000) } }),
    },
    {
      key: 'POST /v1/webhooks', method: 'POST', path: '/v1/webhooks', kind: 'webhook-create', role: 'admin',
      target: () => '',
      template: () => ({ url: 'http://127.0.0.1:9/hostile', secret: 's'.repeat(16), eventTypes: ['refund.issued'] }),
    },
    {
      key: 'DELETE /v1/webhooks/{id}', method: 'DELETE', path: '/v1/webhooks/{id}', kind: 'webhook-delete', role: 'admin',
      target: (r) => r.pick([...fx.subscriptions, r.uuid()]),
      template: () => undefined,
    },
    {
      key: 'POST /v1/webhook-deliveries/{id}/redeliver', method: 'POST', path: '/v1/webhook-deliveries/{id}/redeliver', kind: 'redeliver', role: 'admin',
      target: (r) => r.pick([...fx.deliveries, r.uuid()]),
      template: () => undefined,
    },
  ];
  return routes.map((route) => ({ ...route, schema: schemas.get(route.key) }));
}

/** The §4.1 order with every optional field present, so that each can be attacked. */
function placement(): Body {
  const address = { name: 'Ada Lovelace', company: 'Engines', line1: '1 Main St', line2: 'Flat 2', city: 'London', region: 'LDN', postcode: 'N1 1AA', country: 'GB', phone: '+44 20 0000' };
  return orderBody({
    customer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', id: 'cust-1' },
    billingAddress: address,
    shippingAddress: address,
    items: [
      { sku: 'TSHIRT-M', name: 'T-shirt M', qty: 2, unitPrice: 1999, taxAmount: 400, discountAmount: 0, stockable: true },
      { sku: 'EBOOK-1', name: 'E-book', qty: 1, unitPrice: 999, taxAmount: 0, discountAmount: 0, stockable: false },
    ],
  });
}

const READS = [
  '/v1/orders/{order}', '/v1/orders/{order}/history', '/v1/actions/{action}', '/v1/invoices/{invoice}', '/v1/invoices/{invoice}/pdf',
  '/v1/shipments/{shipment}', '/v1/refunds/{refund}', '/v1/refunds/{refund}/pdf', '/v1/returns/{return}', '/v1/returns/{return}/pdf',
  '/v1/webhooks/{subscription}/deliveries',
  '/v1/inventory/items/{sku}',
];

// ---------------------------------------------------------------------------------------------------------------
// Requests

interface RawHttp {
  request: Buffer;
  /** Half-close after writing (the request is incomplete and would otherwise wait for the rest). */
  end?: boolean;
  /** Refused by the HTTP parser before the app sees it: the answer may be Node's own, not problem+json. */
  transport: boolean;
  answerRequired: boolean;
}
interface Spec {
  n: number;
  family: string;
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
  route?: WriteRoute;
  /** The request is invalid whatever happens to the world: any 2xx is a defect. */
  mustRefuse?: boolean;
  /** The only acceptable statuses, where the request leaves no doubt. */
  expect?: number[];
  /** An exact replay of a recorded request: must answer 202 with this action. */
  replayOf?: string;
  raw?: RawHttp;
}

type Family = (r: Rand, n: number) => Spec;

function generator(fx: Fixture, routes: WriteRoute[], edgeRoutes: WriteRoute[], port: () => number) {
  const withSchema = routes.filter((route) => route.schema && fieldsOf(route.schema).length > 0);
  const edgeWithSchema = edgeRoutes.filter((route) => route.schema && fieldsOf(route.schema).length > 0);
  const actionRoutes = routes.filter((route) => route.kind === 'action');
  const byKey = (key: string) => routes.find((route) => route.key === key)!;
  const documentRoutes = ['invoices', 'shipments', 'refunds', 'returns'].map((kind) => byKey(`POST /v1/orders/{id}/${kind}`));

  const headersFor = (route: WriteRoute, r: Rand) => {
    const role = route.role === 'storefront' && r.chance(0.5) ? 'storefront' : 'admin';
    const headers: Record<string, string> = { authorization: `Bearer ${KEYS[role]}` };
    if (route.method !== 'DELETE' && route.kind !== 'redeliver') headers['content-type'] = 'application/json';
    if (route.kind === 'action' && (route.actionType === 'order.place' || r.chance(0.5))) headers['idempotency-key'] = r.uuid();
    return headers;
  };
  const urlOf = (route: WriteRoute, target: string) => route.path.replace(/\{\w+\}/, target);
  const write = (route: WriteRoute, target: string, body: unknown, r: Rand, extra: Partial<Spec> = {}): Spec => ({
    n: 0,
    family: '',
    method: route.method,
    url: urlOf(route, target),
    headers: headersFor(route, r),
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : serialize(body) }),
    route,
    ...extra,
  });
  const valid = (route: WriteRoute, r: Rand, extra: Partial<Spec> = {}) => {
    const target = route.target(r);
    return write(route, target, route.template(target, r), r, extra);
  };
  const otherOrder = (orderId: string, r: Rand) => r.pick(fx.orders.filter((o) => o.id !== orderId));

  const families: Record<string, [weight: number, Family]> = {
    /** Random mutations of a valid body. */
    mutate: [14, (r) => {
      const route = r.pick(routes);
      const target = route.target(r);
      const base = route.template(target, r);
      return write(route, target, base === undefined ? undefined : mutate(r, base), r);
    }],
    /** One field set to a value its schema forbids: wrong type, out of range, fractional, unsafe, bad text. */
    'field-invalid': [20, (r) => {
      const route = r.pick(withSchema);
      const target = route.target(r);
      const base = route.template(target, r)!;
      const field = r.pick(fieldsOf(route.schema!));
      const example = field.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], base);
      const values = refusedValues(field, example);
      if (values.length === 0) return valid(route, r);
      return write(route, target, setAt(base, field.path, r.pick(values)), r, { mustRefuse: true, expect: [400, 413] });
    }],
    /** One field set to a valid value that is easy to mishandle (bounds, -0, astral text at the limit, leap second). */
    'field-edge': [6, (r) => {
      const route = r.pick(edgeWithSchema);
      const target = route.target(r);
      const base = route.template(target, r)!;
      const field = r.pick(fieldsOf(route.schema!));
      const values = edgeValues(field);
      if (values.length === 0) return valid(route, r);
      return write(route, target, setAt(base, field.path, r.pick(values)), r);
    }],
    /** Unknown and injected fields, missing required ones, too many or too few items, wrong root types. */
    structure: [7, (r) => {
      const route = r.pick(withSchema);
      const target = route.target(r);
      const base = route.template(target, r)!;
      const schema = route.schema!;
      const refuse = { mustRefuse: true, expect: [400, 413] };
      const objects = [{ path: [] as Path, schema }, ...fieldsOf(schema).filter((f) => f.schema.type === 'object' && f.schema.properties)];
      switch (r.int(6)) {
        case 0: {
          const key = r.pick(['unknown', 'admin', 'status', 'id', 'orderId', 'invoiceId', 'shipmentId', 'number', 'paidAmount', 'actor', '$where', 'toString', 'hasOwnProperty']);
          const other = r.pick([...fx.orders.map((o) => o.id), ...fx.invoices.map((i) => i.id), ...fx.shipments.map((s) => s.id)]);
          const at = r.pick(objects);
          return write(route, target, setAt(base, [...at.path, key], r.chance(0.5) ? other : r.pick(NASTY)), r, refuse);
        }
        case 1: {
          const required = objects.flatMap((o) =>
            (o.schema.required ?? []).filter((k) => o.schema.properties?.[k]?.default === undefined).map((k) => [...o.path, k]),
          );
          if (required.length === 0) return write(route, target, setAt(base, ['unknown'], 1), r, refuse);
          return write(route, target, deleteAt(base, r.pick(required)), r, refuse);
        }
        case 2: {
          const arrays = fieldsOf(schema).filter((f) => f.schema.type === 'array' && (f.schema.maxItems !== undefined || f.schema.minItems));
          if (arrays.length === 0) return write(route, target, [base], r, refuse);
          const field = r.pick(arrays);
          const element = (field.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], base) as unknown[])[0];
          const tooFew = (field.schema.minItems ?? 0) > 0 && (field.schema.maxItems === undefined || r.chance(0.3));
          const length = tooFew ? 0 : field.schema.maxItems! + 1 + r.int(50);
          return write(route, target, setAt(base, field.path, Array.from({ length }, () => element)), r, refuse);
        }
        case 3: {
          const records = fieldsOf(schema).filter((f) => f.schema.maxProperties !== undefined);
          if (records.length === 0) return write(route, target, setAt(base, ['__unknown__'], { nested: true }), r, refuse);
          const field = r.pick(records);
          const record = Object.fromEntries(Array.from({ length: field.schema.maxProperties! + 1 }, (_, i) => [`src${i}`, 1]));
          return write(route, target, setAt(base, field.path, record), r, refuse);
        }
        case 4:
          return write(route, target, serialize(r.pick([[], [base], 'a string', 1, -1, true, 1.5])), r, refuse);
        default:
          // An empty or null body means "no options" where every field is optional: never an error by itself.
          return write(route, target, r.pick(['', 'null', '{}']), r);
      }
    }],
    /** Items of another order (or of none) in an action on this one: accepted at intake, must end rejected. */
    foreign: [6, (r) => {
      if (r.chance(0.2)) {
        // A document id of another kind, or of another resource, where an id is expected: 404.
        const pick = r.int(4);
        const route = byKey(pick === 0 ? 'POST /v1/invoices/{id}/payments' : pick === 1 ? 'POST /v1/shipments/{id}/delivery' : r.pick(documentRoutes.map((d) => d.key)));
        const wrongIds = [
          ...fx.orders.flatMap((o) => o.lines.map((l) => l.id)),
          ...(route.path.startsWith('/v1/orders') ? [...fx.invoices.map((i) => i.id), ...fx.shipments.map((s) => s.id)] : fx.orders.map((o) => o.id)),
          ...(route.path.startsWith('/v1/invoices') ? fx.shipments.map((s) => s.id) : []),
          ...(route.path.startsWith('/v1/shipments') ? fx.invoices.map((i) => i.id) : []),
          r.uuid(),
        ];
        const target = r.pick(wrongIds);
        const base = route.template(route.path.startsWith('/v1/orders') ? fx.orders[0]!.id : target, r);
        return write(route, target, base, r, { expect: [404], mustRefuse: true });
      }
      const route = r.pick(documentRoutes);
      const own = r.pick(fx.orders);
      const other = otherOrder(own.id, r);
      const base = route.template(own.id, r)!;
      const foreignLine = r.pick(other.lines);
      const ownLine = r.pick(own.lines);
      const item = (l: Line | string) => ({
        itemId: typeof l === 'string' ? l : l.id,
        qty: 1,
        ...(route.actionType === 'refund.create' ? { returnToStock: r.chance(0.5) } : {}),
        ...(route.actionType === 'return.request' ? { reason: 'other' } : {}),
      });
      const items = r.pick([
        [item(foreignLine)],
        [item(ownLine), item(foreignLine)],
        [item(foreignLine), item(ownLine)],
        other.lines.map(item),
        [item(r.uuid())],
        [item(ownLine), item(r.uuid())],
      ]);
      return write(route, own.id, { ...base, items }, r, { expect: [202] });
    }],
    /** GET /v1/orders and other reads with garbage in the query string. */
    query: [8, (r) => {
      const cursor = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
      const someId = r.pick([r.uuid(), fx.orders[0]!.id]);
      const values: Record<string, string[]> = {
        limit: ['-1', '0', '101', '1e9', '1.5', 'abc', '', '9'.repeat(30), '1e1', '%00', '20', '100', '1', '0x10', '%205', 'Infinity', 'NaN', '-0', '1%2C2'],
        status: ['pending', 'PENDING', 'nope', '%00', "pending'--", '', 'on_hold', 'canceled%00', '%F0%9F%92%A5'],
        customerEmail: ['ada@example.com', 'ADA@EXAMPLE.COM', '%00', 'a%00b', "'%20or%20'1'%3D'1", '%25', 'x'.repeat(255), '', '%ED%A0%80', '%F0%9F%92%A5', '%FF', '\\'],
        createdFrom: ['2026-01-01T00:00:00Z', 'yesterday', '0000-01-01T00:00:00Z', '9999-12-31T23:59:60Z', '2026-12-31T23:59:60Z', '2026-02-30T00:00:00Z', '-1', '%00', '1e9', '2026-01-01T00:00:00%2B14:00', '0001-01-01T00:00:00Z', '1969-12-31T23:59:59.999999999Z'],
        createdTo: ['2026-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '2026-06-30T23:59:60Z', '%00', 'now', '2026-01-01T00:00:00-23:59'],
        cursor: [
          '%00', 'abc', 'x'.repeat(201), '', '====',
          cursor({ createdAt: '-271821-04-20T00:00:00.000Z', id: someId }),
          cursor({ createdAt: '+275760-09-13T00:00:00.000Z', id: someId }),
          cursor({ createdAt: '0000-01-01T00:00:00.000Z', id: someId }),
          cursor({ createdAt: '2026-01-01T00:00:00.000Z', id: '-'.repeat(36) }),
          cursor({ createdAt: '2026-01-01T00:00:00.000Z', id: 'a'.repeat(36) }),
          cursor({ createdAt: '2026-01-01T00:00:00.000Z', id: someId }),
          cursor({ createdAt: 1, id: 1 }),
          cursor({ createdAt: '1', id: someId }),
          cursor(`{"createdAt":"2026-01-01T00:00:00.000Z","id":"${someId}","__proto__":{"x":1}}`),
          cursor('null'), cursor('[]'), cursor('"x"'), cursor('{"createdAt":"2026-01-01","id":"' + someId + '\\u0000"}'),
        ],
      };
      if (r.chance(0.25)) {
        const path = r.pick(READS);
        const url = path.replace(/\{(\w+)\}/, (_m, kind: string) => readTarget(kind, r));
        const query = r.pick(['limit=1e9', 'limit=-1', 'limit=0', 'limit=500', 'limit=abc', 'limit=1&limit=2', 'x=%00', '__proto__[x]=1', 'constructor[prototype][x]=1', `a=${'b'.repeat(5000)}`, '%ZZ=1', '&&&=&']);
        return { n: 0, family: '', method: 'GET', url: `${url}?${query}`, headers: { authorization: `Bearer ${KEYS.admin}` } };
      }
      const names = Object.keys(values);
      const parts: string[] = [];
      for (let i = 0, count = 1 + r.int(4); i < count; i++) {
        const name = r.pick([...names, 'unknown', '__proto__', 'limit[]', 'status[0]']);
        parts.push(`${name}=${r.pick(values[name] ?? ['1'])}`);
        if (r.chance(0.15)) parts.push(`${name}=${r.pick(values[name] ?? ['2'])}`);
      }
      return { n: 0, family: '', method: 'GET', url: `/v1/orders?${parts.join('&')}`, headers: { authorization: `Bearer ${KEYS.admin}` } };
    }],
    /** Hostile path parameters on writes and reads: non-UUIDs, UUIDs of nothing, NUL, bad encodings, long. */
    path: [7, (r) => {
      const segments: [string, number[]?][] = [
        ['not-a-uuid', [400]], [r.uuid(), [404]], ['00000000-0000-0000-0000-000000000000', [404]], ['%00', [400]],
        ['a%00b'], ['%ED%A0%80'], ['%ZZ'], ['x'.repeat(101)], ['x'.repeat(5000)], ['..%2F..%2Fetc%2Fpasswd'], ['%2e%2e'],
        ["1'%20or%20'1'%3D'1"], ['%F0%9F%92%A5'], ['%20'], ['%0d%0aX-Injected:%201'], [fx.orders[0]!.id.toUpperCase()],
        [`${fx.orders[0]!.id}%00`], [`${fx.orders[0]!.id}.json`], ['ffffffff-ffff-ffff-ffff-ffffffffffff', [404]],
      ];
      const skuSegments = ['%00', 'a%00b', '%20', 'x'.repeat(65), 'x'.repeat(5000), '%ED%A0%80', 'ＳＫＵ', '%F0%9F%92%A5', "'%3B%20drop", '..%2F..', 'a%2Fb', 'TSHIRT-M%09'];
      const codeSegments = ['MAIN', '-x', 'a'.repeat(51), '%00', 'main%00', '%D0%BC%D0%B0', 'main%20', '_', 'main.json'];
      if (r.chance(0.5)) {
        const route = r.pick(routes.filter((route) => route.path.includes('{')));
        const base = route.kind === 'action' && route.path.startsWith('/v1/orders') ? route.template(fx.orders[0]!.id, r) : route.template(route.target(r), r);
        if (route.kind === 'stock') return write(route, r.pick(skuSegments), base, r);
        if (route.kind === 'source') return write(route, r.pick(codeSegments), base, r);
        const [segment, expected] = r.pick(segments);
        return write(route, segment, base, r, expected ? { expect: expected } : {});
      }
      const path = r.pick(READS);
      const [segment, expected] = path.includes('{sku}') ? [r.pick(skuSegments)] : r.pick(segments);
      return { n: 0, family: '', method: 'GET', url: path.replace(/\{\w+\}/, segment), headers: { authorization: `Bearer ${KEYS.admin}` }, ...(expected ? { expect: expected } : {}) };
    }],
    /** Idempotency keys: malformed, oversized, non-ASCII, missing where required, reused. */
    key: [5, (r) => {
      const roll = r.int(4);
      if (roll === 0) {
        const { replay } = fx;
        const route = byKey('POST /v1/orders/{id}/comments');
        const spec: Spec = { n: 0, family: '', method: 'POST', url: replay.url, route, headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json', 'idempotency-key': replay.key } };
        switch (r.int(4)) {
          case 0: // the same request again, its keys in another order: a replay
            return { ...spec, payload: JSON.stringify(Object.fromEntries(Object.entries(replay.body).reverse())), expect: [202], replayOf: replay.actionId };
          case 1: // another body
            return { ...spec, payload: serialize({ ...replay.body, comment: `${String(replay.body.comment)}!` }), expect: [409], mustRefuse: true };
          case 2: { // another order
            const other = otherOrder(replay.url.split('/')[3]!, r);
            return { ...spec, url: `/v1/orders/${other.id}/comments`, payload: serialize(replay.body), expect: [409], mustRefuse: true };
          }
          default: // another action type
            return { ...spec, url: replay.url.replace('/comments', '/hold'), payload: serialize({ reason: 'x' }), expect: [409], mustRefuse: true };
        }
      }
      const route = r.pick(actionRoutes);
      const spec = valid(route, r);
      const headers = { ...(spec.headers as Record<string, string>) };
      if (roll === 1) {
        headers['idempotency-key'] = r.pick(['', ' ', 'k'.repeat(256), 'k'.repeat(10_000), 'ключ', 'a b', '\t', 'x\u0000y', '💥', 'é', '\u007f', 'key\u00a0']);
        return { ...spec, headers, mustRefuse: true, expect: [400] };
      }
      if (roll === 2 && route.actionType === 'order.place') {
        delete headers['idempotency-key'];
        return { ...spec, headers, mustRefuse: true, expect: [400] };
      }
      headers['idempotency-key'] = r.pick(['k'.repeat(255), '~'.repeat(255), "!#$%&'*+-.^_`|~", '0', 'null', 'undefined', '__proto__', 'constructor', r.uuid().toUpperCase(), `${r.uuid()}:${r.uuid()}`]);
      return { ...spec, headers };
    }],
    /** Prefer: wait with bad values. Valid writes only on fresh placements, so no wait can hang behind another action. */
    prefer: [3, (r): Spec => {
      if (r.chance(0.3)) {
        return { n: 0, family: '', method: 'GET', url: `/v1/actions/${r.uuid()}`, headers: { authorization: `Bearer ${KEYS.storefront}`, prefer: r.pick(['wait=30', 'wait=999999', 'wait=9999999999999', 'wait=-1', 'wait=abc']) }, expect: [404] };
      }
      if (r.chance(0.3)) {
        const route = r.pick(actionRoutes);
        const spec = valid(route, r);
        return { ...spec, payload: serialize({ ...JSON.parse(spec.payload as string), unknown: 1 }), headers: { ...spec.headers, prefer: r.pick(['wait=30', 'wait=999999', 'wait=99999999999']) }, mustRefuse: true, expect: [400] };
      }
      const spec = valid(byKey('POST /v1/orders'), r);
      const prefer = r.pick(['wait=-1', 'wait=1e9', 'wait=abc', 'wait=', 'wait=0', 'respond-async', 'wait=0.5', 'WAIT=1', 'wait=1, wait=30', 'handling=strict; wait=1', 'wait=１', 'wait="1"', `wait=1;x=${'y'.repeat(2000)}`, 'wait=\u00001']);
      return { ...spec, headers: { ...spec.headers, prefer } };
    }],
    /** Missing, wrong and oversized credentials; a storefront key on admin routes. */
    auth: [3, (r) => {
      const route = r.pick(routes);
      const spec = valid(route, r);
      const headers = { ...(spec.headers as Record<string, string>) };
      const roll = r.int(8);
      if (roll === 0) delete headers.authorization;
      else if (roll === 7 && route.role === 'admin') headers.authorization = `Bearer ${KEYS.storefront}`;
      else {
        headers.authorization = r.pick([
          'Bearer', 'Bearer ', 'Bearer wrong-secret', `Basic ${Buffer.from(`ops:${KEYS.admin}`).toString('base64')}`,
          `Bearer ${'x'.repeat(10_000)}`, `Bearer ${KEYS.admin}💥`, `Bearer ${KEYS.admin} ${KEYS.admin}`, `Token ${KEYS.admin}`,
          `Bearer ${KEYS.admin.slice(0, -1)}`, `Bearer ${KEYS.admin}\u0000`, 'Bearer %00',
        ]);
      }
      const expected = roll === 7 && route.role === 'admin' ? 403 : 401;
      return { ...spec, headers, mustRefuse: true, expect: [expected] };
    }],
    /** Wrong, missing and odd content types and charsets on otherwise valid bodies. */
    'content-type': [4, (r) => {
      const route = r.pick(routes.filter((route) => route.kind !== 'webhook-delete' && route.kind !== 'redeliver'));
      const spec = valid(route, r);
      const headers = { ...(spec.headers as Record<string, string>) };
      const roll = r.int(4);
      if (roll === 0) {
        headers['content-type'] = r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', 'application/octet-stream', 'image/png']);
        return { ...spec, headers, mustRefuse: true, expect: [415] };
      }
      if (roll === 1) {
        headers['content-type'] = 'application/json; charset=utf-16le';
        return { ...spec, headers, payload: Buffer.from(spec.payload as string, 'utf16le') };
      }
      if (roll === 2) delete headers['content-type'];
      else {
        headers['content-type'] = r.pick([
          'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'APPLICATION/JSON', 'application/json ; charset=utf-8',
          'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/jsonp', 'application/vnd.api+json',
          'application/problem+json', 'application/json, text/plain', '', 'json', '*/*', 'application/ｊｓｏｎ', 'application/json; boundary=x',
        ]);
      }
      return { ...spec, headers };
    }],
    /** Bodies at, just over and far over the limit; huge arrays, many keys, long strings and number literals. */
    size: [3, (r) => {
      const route = byKey('POST /v1/orders/{id}/comments');
      const target = r.pick(fx.orders).id;
      const json = '{"comment":"hostile","notifyCustomer":false}';
      const padded = (length: number) => `${json.slice(0, -1)}${' '.repeat(length - json.length)}}`;
      switch (r.int(8)) {
        case 0:
          return write(route, target, padded(BODY_LIMIT), r, { expect: [202] });
        case 1:
          return write(route, target, padded(BODY_LIMIT + 1 + r.int(1000)), r, { expect: [413], mustRefuse: true });
        case 2:
          return write(route, target, `{"comment":"${'x'.repeat(1_048_576 + r.int(1000))}"}`, r, { expect: [413], mustRefuse: true });
        case 3: {
          const doc = r.pick(documentRoutes);
          const own = r.pick(fx.orders);
          const items = Array.from({ length: 501 + r.int(200) }, () => ({ itemId: own.lines[0]!.id, qty: 0 }));
          return write(doc, own.id, { items, state: 'paid' }, r, { expect: [400, 413], mustRefuse: true });
        }
        case 4:
          return write(route, target, serialize(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]))), r, { expect: [400], mustRefuse: true });
        case 5:
          return write(route, target, { comment: 'x'.repeat(BODY_LIMIT - 100) }, r, { expect: [400], mustRefuse: true });
        case 6:
          return write(byKey('POST /v1/invoices/{id}/payments'), r.pick(fx.invoices).id, `{"amount":1${'0'.repeat(60_000)},"method":"x"}`, r, { expect: [400], mustRefuse: true });
        default:
          return write(route, target, `{"comment":"${'\\u0041'.repeat(10_000)}"}`, r, { expect: [400], mustRefuse: true });
      }
    }],
    /** Deeply nested JSON, as the whole body and inside fields. */
    depth: [2, (r) => {
      const route = r.pick(actionRoutes.filter((route) => route.actionType !== 'order.place'));
      const target = route.target(r);
      const depth = r.pick([33, 100, 1000, 10_000, 30_000]);
      const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const body = r.pick([arrays, objects, `{"reason":${objects}}`, `{"items":${arrays}}`, `{"comment":"x","deep":${arrays}}`, `{"items":[${objects}]}`]);
      return write(route, target, body, r, { expect: depth * 5 > BODY_LIMIT ? [400, 413] : [400], mustRefuse: true });
    }],
    /** Duplicate keys: the last one wins, and is validated (or counted as a foreign item) like any other. */
    'duplicate-keys': [2, (r) => {
      const own = r.pick(fx.orders);
      const other = otherOrder(own.id, r);
      const item = (id: string) => `{"itemId":"${id}","qty":1}`;
      const cases: [WriteRoute, string, string, Partial<Spec>][] = [
        [byKey('POST /v1/orders/{id}/hold'), own.id, '{"reason":"a","reason":"b"}', {}],
        [byKey('POST /v1/orders/{id}/comments'), own.id, '{"comment":"a","comment":5}', { expect: [400], mustRefuse: true }],
        [byKey('POST /v1/orders/{id}/comments'), own.id, '{"comment":5,"comment":"ok"}', {}],
        [byKey('POST /v1/orders/{id}/invoices'), own.id, `{"items":[${item(own.lines[0]!.id)}],"items":[${item(other.lines[0]!.id)}]}`, {}],
        [byKey('POST /v1/orders/{id}/invoices'), own.id, `{"items":[{"itemId":"${own.lines[0]!.id}","qty":1,"qty":-1}]}`, { expect: [400], mustRefuse: true }],
        [byKey('POST /v1/orders/{id}/shipments'), own.id, `{"source":"main","carrier":{"code":"ups","title":"UPS"},"trackingNumber":"1Z","items":[${item(own.lines[0]!.id)}],"items":[${item(other.lines[0]!.id)}]}`, {}],
        [byKey('POST /v1/invoices/{id}/payments'), r.pick(fx.invoices).id, '{"amount":1,"method":"x","amount":1e400}', { expect: [400], mustRefuse: true }],
        [byKey('POST /v1/invoices/{id}/payments'), r.pick(fx.invoices).id, '{"amount":-5,"method":"x","amount":1}', {}],
      ];
      const [route, target, body, extra] = r.pick(cases);
      return write(route, target, body, r, extra);
    }],
    /** Prototype-polluting keys anywhere in the body (and in the query string). */
    proto: [2, (r) => {
      if (r.chance(0.15)) {
        return { n: 0, family: '', method: 'GET', url: `/v1/orders?${r.pick(['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', '__proto__=x', 'limit=1&__proto__.polluted=1'])}`, headers: { authorization: `Bearer ${KEYS.admin}` } };
      }
      const route = r.pick(withSchema);
      const target = route.target(r);
      const base = serialize(route.template(target, r));
      const poison = r.pick(['"__proto__":{"polluted":true,"admin":true}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null', '"__proto__":[]']);
      const body = r.chance(0.5)
        ? `{${poison},${base.slice(1)}`
        : base.replace(/\{(?=")/g, (match, offset: number) => (offset > 0 && r.chance(0.5) ? `{${poison},` : match));
      if (body === base) return write(route, target, `{${poison},${base.slice(1)}`, r, { expect: [400], mustRefuse: true });
      return write(route, target, body, r, { expect: [400], mustRefuse: true });
    }],
    /** Methods no route answers. */
    method: [1, (r) => {
      const route = r.pick(routes);
      const spec = valid(route, r);
      return { ...spec, method: r.pick(['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'].filter((m) => m !== route.method)), route: undefined };
    }],
    /** Raw HTTP/1.1 over a socket: smuggling, bad chunking, control characters, oversized headers. */
    'raw-http': [2, (r) => {
      const own = r.pick(fx.orders);
      const body = '{"comment":"over a raw socket","notifyCustomer":false}';
      const lines = (first: string, ...headers: string[]) => [first, 'Host: 127.0.0.1', `Authorization: Bearer ${KEYS.admin}`, ...headers];
      const url = `/v1/orders/${own.id}/comments`;
      const request = (head: string[], payload: string | Buffer = '') =>
        Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.isBuffer(payload) ? payload : Buffer.from(payload)]);
      const json = ['Content-Type: application/json', 'Connection: close'];
      const cases: [string, RawHttp, number[]?][] = [
        ['chunked', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Transfer-Encoding: chunked'), `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`), transport: false, answerRequired: true }, [202]],
        ['bad chunk size', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Transfer-Encoding: chunked'), `zz\r\n${body}\r\n0\r\n\r\n`), transport: true, answerRequired: true }, [400]],
        ['content-length and chunked', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Content-Length: 5', 'Transfer-Encoding: chunked'), `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`), transport: true, answerRequired: true }, [400]],
        ['smuggled request', { request: request(lines(`POST ${url} HTTP/1.1`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`), `${body}GET /v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), transport: false, answerRequired: true }],
        ['control character in a header', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, `Content-Length: ${Buffer.byteLength(body)}`, 'X-Evil: a\u0001b'), body), transport: true, answerRequired: true }, [400]],
        ['header over 16 KiB', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, `Content-Length: ${Buffer.byteLength(body)}`, `X-Big: ${'a'.repeat(20_000)}`), body), transport: true, answerRequired: true }, [431]],
        ['garbage request line', { request: request(['GARBAGE', 'Connection: close']), transport: true, answerRequired: true }, [400]],
        ['invalid UTF-8 in JSON', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Content-Length: 19'), Buffer.concat([Buffer.from('{"comment":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('x"}')])), transport: false, answerRequired: true }],
        ['HTTP/1.0 without Host', { request: request([`POST ${url} HTTP/1.0`, `Authorization: Bearer ${KEYS.admin}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`], body), transport: false, answerRequired: true }],
        ['HTTP/1.1 without Host', { request: request([`POST ${url} HTTP/1.1`, `Authorization: Bearer ${KEYS.admin}`, ...json, `Content-Length: ${Buffer.byteLength(body)}`], body), transport: true, answerRequired: true }, [400]],
        ['obsolete line folding', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, `Content-Length: ${Buffer.byteLength(body)}`, 'X-Fold: a', ' b'), body), transport: true, answerRequired: true }],
        ['absolute-form target', { request: request(lines(`POST http://evil.example${url} HTTP/1.1`, ...json, `Content-Length: ${Buffer.byteLength(body)}`), body), transport: false, answerRequired: true }],
        ['two different Content-Lengths', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Content-Length: 5', `Content-Length: ${Buffer.byteLength(body)}`), body), transport: true, answerRequired: true }, [400]],
        ['negative Content-Length', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Content-Length: -1'), body), transport: true, answerRequired: true }, [400]],
        ['body shorter than Content-Length', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Content-Length: 5000'), body), transport: true, answerRequired: false, end: true }],
        ['Expect: 100-continue', { request: request(lines(`POST ${url} HTTP/1.1`, ...json, 'Expect: 100-continue', `Content-Length: ${Buffer.byteLength(body)}`), body), transport: false, answerRequired: true }, [202]],
        ['NUL in the request target', { request: request(lines('GET /v1/orders/\u0000 HTTP/1.1', 'Connection: close')), transport: true, answerRequired: true }, [400]],
        ['request target of 100 KiB', { request: request(lines(`GET /v1/orders?${'a'.repeat(100_000)} HTTP/1.1`, 'Connection: close')), transport: true, answerRequired: true }, [431]],
        ['2000 headers', { request: request(lines(`GET /v1/orders HTTP/1.1`, 'Connection: close', ...Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`))), transport: true, answerRequired: true }],
      ];
      const [name, rawHttp, expected] = r.pick(cases);
      return { n: 0, family: '', method: 'RAW', url: `${name} → ${url} on :${port()}`, headers: {}, raw: rawHttp, ...(expected ? { expect: expected } : {}) };
    }],
  };

  function readTarget(kind: string, r: Rand): string {
    switch (kind) {
      case 'order': return r.pick(fx.orders).id;
      case 'action': return r.pick(fx.actions);
      case 'invoice': return r.pick(fx.invoices).id;
      case 'shipment': return r.pick(fx.shipments).id;
      case 'refund': return r.pick(fx.refunds);
      case 'return': return r.pick(fx.returns).id;
      case 'subscription': return r.pick(fx.subscriptions);
      default: return 'TSHIRT-M';
    }
  }

  /** Not drawn by chance: every number attack in every integer field of every write route, once a run. */
  const numbers: Family[] = withSchema.flatMap((route) =>
    fieldsOf(route.schema!)
      .filter((field) => field.schema.type === 'integer')
      .flatMap((field) =>
        numberAttacks(field.schema).map((value): Family => (r) => {
          const target = route.target(r);
          return write(route, target, setAt(route.template(target, r), field.path, value), r, { mustRefuse: true, expect: [400] });
        }),
      ),
  );

  const names = Object.keys(families);
  const weights = names.map((name) => families[name]![0]);
  const sum = weights.reduce((a, b) => a + b, 0);
  const r = new Rand(seed);
  return {
    families: [...names, 'numbers'],
    numbers: numbers.length,
    /** Request n: every family once, then the number sweep, then families drawn by weight. */
    next(n: number): Spec {
      if (n < names.length) return { ...families[names[n]!]![1](r, n), n, family: names[n]! };
      if (n - names.length < numbers.length) return { ...numbers[n - names.length]!(r, n), n, family: 'numbers' };
      let roll = r.next() * sum;
      const name = names.find((_, i) => (roll -= weights[i]!) < 0) ?? names[0]!;
      return { ...families[name]![1](r, n), n, family: name };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Sending and reading answers

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function sendRaw(port: number, { request, end }: RawHttp): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    socket.setTimeout(3000, done);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request, () => {
      if (end) socket.end();
    });
  });
}

const excerpt = (value: string | Buffer | undefined, max = 240) => {
  if (value === undefined) return '';
  const text = Buffer.isBuffer(value) ? `<${value.length} bytes> ${value.toString('latin1')}` : value;
  const chars = [...text];
  return JSON.stringify(chars.length > max ? `${chars.slice(0, max).join('')}…(${chars.length} chars)` : text);
};
/** A URL with ids and long segments folded, and only the names of its query parameters. */
function routeShape(url: string): string {
  const [path = '', query] = url.split('?');
  const shape = path
    .split('/')
    .map((segment) => (/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(segment) ? '{id}' : segment.length > 40 ? `{${segment.length} chars}` : segment))
    .join('/');
  return query === undefined ? shape : `${shape}?${query.split('&').map((part) => part.split('=')[0]!.slice(0, 30)).join('&')}`;
}
/** A list short enough to read in a failure message. */
const brief = (list: readonly string[], max = 10) => (list.length > max ? [...list.slice(0, max), `… and ${list.length - max} more`] : list);
const show = (spec: Spec, answer?: Answer) =>
  `#${spec.n} [${spec.family}] ${spec.method} ${spec.url.length > 200 ? `${spec.url.slice(0, 200)}…` : spec.url} ` +
  `headers=${excerpt(JSON.stringify(Object.fromEntries(Object.entries(spec.headers).filter(([k]) => k !== 'authorization' || !Object.values(KEYS).some((key) => spec.headers[k] === `Bearer ${key}`)))), 160)} ` +
  `body=${excerpt(spec.raw ? spec.raw.request : spec.payload)}` +
  (answer ? ` → ${answer.status} ${excerpt(answer.body, 300)}` : '');

// ---------------------------------------------------------------------------------------------------------------

let h: Harness;
let port = 0;
let fx: Fixture;
let schemas: Map<string, JsonSchema | undefined>;
let baselineSeq = 0;

beforeAll(async () => {
  h = await startHarness({
    env: { ...RECEIVER_ON_LOOPBACK, BODY_LIMIT_BYTES: String(BODY_LIMIT), RATE_LIMIT_PER_MINUTE: '10000000', INTAKE_MAX_BACKLOG: '10000000', DB_POOL_MAX: '20' },
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as AddressInfo).port;

  // The write routes and their body schemas, as the API documents them.
  const doc = (await h.get('/docs/json', { key: null })).json<{
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema & { $ref?: string } }> } }>>;
    components: { schemas: Record<string, JsonSchema> };
  }>();
  // A body is a named schema of the document's components.
  const resolved = (schema: (JsonSchema & { $ref?: string }) | undefined) =>
    schema?.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
  schemas = new Map();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (['post', 'put', 'patch', 'delete'].includes(method)) {
        schemas.set(`${method.toUpperCase()} ${path}`, resolved(operation.requestBody?.content['application/json']?.schema));
      }
    }
  }

  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 1_000_000 } })).statusCode).toBe(200);
  // A subscription that hears the fixture placements, so that a delivery exists to redeliver; removed before the
  // hostile requests, so that their placements fan out to nobody. Another one stays, to be deleted by them.
  const fanOut = await h.post('/v1/webhooks', { url: 'http://127.0.0.1:9/fixture', eventTypes: ['order.placed'] });
  const kept = await h.post('/v1/webhooks', { url: 'http://127.0.0.1:9/kept', eventTypes: ['refund.issued'] });
  expect([fanOut.statusCode, kept.statusCode]).toEqual([201, 201]);

  const act = async (path: string, body: Body, key: 'admin' | 'storefront' = 'admin', idempotencyKey?: string) => {
    const res = await h.post(path, body, { key, prefer: 'wait=10', ...(idempotencyKey ? { idempotencyKey } : {}) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ orderId: string; action: { id: string; result: Record<string, string> } }>();
  };
  const place = async () => (await act('/v1/orders', orderBody(), 'storefront', newKey())).orderId;
  // open · on credit (pending invoice, shipped) · paid and shipped · held · canceled · partly invoiced
  const [open, credit, paid, held, canceled, partial] = [await place(), await place(), await place(), await place(), await place(), await place()];
  const ship = { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z-FIXTURE' };
  const creditInvoice = (await act(`/v1/orders/${credit}/invoices`, { state: 'pending', dueInDays: 30 })).action.result.invoiceId!;
  const creditShipment = (await act(`/v1/orders/${credit}/shipments`, ship)).action.result.shipmentId!;
  const paidInvoice = (await act(`/v1/orders/${paid}/invoices`, {})).action.result.invoiceId!;
  const paidShipment = (await act(`/v1/orders/${paid}/shipments`, ship)).action.result.shipmentId!;
  const refund = (await act(`/v1/orders/${paid}/refunds`, { items: [], adjustmentRefund: 100 })).action.result.refundId!;
  await act(`/v1/orders/${held}/hold`, { reason: 'fixture' });
  await act(`/v1/orders/${canceled}/cancel`, { reason: 'fixture' });
  const [edgeOpen, edgeCredit] = [await place(), await place()];
  const edgeInvoice = (await act(`/v1/orders/${edgeCredit}/invoices`, { state: 'pending', dueInDays: 30 })).action.result.invoiceId!;
  const edgeShipment = (await act(`/v1/orders/${edgeCredit}/shipments`, ship)).action.result.shipmentId!;
  const linesOf = async (id: string) => {
    const view = (await h.get(`/v1/orders/${id}`)).json<{ items: Line[] }>();
    return { id, lines: view.items.map(({ id: lineId, sku, stockable }) => ({ id: lineId, sku, stockable })) };
  };
  const orders = [];
  for (const id of [open, credit, paid, held, canceled, partial]) orders.push(await linesOf(id));
  const partialInvoice = (await act(`/v1/orders/${partial}/invoices`, { items: [{ itemId: orders[5]!.lines[0]!.id, qty: 1 }] })).action.result.invoiceId!;
  // A return asked for on the order on credit, and an approved one on the paid order: targets for every move.
  const requestReturn = async (order: { id: string; lines: Line[] }) =>
    (await act(`/v1/orders/${order.id}/returns`, { items: [{ itemId: order.lines.find((l) => l.stockable)!.id, qty: 1, reason: 'did_not_fit' }] }, 'storefront'))
      .action.result.returnId!;
  const creditReturn = await requestReturn(orders[1]!);
  const paidReturn = await requestReturn(orders[2]!);
  await act(`/v1/returns/${paidReturn}/approve`, {});
  const edgeCreditOrder = await linesOf(edgeCredit);
  const edgeReturn = await requestReturn(edgeCreditOrder);
  const replayBody = { comment: 'fixture comment', notifyCustomer: false };
  const replayKey = 'hostile-fixture-key';
  const replay = await act(`/v1/orders/${open}/comments`, replayBody, 'admin', replayKey);

  const deliveries = await eventually('a webhook delivery of the fixture placements', async () => {
    const rows = await h.sql<{ id: string }>('select id from webhook_deliveries');
    return rows.length > 0 ? rows.map((row) => row.id) : null;
  });
  const fanOutId = fanOut.json<{ id: string }>().id;
  const removed = await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${fanOutId}`, headers: { authorization: `Bearer ${KEYS.admin}` } });
  expect(removed.statusCode).toBe(204);

  const actions = await h.sql<{ id: string; status: string; seq: number }>('select id, status, seq::int as seq from actions order by seq');
  expect(actions.every((a) => a.status === 'succeeded')).toBe(true);
  baselineSeq = actions.at(-1)!.seq;
  fx = {
    orders,
    invoices: [
      { id: creditInvoice, orderId: credit },
      { id: paidInvoice, orderId: paid },
      { id: partialInvoice, orderId: partial },
    ],
    shipments: [
      { id: creditShipment, orderId: credit },
      { id: paidShipment, orderId: paid },
    ],
    returns: [
      { id: creditReturn, orderId: credit },
      { id: paidReturn, orderId: paid },
    ],
    edge: {
      orders: [await linesOf(edgeOpen), edgeCreditOrder],
      invoices: [{ id: edgeInvoice, orderId: edgeCredit }],
      shipments: [{ id: edgeShipment, orderId: edgeCredit }],
      returns: [{ id: edgeReturn, orderId: edgeCredit }],
    },
    refunds: [refund],
    actions: actions.map((a) => a.id),
    deliveries,
    subscriptions: [fanOutId, kept.json<{ id: string }>().id],
    replay: { key: replayKey, url: `/v1/orders/${open}/comments`, body: replayBody, actionId: replay.action.id },
  };
}, 120_000);
afterAll(() => h?.close());

it(
  'answers generated malformed or malicious requests without a 5xx, and writes only what it accepted',
  async () => {
    const started = Date.now();
    const routes = writeRoutes(fx, schemas);
    // Every write route the API documents is attacked, with the body schema it documents.
    expect([...schemas.keys()].sort()).toEqual(routes.map((route) => route.key).sort());
    const generate = generator(fx, routes, writeRoutes(fx, schemas, fx.edge), () => port);

    const statuses = new Map<number, number>();
    const families = new Map<string, number>();
    const spent = new Map<string, number>();
    const latency = { accepted: 0, acceptedMs: 0, other: 0, otherMs: 0 };
    const violations = {
      fiveHundreds: [] as string[],
      notProblemJson: [] as string[],
      acceptedInvalid: [] as string[],
      unexpectedStatus: [] as string[],
      badReplay: [] as string[],
      noAnswer: [] as string[],
      wrongActionType: [] as string[],
    };
    /** Violations grouped by request family, route shape and answer, to read the kinds of defect at a glance. */
    const signatures = new Map<string, Map<string, number>>();
    function flag(kind: keyof typeof violations, text: string, spec: Spec, answer?: Answer) {
      violations[kind].push(text);
      let code = '';
      try {
        const parsed = JSON.parse(answer?.body ?? '') as { code?: unknown };
        code = typeof parsed.code === 'string' ? parsed.code : '';
      } catch {
        code = '';
      }
      const signature = `[${spec.family}] ${spec.raw ? spec.url.split(' → ')[0] : `${spec.method} ${routeShape(spec.url)}`} → ${answer?.status ?? 'nothing'} ${code}`;
      const counts = signatures.get(kind) ?? new Map<string, number>();
      counts.set(signature, (counts.get(signature) ?? 0) + 1);
      signatures.set(kind, counts);
    }
    /** Action id → the request that got it accepted. */
    const accepted = new Map<string, Spec>();
    const replays = { count: 0 };
    const foreign = new Map<string, Spec>();
    const direct = { sourcesCreated: new Set<string>(), sourcesCreatedAnswers: 0, skus: new Set<string>(), webhooksCreated: 0, webhooksDeleted: 0, redelivered: 0 };

    const targetOrder = (url: string) => /^\/v1\/orders\/([^/?]+)\/(invoices|shipments|refunds)$/.exec(url)?.[1]?.toLowerCase();
    /** Items naming no line of the order in the URL; such an action must be refused or end rejected. */
    function namesForeignItems(spec: Spec): boolean {
      const orderId = targetOrder(spec.url);
      const order = [...fx.orders, ...fx.edge.orders].find((o) => o.id === orderId);
      if (!order || typeof spec.payload !== 'string') return false;
      let body: unknown;
      try {
        body = JSON.parse(spec.payload);
      } catch {
        return false;
      }
      const items = (body as { items?: unknown })?.items;
      if (!Array.isArray(items)) return false;
      const own = new Set(order.lines.map((l) => l.id));
      return items.some((item) => typeof (item as { itemId?: unknown })?.itemId === 'string' && !own.has(String((item as { itemId: string }).itemId).toLowerCase()));
    }

    function record(spec: Spec, answer: Answer, transport: boolean) {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const line = () => show(spec, answer);
      if (answer.status >= 500) flag('fiveHundreds', line(), spec, answer);
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(answer.body) as Record<string, unknown>;
      } catch {
        body = null;
      }
      // A HEAD answer has no body to carry a problem; a request refused by the HTTP parser never reached the app.
      if (answer.status >= 400 && spec.method !== 'HEAD' && !(transport && [400, 413, 414, 431].includes(answer.status))) {
        const ok = /^application\/problem\+json/.test(answer.contentType) && typeof body?.code === 'string' && body.status === answer.status;
        if (!ok) flag('notProblemJson', line(), spec, answer);
      }
      if (spec.mustRefuse && answer.status < 400) flag('acceptedInvalid', line(), spec, answer);
      else if (spec.expect && !spec.expect.includes(answer.status)) flag('unexpectedStatus', `expected ${spec.expect.join('|')}: ${line()}`, spec, answer);

      const action = body?.action as { id?: unknown; type?: unknown } | undefined;
      const isAction = typeof action?.id === 'string' && ([201, 202].includes(answer.status) || (answer.status === 422 && typeof body?.code === 'string'));
      if (spec.replayOf && (answer.status !== 202 || action?.id !== spec.replayOf)) flag('badReplay', line(), spec, answer);
      if (isAction) {
        const id = action!.id as string;
        if (spec.route?.actionType && spec.method === spec.route.method && action!.type !== spec.route.actionType) flag('wrongActionType', line(), spec, answer);
        if (fx.actions.includes(id) || accepted.has(id)) replays.count++;
        else {
          accepted.set(id, spec);
          if (namesForeignItems(spec)) foreign.set(id, spec);
        }
      }
      const method = spec.raw ? '' : spec.method;
      if (method === 'PUT' && spec.url.startsWith('/v1/inventory/sources/') && answer.status === 201) {
        direct.sourcesCreated.add(String(body?.code));
        direct.sourcesCreatedAnswers++;
      }
      if (method === 'PUT' && spec.url.startsWith('/v1/inventory/items/') && answer.status === 200) direct.skus.add(String(body?.sku));
      if (method === 'POST' && /^\/v1\/webhooks(\?|$)/.test(spec.url) && answer.status === 201) direct.webhooksCreated++;
      if (method === 'DELETE' && spec.url.startsWith('/v1/webhooks/') && answer.status === 204) direct.webhooksDeleted++;
      if (method === 'POST' && spec.url.startsWith('/v1/webhook-deliveries/') && answer.status === 202) direct.redelivered++;
    }

    async function send(spec: Spec) {
      const start = Date.now();
      try {
        await sendOne(spec);
      } finally {
        spent.set(spec.family, (spent.get(spec.family) ?? 0) + Date.now() - start);
      }
    }
    async function sendOne(spec: Spec) {
      const start = Date.now();
      families.set(spec.family, (families.get(spec.family) ?? 0) + 1);
      if (spec.raw) {
        const answers = rawAnswers(await sendRaw(port, spec.raw));
        if (answers.length === 0 && spec.raw.answerRequired) flag('noAnswer', show(spec), spec);
        for (const answer of answers) record(spec, answer, spec.raw.transport);
        return;
      }
      const res = await h.app.inject({
        method: spec.method as 'GET',
        url: spec.url,
        headers: spec.headers,
        ...(spec.payload === undefined ? {} : { payload: spec.payload }),
      });
      record(spec, { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: res.body }, false);
      const ms = Date.now() - start;
      if (res.statusCode < 300) Object.assign(latency, { accepted: latency.accepted + 1, acceptedMs: latency.acceptedMs + ms });
      else Object.assign(latency, { other: latency.other + 1, otherMs: latency.otherMs + ms });
    }

    await pooled(Array.from({ length: total }, (_, n) => n), concurrency, (n) => send(generate.next(n)));
    const sent = Date.now();

    // Let the workers apply or reject everything accepted. An action that failed blocks the later ones of its order
    // (they keep their place in line): those are reported below instead of waited for.
    await eventually(
      'every accepted action to be applied or rejected',
      async () => {
        const [row] = await h.sql<{ n: number }>(
          `select count(*)::int as n from actions a where a.status in ('queued', 'processing')
           and not exists (select 1 from actions f where f.order_id = a.order_id and f.seq < a.seq and f.status = 'failed')`,
        );
        return row!.n === 0;
      },
      60_000 + total * 10,
    );

    const rows = await h.sql<{ id: string; type: string; status: string; code: string | null; order_id: string; message: string | null; payload: string }>(
      `select id, type, status, error->>'code' as code, order_id, error->>'message' as message, left(payload::text, 300) as payload
       from actions where seq > ? and actor_name <> 'system' order by seq`,
      [baselineSeq],
    );
    const outcomes = new Map<string, number>();
    for (const row of rows) outcomes.set(row.status, (outcomes.get(row.status) ?? 0) + 1);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const foreignOutcomes = new Map<string, number>();
    for (const id of foreign.keys()) {
      const row = byId.get(id);
      const label = row ? `${row.status}${row.code ? ` ${row.code}` : ''}` : 'missing';
      foreignOutcomes.set(label, (foreignOutcomes.get(label) ?? 0) + 1);
    }
    const fiveHundreds = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
    const refused = [...statuses].filter(([status]) => status >= 400).reduce((sum, [, count]) => sum + count, 0);
    const sorted = (map: Map<string | number, number>) => Object.fromEntries([...map].sort(([a], [b]) => String(a).localeCompare(String(b))));
    console.log(
      [
        `hostile input: seed ${seed}, ${total} requests tried (${generate.numbers} of them the number sweep; ${concurrency} at a time) in ${((sent - started) / 1000).toFixed(1)} s, settled after ${((Date.now() - sent) / 1000).toFixed(1)} s`,
        `  statuses ${JSON.stringify(sorted(statuses))}; refused ${refused}; 5xx seen ${fiveHundreds}`,
        `  families (requests) ${JSON.stringify(sorted(families))}`,
        `  families (ms spent) ${JSON.stringify(sorted(spent))}; mean latency: 2xx ${(latency.acceptedMs / Math.max(1, latency.accepted)).toFixed(1)} ms, others ${(latency.otherMs / Math.max(1, latency.other)).toFixed(1)} ms`,
        `  actions accepted ${accepted.size} (+${replays.count} replays) → ${JSON.stringify(sorted(outcomes))}`,
        `  accepted with items of another order ${foreign.size} → ${JSON.stringify(sorted(foreignOutcomes))}`,
        `  direct writes: sources created ${direct.sourcesCreated.size}, SKUs set ${direct.skus.size}, webhooks created ${direct.webhooksCreated}, deleted ${direct.webhooksDeleted}, deliveries redelivered ${direct.redelivered}`,
        ...Object.entries(violations)
          .filter(([, list]) => list.length > 0)
          .map(([name, list]) => {
            const kinds = [...(signatures.get(name) ?? [])].sort(([, a], [, b]) => b - a).slice(0, 20).map(([signature, count]) => `${count}× ${signature}`);
            return `  ${name}: ${list.length}\n    ${kinds.join('\n    ')}\n    e.g. ${list.slice(0, 3).join('\n    e.g. ')}`;
          }),
      ].join('\n'),
    );

    // Never a 5xx; every error is problem+json with a code; invalid requests are refused with the status they call for.
    expect.soft(brief(violations.fiveHundreds), 'answers ≥ 500').toEqual([]);
    expect.soft(brief(violations.notProblemJson), 'errors that are not problem+json').toEqual([]);
    expect.soft(brief(violations.acceptedInvalid), 'invalid requests accepted').toEqual([]);
    expect.soft(brief(violations.unexpectedStatus), 'unexpected statuses').toEqual([]);
    expect.soft(brief(violations.badReplay), 'replays that did not return the recorded action').toEqual([]);
    expect.soft(brief(violations.noAnswer), 'raw requests left without an answer').toEqual([]);
    expect.soft(brief(violations.wrongActionType), 'actions of another type than the route').toEqual([]);

    // (a) Exactly the accepted requests left an action: one row per distinct accepted action, no other.
    expect.soft(rows.length, 'action rows vs distinct actions answered 201/202/422').toBe(accepted.size);
    const recordedButNotAnswered = brief(rows.filter((row) => !accepted.has(row.id)).map((row) => `${row.type} ${row.payload}`));
    const answeredButNotRecorded = brief([...accepted].filter(([id]) => !byId.has(id)).map(([, spec]) => show(spec)));
    expect.soft(recordedButNotAnswered, 'actions recorded that no answer announced').toEqual([]);
    expect.soft(answeredButNotRecorded, 'actions announced that were not recorded').toEqual([]);
    // (d) No worker threw on what the API accepted…
    const origin = (id: string, payload: string) => (accepted.get(id) ? show(accepted.get(id)!) : payload);
    const failed = rows.filter((row) => row.status === 'failed');
    expect.soft(brief(failed.map((row) => `${row.type}: ${row.message} ← ${origin(row.id, row.payload)}`)), 'actions failed').toEqual([]);
    // …and nothing is left unfinished (behind a failed action, the later ones of its order wait for good).
    const stuck = rows.filter((row) => row.status === 'queued' || row.status === 'processing');
    expect.soft(brief(stuck.map((row) => `${row.status} ${row.type} ← ${origin(row.id, row.payload)}`), 3), 'actions never finished').toEqual([]);
    // (b) Every accepted action naming items of another order (or of none) ended rejected.
    const notRejected = [...foreign.keys()].filter((id) => byId.get(id)?.status !== 'rejected');
    expect.soft(brief(notRejected.map((id) => `${byId.get(id)?.status ?? 'missing'} ${show(foreign.get(id)!)}`), 5), 'actions on foreign items not rejected').toEqual([]);
    // …and wrote nothing: every document, payment, delivery, order, hold and cancellation is one a succeeded
    // action of the same order names.
    const [counts] = await h.sql<Record<string, number>>(
      `select
         (select count(*) from invoices)::int as invoices,
         (select count(*) from actions where type = 'invoice.create' and status = 'succeeded')::int as invoice_actions,
         (select count(*) from shipments)::int as shipments,
         (select count(*) from actions where type = 'shipment.create' and status = 'succeeded')::int as shipment_actions,
         (select count(*) from refunds)::int as refunds,
         (select count(*) from actions where type in ('refund.create', 'return.refund') and status = 'succeeded')::int as refund_actions,
         (select count(*) from returns)::int as returns,
         (select count(*) from actions where type = 'return.request' and status = 'succeeded')::int as return_actions,
         (select count(*) from orders)::int as orders,
         (select count(*) from actions where type = 'order.place' and status = 'succeeded')::int as place_actions,
         (select count(*) from payments)::int as payments,
         ((select count(*) from actions where type = 'invoice.pay' and status = 'succeeded')
          + (select count(*) from invoices i join actions a on a.type = 'invoice.create' and a.status = 'succeeded'
               and a.result->>'invoiceId' = i.id::text
             where coalesce(a.payload->>'state', 'paid') = 'paid' and i.grand_total > 0))::int as payment_actions`,
    );
    expect.soft(counts!.invoices, 'invoices').toBe(counts!.invoice_actions);
    expect.soft(counts!.shipments, 'shipments').toBe(counts!.shipment_actions);
    expect.soft(counts!.refunds, 'refunds').toBe(counts!.refund_actions);
    expect.soft(counts!.returns, 'returns').toBe(counts!.return_actions);
    expect.soft(counts!.orders, 'orders').toBe(counts!.place_actions);
    expect.soft(counts!.payments, 'payments').toBe(counts!.payment_actions);
    const succeeded = (type: string, resultKey: string, alias: string) =>
      `exists (select 1 from actions a where a.type = '${type}' and a.status = 'succeeded' and a.order_id = ${alias}.order_id and a.result->>'${resultKey}' = ${alias}.id::text)`;
    const unexplained = await h.sql<{ kind: string; id: string }>(
      `select 'invoice' as kind, d.id::text from invoices d where not ${succeeded('invoice.create', 'invoiceId', 'd')}
       union all select 'shipment', d.id::text from shipments d where not ${succeeded('shipment.create', 'shipmentId', 'd')}
       union all select 'refund', d.id::text from refunds d
         where not ${succeeded('refund.create', 'refundId', 'd')} and not ${succeeded('return.refund', 'refundId', 'd')}
       union all select 'return', d.id::text from returns d where not ${succeeded('return.request', 'returnId', 'd')}
       union all select 'return ' || d.state, d.id::text from returns d where d.state <> 'requested'
         and not exists (select 1 from actions a where a.status = 'succeeded' and a.type = case d.state
                           when 'approved' then 'return.approve' when 'rejected' then 'return.reject' when 'canceled' then 'return.cancel'
                           when 'received' then 'return.receive' else 'return.refund' end
                         and a.result->>'returnId' = d.id::text)
       union all select 'payment', p.id::text from payments p
         where not ${succeeded('invoice.pay', 'paymentId', 'p')}
           and not exists (select 1 from actions a where a.type = 'invoice.create' and a.status = 'succeeded'
                           and a.result->>'invoiceId' = p.invoice_id::text and coalesce(a.payload->>'state', 'paid') = 'paid')
       union all select 'delivery', s.id::text from shipments s where s.delivered_at is not null
         and not exists (select 1 from actions a where a.type = 'shipment.deliver' and a.status = 'succeeded' and a.result->>'shipmentId' = s.id::text)
       union all select 'order', o.id::text from orders o
         where not exists (select 1 from actions a where a.type = 'order.place' and a.status = 'succeeded' and a.order_id = o.id)
       union all select 'hold', o.id::text from orders o
         where o.held <> coalesce((select a.type = 'order.hold' from actions a where a.order_id = o.id and a.status = 'succeeded'
                                   and a.type in ('order.hold', 'order.unhold') order by a.seq desc limit 1), false)
       union all select 'cancel', l.id::text from order_lines l where l.qty_canceled > 0
         and not exists (select 1 from actions a where a.type = 'order.cancel' and a.status = 'succeeded' and a.order_id = l.order_id)`,
    );
    expect.soft(unexplained.slice(0, 20), 'writes no succeeded action explains').toEqual([]);
    // (c) The database keeps every invariant.
    expect.soft(await checkInvariants(h.sql), 'invariants').toEqual([]);
    // Direct writes (inventory, webhooks) happened exactly where the API said so.
    const sources = (await h.sql<{ code: string }>('select code from inventory_sources')).map((row) => row.code).sort();
    expect.soft(sources, 'inventory sources').toEqual(['main', ...direct.sourcesCreated].sort());
    expect.soft(direct.sourcesCreatedAnswers, 'a source created twice').toBe(direct.sourcesCreated.size);
    const skus = (await h.sql<{ sku: string }>('select sku from inventory_items')).map((row) => row.sku).sort();
    expect.soft(skus, 'inventory items').toEqual([...new Set(['TSHIRT-M', ...direct.skus])].sort());
    const [subscriptions] = await h.sql<{ total: number; deleted: number }>(
      'select count(*)::int as total, (count(*) filter (where deleted_at is not null))::int as deleted from webhook_subscriptions',
    );
    expect.soft(subscriptions, 'webhook subscriptions').toEqual({ total: 2 + direct.webhooksCreated, deleted: 1 + direct.webhooksDeleted });
    // Nothing polluted this process's prototypes.
    expect.soft(Object.keys(Object.prototype), 'Object.prototype').toEqual([]);
    expect.soft(({} as Record<string, unknown>).polluted, 'polluted').toBeUndefined();

    // (e) The server is still up, through inject and over its socket.
    for (const path of ['/health/live', '/health/ready']) {
      expect.soft((await h.get(path, { key: null })).statusCode, path).toBe(200);
      expect.soft((await fetch(`http://127.0.0.1:${port}${path}`)).status, `${path} over HTTP`).toBe(200);
    }

    // The run exercised what it claims to (at CI size and up): every family, every kind of refusal, accepted work,
    // items of other orders refused for being theirs.
    if (total >= 1000) {
      expect([...families.keys()].sort()).toEqual([...generate.families].sort());
      for (const status of [202, 400, 401, 403, 404, 409, 413, 415]) expect(statuses.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(total * 0.5);
      expect(accepted.size).toBeGreaterThan(total * 0.05);
      expect(foreign.size).toBeGreaterThan(total * 0.02);
      expect(foreignOutcomes.get('rejected UNKNOWN_ITEM') ?? 0).toBeGreaterThan(0);
    }
  },
  120_000 + total * 60,
);

describe('slow clients (REQUEST_TIMEOUT_MS=1000, KEEP_ALIVE_TIMEOUT_MS=1000)', () => {
  const TIMEOUT_MS = 1000;
  /** Node looks for late requests every tenth of the timeout; the rest is for a busy machine. */
  const MARGIN_MS = 1500;
  let slow: Harness;
  let slowPort = 0;
  beforeAll(async () => {
    slow = await startHarness({ workers: false, env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), KEEP_ALIVE_TIMEOUT_MS: String(TIMEOUT_MS) } });
    await slow.app.listen({ port: 0, host: '127.0.0.1' });
    slowPort = (slow.app.server.address() as AddressInfo).port;
  });
  afterAll(() => slow?.close());

  /** Writes `head`, then `drip` one byte every 200 ms until the server closes the connection; what came back, and when. */
  function trickle(head: string, drip = ''): Promise<{ closedAfterMs: number; answers: Answer[] }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const chunks: Buffer[] = [];
      const socket = createConnection({ port: slowPort, host: '127.0.0.1' });
      let sent = 0;
      const timer = setInterval(() => {
        if (drip !== '' && socket.writable) socket.write(drip[sent++ % drip.length]!);
      }, 200);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ closedAfterMs: Date.now() - started, answers: rawAnswers(Buffer.concat(chunks)) });
      });
      if (head !== '') socket.write(head);
    });
  }

  function expectTimedOut({ closedAfterMs, answers }: { closedAfterMs: number; answers: Answer[] }) {
    expect(closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    expect(answer!.status).toBe(408);
    expect(answer!.contentType).toBe('application/problem+json');
    expect(JSON.parse(answer!.body)).toMatchObject({ type: 'urn:orderflow:problem:REQUEST_TIMEOUT', status: 408, code: 'REQUEST_TIMEOUT' });
  }

  it('answers 15 connections trickling a body at 1 byte per 200 ms 408 REQUEST_TIMEOUT and closes them in time; nothing is recorded', async () => {
    const body = JSON.stringify(orderBody({ externalId: 'slow-body' }));
    const head = (i: number) =>
      [
        'POST /v1/orders HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${KEYS.storefront}`,
        'Content-Type: application/json',
        `Idempotency-Key: slow-body-${i}`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        '',
      ].join('\r\n');
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => trickle(head(i), body)));
    for (const result of results) expectTimedOut(result);
    expect(await slow.sql('select count(*)::int as n from actions')).toEqual([{ n: 0 }]);
    expect((await fetch(`http://127.0.0.1:${slowPort}/health/live`)).status).toBe(200);
  });

  it('answers a connection trickling its headers, and one that sends nothing, 408 REQUEST_TIMEOUT in time', async () => {
    const [headers, silent] = await Promise.all([trickle('GET /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'abcdefghij'), trickle('')]);
    expectTimedOut(headers);
    expectTimedOut(silent);
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS, after answering what it asked', async () => {
    const { closedAfterMs, answers } = await trickle('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(answers.map((answer) => answer.status)).toEqual([200]);
    // Node closes a second after the timeout it advertises (Keep-Alive: timeout=1), so a client reusing the
    // connection at the last moment is not cut off mid-request.
    expect(closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(TIMEOUT_MS + 1000 + MARGIN_MS);
  });
});
