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

/** An answer read off a raw socket; header names in lower case. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

/** The answers on a raw connection (pipelined ones too), final ones only. */
export function rawAnswers(buffer: Buffer): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = buffer.toString('latin1');
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const status = Number(statusLine!.slice(9, 12));
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? (status < 200 ? 0 : rest.length));
    const body = Buffer.from(rest.slice(end + 4, end + 4 + length), 'latin1').toString('utf8');
    if (status >= 200) answers.push({ status, headers, contentType: headers['content-type'] ?? '', body });
    rest = rest.slice(end + 4 + length);
  }
  return answers;
}
