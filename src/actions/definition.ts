import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Action } from '../db/entities.js';
import type { ActionQueueName } from '../queues/names.js';
import { bodyValidator } from '../validation.js';
import type { AfterCommit } from './history.js';

/**
 * What a handler gets: the transaction's EntityManager, the action being applied, configuration, the clock, and
 * `afterCommit` to ask for work after commit (written to the outbox in the same transaction).
 */
export interface ActionContext {
  em: EntityManager;
  action: Action;
  config: Config;
  now: Date;
  log: Logger;
  afterCommit: AfterCommit;
}

/** Names what an action created, e.g. `{ orderId }` or `{ invoiceId }`. */
export type ActionResult = Record<string, string>;

/** Raised when a stored payload no longer matches its schema: a defect to fix, not a condition to retry. */
export class InvalidPayloadError extends Error {
  constructor(type: string, problems: string[]) {
    super(`stored payload of ${type} does not match its schema: ${problems.join('; ')}`);
    this.name = 'InvalidPayloadError';
  }
}

export interface ActionDefinition<S extends TSchema = TSchema> {
  type: string;
  queue: ActionQueueName;
  /** JSON schema of the request body; the API validates against it and the worker checks it again. */
  schema: S;
  apply(ctx: ActionContext, payload: unknown): Promise<ActionResult>;
}

/** A new action type is a schema, a pure rule called by `handle`, and this definition. */
export function defineAction<S extends TSchema>(definition: {
  type: string;
  queue: ActionQueueName;
  schema: S;
  handle(ctx: ActionContext, payload: Static<S>): Promise<ActionResult>;
}): ActionDefinition<S> {
  const check = bodyValidator(definition.schema);
  return {
    type: definition.type,
    queue: definition.queue,
    schema: definition.schema,
    apply(ctx, payload) {
      if (!check(payload)) {
        throw new InvalidPayloadError(definition.type, (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
      }
      return definition.handle(ctx, payload as Static<S>);
    },
  };
}
