import type { FastifyRequest } from 'fastify';
import type { ApiKey } from '../../config/config.js';
import type { ApiClient } from './api.js';
import type { Viewer } from './layout.js';

/** The signed-in operator of a console request: who they are, and the API client acting with their key. */
export interface Operator {
  viewer: Viewer;
  api: ApiClient;
  key: ApiKey;
  /** The session cookie's value, which the CSRF token is bound to. */
  cookie: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for console routes behind the sign-in. */
    operator: Operator | null;
  }
}

export function operatorOf(request: FastifyRequest): Operator {
  if (!request.operator) throw new Error('console route reached without a session');
  return request.operator;
}
