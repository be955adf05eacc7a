import type { Static, TObject } from '@sinclair/typebox';
import type { Config, Role } from '../../config/config.js';
import type { InputProblem } from '../domain/placement.js';
import type { SequenceName } from '../db/sequences.js';
import type { OrderSnapshot, SnapshotPart } from '../db/snapshot.js';
import type { Changes } from '../db/write.js';
import type { ActionQueueName } from '../queues/names.js';
import type { StockMoves, StockView } from './stock.js';

/**
 * One definition per action type: how it is asked for over HTTP, what it stores, what it reads, the rule that
 * decides it and what it writes. The registry reads these for the routes, the OpenAPI document, the `Location` of
 * what an action created and the worker; nothing else switches on action type names.
 */

/** What the path of an action's route names, and so which order the action belongs to. */
export type Target =
  /** A new order: its id is made at intake. */
  | { kind: 'new-order' }
  /** `/…/orders/{id}/…`: the order itself. */
  | { kind: 'order' }
  /** `/…/{invoices|shipments|returns}/{id}/…`: a document of the order, stored in the payload under `field`. */
  | { kind: 'document'; table: 'invoices' | 'shipments' | 'returns'; field: string; noun: string };

export interface ActionRoute {
  /** Fastify path, e.g. `/v1/orders/:id/invoices`. */
  path: string;
  role: Role;
  summary: string;
  tag: string;
  target: Target;
  /** Placing an order requires an Idempotency-Key; other writes accept one. */
  keyRequired?: boolean;
  /** Constraints between fields that JSON schema cannot state, checked at intake (400 with every path). */
  check?(body: Record<string, unknown>): InputProblem[];
}

/** The action as the rule sees it. */
export interface ActionFacts {
  id: string;
  type: string;
  orderId: string;
  actorName: string;
  actorRole: string;
  createdAt: Date;
}

export interface PlanInput<P> {
  action: ActionFacts;
  payload: P;
  /** The action's order as it is now; null when it does not exist (a placement, or one that was rejected). */
  order: OrderSnapshot | null;
  stock: StockView;
  config: Config;
  now: Date;
}

/** A history entry an action writes; the runner adds who, when and what it sets off after commit. */
export interface HistoryEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Everything an applied action writes, and what it names as created. */
export interface Applied {
  changes: Changes;
  events: HistoryEvent[];
  result: Record<string, string>;
}

export interface ActionDefinition<P extends TObject = TObject, Plan = unknown> {
  type: string;
  queue: ActionQueueName;
  /** Null for actions orderflow records itself (the overdue scan's reminders). */
  route: ActionRoute | null;
  /** The request body; the API validates it. */
  body: TObject;
  /** What is stored and applied: the body, plus the document id the path named. The worker checks it again. */
  payload: P;
  /** Parts of the order the rule reads besides its row, lines and invoices. */
  needs: readonly SnapshotPart[];
  /**
   * Stock the rule reads: which SKUs (and sources), locked by the claim as `lock` says when the rule takes from
   * them, and how a decision moves them (what the next actions of the same batch must see).
   */
  stock?: {
    lock?: 'payloadItems' | 'orderLines';
    skus(payload: Static<P>, order: OrderSnapshot | null): string[];
    sources?(payload: Static<P>): string[];
    moves?(plan: Plan): StockMoves;
  };
  /** The gapless sequence a decided action takes one number of. */
  sequence?: SequenceName;
  /** The pure rule: decides, or throws a DomainError (a rejection) before anything is written. */
  plan(input: PlanInput<Static<P>>): Plan;
  /** What the decision writes; `number` is the action's number of `sequence`. Pure. */
  write(plan: Plan, input: PlanInput<Static<P>> & { number: string | null }): Applied;
  /** Where what the action created can be read. */
  location(result: Record<string, string>, orderId: string): string;
  /** The shape of `result` on success, for the OpenAPI document. */
  result: TObject;
}

/** Keeps the payload's static type between the parts of a definition. */
export function defineAction<P extends TObject, Plan>(definition: ActionDefinition<P, Plan>): ActionDefinition<P, Plan> {
  return definition;
}
