import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import type { ApiKey } from '../../config/config.js';
import { Problem } from '../api/problem.js';
import { schemaGuard } from '../validation.js';
import { ApiRefusal, isProblem, type ApiProblem } from './api.js';
import { HTML } from './http.js';
import { isTimeZone } from './format.js';
import { CONSOLE, errorPage } from './layout.js';
import { loginPage } from './pages/login.js';
import { signedInRoutes } from './routes.js';
import { keyOfSecret, SESSION_SECONDS, sessionCookie, signSession } from './session.js';

/** Pages load only their own stylesheet and script; forms post only here; no page can be framed. */
const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const ASSETS: Record<string, { type: string; content: Buffer }> = {
  'console.css': { type: 'text/css; charset=utf-8', content: readFileSync(new URL('./assets/console.css', import.meta.url)) },
  'console.js': { type: 'text/javascript; charset=utf-8', content: readFileSync(new URL('./assets/console.js', import.meta.url)) },
};

const LoginBody = Type.Object(
  { apiKey: Type.String({ maxLength: 1000 }), timeZone: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
const isLogin = schemaGuard(LoginBody);

const viewerOf = (request: FastifyRequest) => request.operator?.viewer ?? null;

/** What any error on a console route means for the operator, as a problem to show on a page. */
function problemOf(error: FastifyError | Error, request: FastifyRequest): ApiProblem {
  if (error instanceof ApiRefusal) return error.problem;
  if (error instanceof Problem) return { status: error.status, code: error.code, title: error.title, detail: error.message, errors: error.extra.errors };
  if ('validation' in error && error.validation) {
    return { status: 400, code: 'VALIDATION_FAILED', title: 'Invalid request', detail: `This address is not one the console makes: ${error.message}` };
  }
  if ('statusCode' in error && error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, code: 'BAD_REQUEST', title: 'Bad request', detail: error.message };
  }
  request.log.error({ err: error }, 'console error');
  return { status: 500, code: 'INTERNAL_ERROR', title: 'Something went wrong', detail: 'An unexpected error occurred; it is in the logs.' };
}

/**
 * The operator console (SPEC §3.10) at /console: server-rendered pages whose forms work without JavaScript. It is
 * a client of the API in the same process; it answers HTML, never problem+json.
 */
export const consolePlugin: FastifyPluginAsyncTypebox<{ keys: readonly ApiKey[] }> = async (app, { keys }) => {
  app.decorateRequest('operator', null);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const fields = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(String(body))) {
      if (fields.has(name)) return done(new Problem(400, 'FORM_INVALID', 'Invalid form', `The field ${name} was sent twice.`), undefined);
      fields.set(name, value);
    }
    done(null, Object.fromEntries(fields));
  });

  // On send, not on request: answers made before the console's hooks run (the rate limit, answered by the API's
  // hooks) become pages too, with the same headers.
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    const type = String(reply.getHeader('content-type') ?? '');
    let body = payload;
    const problem = type.startsWith('application/problem+json') && typeof payload === 'string' ? JSON.parse(payload) : null;
    if (isProblem(problem)) {
      reply.type(HTML);
      body = errorPage(problem, viewerOf(request));
    }
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('content-security-policy', CSP);
    return body;
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = problemOf(error, request);
    return reply.code(problem.status).type(HTML).send(errorPage(problem, viewerOf(request)));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(HTML)
      .send(errorPage({ status: 404, code: 'NOT_FOUND', title: 'Not found', detail: `The console has no page ${request.url}.` }, viewerOf(request))),
  );

  app.get('/assets/:name', { schema: { hide: true, params: Type.Object({ name: Type.String({ maxLength: 40 }) }) } }, async (request, reply) => {
    const asset = ASSETS[request.params.name];
    if (!asset) throw new Problem(404, 'NOT_FOUND', 'Not found', `No asset ${request.params.name}.`);
    return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.content);
  });

  app.get('/login', { schema: { hide: true } }, async (_request, reply) => reply.type(HTML).send(loginPage(null)));

  // No CSRF token here: there is no session yet, and signing someone in needs an admin key already.
  // Every attempt counts against the rate limit of the caller's address, like a request with a wrong key.
  app.post('/login', { schema: { hide: true } }, async (request, reply) => {
    const refuse = (status: number, message: string) => reply.code(status).type(HTML).send(loginPage(message));
    if (!isLogin(request.body)) return refuse(400, 'Type an API key.');
    const key = keyOfSecret(request.body.apiKey.trim(), keys);
    if (!key) return refuse(401, 'That is not an API key of this deployment.');
    if (key.role !== 'admin') return refuse(403, 'That is a storefront key: the console needs an admin key.');
    const timeZone = request.body.timeZone && isTimeZone(request.body.timeZone) ? request.body.timeZone : 'UTC';
    const expiresAt = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
    const cookie = signSession({ keyName: key.name, expiresAt, timeZone }, key);
    request.log.info({ key: key.name }, 'console sign-in');
    return reply.header('set-cookie', sessionCookie(cookie, request.protocol === 'https')).redirect(`${CONSOLE}/orders`, 303);
  });

  await app.register(signedInRoutes, { keys });
};
