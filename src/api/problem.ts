/** An HTTP error with a stable code, answered as application/problem+json (RFC 9457). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extra: { errors?: ProblemField[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }
}

export interface ProblemField {
  path: string;
  message: string;
}

export function problemBody(status: number, code: string, title: string, detail: string, extra: object = {}) {
  return { type: `urn:orderflow:problem:${code}`, title, status, detail, code, ...extra };
}

export const notFound = (what: string, id: string) =>
  new Problem(404, 'NOT_FOUND', 'Not found', `${what} ${id} does not exist`);
