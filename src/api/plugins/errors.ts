import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { Problem, problemBody, type ProblemCode, type ProblemField } from '../problem.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One entry per offending field, as a JSON pointer from the request part ("/items/0/qty", "/query/limit"). */
function validationFields(errors: readonly AjvError[], part: string | undefined): ProblemField[] {
  const prefix = part && part !== 'body' ? `/${part === 'querystring' ? 'query' : part}` : '';
  return errors.map((error) => {
    let path = error.instancePath;
    if (error.keyword === 'required') path += `/${String(error.params.missingProperty)}`;
    if (error.keyword === 'additionalProperties') path += `/${String(error.params.additionalProperty)}`;
    const message =
      error.keyword === 'additionalProperties' ? 'is not a known field' : (error.message ?? 'is invalid');
    return { path: `${prefix}${path}` || '/', message };
  });
}

const FASTIFY_CODES: Record<string, { status: number; code: ProblemCode; title: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', title: 'Malformed JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', title: 'Malformed JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', title: 'Bad request' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL', title: 'Bad URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'URI_TOO_LONG', title: 'URI too long' },
};

/**
 * Errors of the router, raised before any route (and its error handler) is found: an undecodable path, a path
 * parameter over the length limit. Fastify's `frameworkErrors` option.
 */
export function frameworkErrors(error: FastifyError, _request: unknown, reply: FastifyReply): FastifyReply {
  const known = FASTIFY_CODES[error.code] ?? { status: 400, code: 'BAD_REQUEST' as const, title: 'Bad request' };
  return sendProblem(reply, new Problem(known.status, known.code, known.title, error.message));
}

/**
 * Errors of a connection, raised before the app has a request to answer: a request whose headers and body did not
 * arrive within REQUEST_TIMEOUT_MS (a slow or stalled client), headers over Node's size limit, bytes that are not
 * HTTP. Fastify's `clientErrorHandler` option: the answer is written on the socket, which is then closed.
 */
export function clientErrors(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, title, detail]: [number, ProblemCode, string, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'Request timeout', 'The request did not arrive in time; send it again, all at once.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'Request header fields too large', 'The request headers are over the size limit.']
        : [400, 'BAD_REQUEST', 'Bad request', 'The request is not valid HTTP.'];
  this.log.debug({ err: error, code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(problemBody(status, code, title, detail));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  const { headers = {}, ...extra } = problem.extra;
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send(problemBody(problem.status, problem.code, problem.title, problem.message, extra));
}

const MAX_DEPTH = 32;

/**
 * Problems no schema catches in a parsed body (or query string, or path parameters, under `root`): strings PostgreSQL cannot store (NUL characters, unpaired UTF-16
 * surrogates — valid JSON escapes, but not text) and nesting deeper than any request needs. Walked without
 * recursion, so a hostile depth cannot exhaust the stack.
 */
export function bodyProblems(body: unknown, root = ''): ProblemField[] {
  const problems: ProblemField[] = [];
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: root, depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value === 'string') {
      if (/\u0000|\p{Surrogate}/u.test(value)) {
        problems.push({ path: path || '/', message: 'contains a NUL character or an unpaired surrogate' });
      }
    } else if (value && typeof value === 'object') {
      if (depth >= MAX_DEPTH) {
        problems.push({ path: path || '/', message: `is nested deeper than ${MAX_DEPTH} levels` });
        continue;
      }
      for (const [key, item] of Object.entries(value)) {
        const itemPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        pending.push({ value: key, path: itemPath, depth }, { value: item, path: itemPath, depth: depth + 1 });
      }
    }
  }
  return problems;
}

/** Maps every error to application/problem+json with a stable code: bad input is a 4xx, never a 500. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof Problem) return sendProblem(reply, error);
      if (error.validation) {
        const errors = validationFields(error.validation as AjvError[], error.validationContext);
        return sendProblem(
          reply,
          new Problem(400, 'VALIDATION_FAILED', 'Invalid request', `${errors.length} field(s) are invalid`, { errors }),
        );
      }
      const known = error.code ? FASTIFY_CODES[error.code] : undefined;
      if (known) return sendProblem(reply, new Problem(known.status, known.code, known.title, error.message));
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ err: error }, 'database unavailable');
        return sendProblem(
          reply,
          new Problem(503, 'DATABASE_UNAVAILABLE', 'Service unavailable', 'The database cannot be reached; retry later.', {
            headers: { 'retry-after': '5' },
          }),
        );
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return sendProblem(reply, new Problem(error.statusCode, 'BAD_REQUEST', 'Bad request', error.message));
      }
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(reply, new Problem(500, 'INTERNAL_ERROR', 'Internal error', 'An unexpected error occurred.'));
    });
    app.addHook('preValidation', async (request) => {
      // Query strings and path parameters can carry the same text PostgreSQL cannot store (`%00`).
      const errors = [...bodyProblems(request.body), ...bodyProblems(request.query, '/query'), ...bodyProblems(request.params, '/params')];
      if (errors.length > 0) {
        throw new Problem(400, 'VALIDATION_FAILED', 'Invalid request', `${errors.length} field(s) are invalid`, { errors });
      }
    });
    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, new Problem(404, 'NOT_FOUND', 'Not found', `No route ${request.method} ${request.url}`)),
    );
  },
  { name: 'errors' },
);
