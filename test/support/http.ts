import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** An application/problem+json body (SPEC §4); rejections also carry the `action`. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- extra members (action, actionId, …) differ per problem
  [key: string]: any;
}

/** Checks the problem+json envelope (status, content type, type URN, code, title, detail) and returns the body. */
export function problem(res: LightMyRequestResponse, status: number, code: string): ProblemBody {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<ProblemBody>();
  expect(body).toMatchObject({ type: `urn:orderflow:problem:${code}`, status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

/** An entry of GET /v1/orders/{id}/history. */
export interface HistoryEvent {
  id: number;
  type: string;
  actor: string;
  actionId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}
