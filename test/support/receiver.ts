import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One HTTP request as a receiver got it: the raw body, byte for byte, is what a signature covers. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

/**
 * What a harness needs to deliver to receivers: they listen on 127.0.0.1 (tests send traffic to loopback only), an
 * address orderflow refuses as an outbound target unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on.
 */
export const RECEIVER_ON_LOOPBACK = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };

export interface Reply {
  status: number;
  body?: string | Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Decides the answer to a request; `earlier` holds the requests to the same path received before it. */
export type Responder = (request: ReceivedRequest, earlier: readonly ReceivedRequest[]) => Reply | Promise<Reply>;

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request, in the order received. */
  requests: ReceivedRequest[];
  /** Answers requests to `path` with `responder` (replacing an earlier one); other paths get 404. */
  route(path: string, responder: Responder): void;
  /** The requests received at `path`. */
  at(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 and a free port, standing in for a webhook subscriber or a payment gateway.
 * Records every request and answers as its routes say.
 */
export async function startReceiver(): Promise<Receiver> {
  const routes = new Map<string, Responder>();
  const requests: ReceivedRequest[] = [];
  const at = (path: string) => requests.filter((request) => request.path === path);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://receiver').pathname;
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const earlier = at(path);
      requests.push(request);
      const responder = routes.get(path);
      Promise.resolve(responder ? responder(request, earlier) : { status: 404, body: 'no such route' })
        .catch((error: unknown): Reply => ({ status: 500, body: `receiver failed: ${String(error)}` }))
        .then((reply) => {
          const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          const type = typeof reply.body === 'object' ? 'application/json' : 'text/plain';
          res.writeHead(reply.status, { 'content-type': type, ...reply.headers });
          res.end(body);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (path, responder) => void routes.set(path, responder),
    at,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export type Verification = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'stale' };

/**
 * What a subscriber does with `orderflow-signature: t=<unix seconds>,v1=<hex>`: recompute HMAC-SHA256 over
 * `${t}.${rawBody}` with its secret, compare in constant time, and refuse a timestamp more than `toleranceSeconds`
 * away from its own clock (a captured request replayed later).
 */
export function verifySignature(
  secret: string,
  header: string | string[] | undefined,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): Verification {
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' };
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d+$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, reason: 'mismatch' };
  const timestamp = Number(t);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp };
}
