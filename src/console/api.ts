import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { UnfinishedAction } from '../api/routes/actions.js';
import type { SourceView, StockView } from '../api/routes/inventory.js';
import type { ActionView } from '../api/views/actions.js';
import type { InvoiceView, RefundView, ReturnView, ShipmentView } from '../api/views/documents.js';
import type { EventView, OrderSummary, OrderView } from '../api/views/orders.js';
import { schemaGuard } from '../validation.js';

/**
 * The console is a client of the HTTP API, in-process: every read and every action goes through the API's own
 * routes (auth, validation, rate limit, intake) with the signed-in admin key, so it can never disagree with them.
 * The types are the API's response schemas.
 */
export type Order = OrderView;
export type Action = ActionView;
export type Invoice = Static<typeof InvoiceView>;
export type Shipment = Static<typeof ShipmentView>;
export type Refund = Static<typeof RefundView>;
export type Return = Static<typeof ReturnView>;
export type HistoryEvent = Static<typeof EventView>;
export type OrderListItem = Static<typeof OrderSummary>;
export type Stock = Static<typeof StockView>;
export type Source = Static<typeof SourceView>;
export type Unfinished = Static<typeof UnfinishedAction>;
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An application/problem+json answer (SPEC §4), as far as the console shows it. */
const ProblemAnswer = Type.Object({
  status: Type.Integer(),
  code: Type.String(),
  title: Type.String(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  /** A rejection (422) carries its action, whose error details hold the figures behind it. */
  action: Type.Optional(
    Type.Object({ error: Type.Union([Type.Object({ details: Type.Record(Type.String(), Type.Unknown()) }), Type.Null()]) }),
  ),
});
export type ApiProblem = Static<typeof ProblemAnswer>;
export const isProblem = schemaGuard(ProblemAnswer);

export type Read<T> = { ok: true; value: T } | { ok: false; problem: ApiProblem };

export type WriteOutcome =
  | { kind: 'applied' | 'pending'; action: Action }
  /** `recorded`: the API recorded an action under the form's key, so a new attempt needs a new key. */
  | { kind: 'refused'; problem: ApiProblem; recorded: boolean };

/** How long a form waits for its action to be applied before showing it as still running. */
const WAIT_SECONDS = 3;

function problemOf(res: LightMyRequestResponse): ApiProblem {
  const body: unknown = /^application\/problem\+json/.test(String(res.headers['content-type'])) ? res.json() : null;
  if (isProblem(body)) return body;
  return { status: res.statusCode, code: 'UNEXPECTED_ANSWER', title: 'Unexpected answer', detail: `The API answered ${res.statusCode}.` };
}

export class ApiClient {
  constructor(
    private readonly app: FastifyInstance,
    private readonly secret: string,
    /** The console request's id: the API requests it makes, and the actions they record, carry it in the logs. */
    private readonly requestId: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.secret}`, 'x-request-id': this.requestId, ...extra };
  }

  /** The raw answer, for documents that are not JSON (PDFs). */
  fetch(path: string): Promise<LightMyRequestResponse> {
    return this.app.inject({ method: 'GET', url: path, headers: this.headers() });
  }

  async get<T>(path: string): Promise<Read<T>> {
    const res = await this.fetch(path);
    return res.statusCode === 200 ? { ok: true, value: res.json<T>() } : { ok: false, problem: problemOf(res) };
  }

  /** Reads that the page cannot do without: a problem here is the page's error. */
  async need<T>(path: string): Promise<T> {
    const read = await this.get<T>(path);
    if (!read.ok) throw new ApiRefusal(read.problem);
    return read.value;
  }

  /** Records an action through the intake and waits briefly for its outcome. */
  async write(path: string, body: object, idempotencyKey: string): Promise<WriteOutcome> {
    const res = await this.app.inject({
      method: 'POST',
      url: path,
      headers: this.headers({ 'idempotency-key': idempotencyKey, prefer: `wait=${WAIT_SECONDS}` }),
      payload: body,
    });
    const accepted = res.statusCode === 201 || res.statusCode === 202 ? res.json<{ action: Action }>().action : null;
    if (accepted) return { kind: res.statusCode === 201 ? 'applied' : 'pending', action: accepted };
    return { kind: 'refused', problem: problemOf(res), recorded: res.statusCode === 422 || res.statusCode === 409 };
  }
}

/** A problem answer of the API that the console shows as its own page. */
export class ApiRefusal extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.detail);
    this.name = 'ApiRefusal';
  }
}
