import { REJECTION_CODES, type RejectionCode } from '../domain/errors.js';

/** The codes of the API's own answers (SPEC §4), besides the rejections of actions (422, or an inventory write). */
export const HTTP_PROBLEM_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'IDEMPOTENCY_KEY_REQUIRED',
  'BAD_URL',
  'BAD_REQUEST',
  'WEBHOOK_URL_FORBIDDEN',
  'WEBHOOK_URL_UNRESOLVABLE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'REQUEST_TIMEOUT',
  'IDEMPOTENCY_KEY_REUSED',
  'PAYLOAD_TOO_LARGE',
  'URI_TOO_LONG',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'HEADERS_TOO_LARGE',
  'INTERNAL_ERROR',
  'DATABASE_UNAVAILABLE',
  'BACKLOG_FULL',
  'SHUTTING_DOWN',
] as const;

/** Every `code` a problem+json answer of the API can carry. */
export const PROBLEM_CODES = [...HTTP_PROBLEM_CODES, ...REJECTION_CODES] as const;

/** Codes of the console's own error pages (HTML, under /console), never answered by the API. */
export const CONSOLE_PROBLEM_CODES = ['FORM_INVALID', 'CSRF_TOKEN_INVALID'] as const;

export type ProblemCode = (typeof HTTP_PROBLEM_CODES)[number] | RejectionCode | (typeof CONSOLE_PROBLEM_CODES)[number];

/** An HTTP error with a stable code, answered as application/problem+json (RFC 9457). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
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

export function problemBody(status: number, code: ProblemCode, title: string, detail: string, extra: object = {}) {
  return { type: `urn:orderflow:problem:${code}`, title, status, detail, code, ...extra };
}

export const notFound = (what: string, id: string) =>
  new Problem(404, 'NOT_FOUND', 'Not found', `${what} ${id} does not exist`);
