import { lookup as dnsLookup, promises as dns, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, isIPv4, type LookupFunction } from 'node:net';

/**
 * Requests orderflow makes to URLs it was given (webhook subscriptions, the HTTP payment provider), guarded against
 * server-side request forgery: a URL that names or resolves to an address inside the network (loopback, private,
 * link-local and cloud metadata, unique-local, multicast, unspecified, reserved) is refused, at subscription and
 * again at every request, against the address actually connected to.
 */
export interface OutboundPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: internal addresses allowed too (development, tests). */
  allowPrivateNetworks: boolean;
}

/** Why a URL was refused: it (or what it resolves to) is not allowed, or its name does not resolve. */
export class OutboundRefusedError extends Error {
  constructor(
    readonly reason: 'forbidden' | 'unresolvable',
    message: string,
  ) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export type AddressKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared (carrier-grade NAT)'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'reserved';

/** The first kind that matches names an address: `reserved`, whose ::/8 holds `::` and `::1`, comes last. */
const RANGES: Record<AddressKind, { ipv4?: string[]; ipv6?: string[] }> = {
  unspecified: { ipv4: ['0.0.0.0/8'], ipv6: ['::/128'] },
  loopback: { ipv4: ['127.0.0.0/8'], ipv6: ['::1/128'] },
  private: { ipv4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], ipv6: ['64:ff9b:1::/48', 'fec0::/10'] },
  'shared (carrier-grade NAT)': { ipv4: ['100.64.0.0/10'] },
  // 169.254.169.254 and fd00:ec2::254 are the cloud metadata services.
  'link-local': { ipv4: ['169.254.0.0/16'], ipv6: ['fe80::/10'] },
  'unique-local': { ipv6: ['fc00::/7'] },
  multicast: { ipv4: ['224.0.0.0/4'], ipv6: ['ff00::/8'] },
  // Protocol assignments, documentation, benchmarking, 6to4 relays, future use and broadcast; on IPv6 the rest of
  // ::/8 (IPv4-compatible addresses), the discard prefix, documentation and benchmarking.
  reserved: {
    ipv4: ['192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4'],
    ipv6: ['::/8', '100::/64', '2001:2::/48', '2001:db8::/32', '3fff::/20'],
  },
};

/**
 * One list per kind and family: a BlockList matches IPv4 addresses against its IPv6 rules too (as IPv4-mapped), so
 * `::/8` in a shared list would catch every IPv4 address.
 */
const BLOCKS = (Object.entries(RANGES) as [AddressKind, { ipv4?: string[]; ipv6?: string[] }][]).map(([kind, ranges]) => {
  const lists = { ipv4: new BlockList(), ipv6: new BlockList() };
  for (const type of ['ipv4', 'ipv6'] as const) {
    for (const range of ranges[type] ?? []) {
      const [network, prefix] = range.split('/');
      lists[type].addSubnet(network!, Number(prefix), type);
    }
  }
  return { kind, ...lists };
});

const kindIn = (address: string, type: 'ipv4' | 'ipv6') => BLOCKS.find((block) => block[type].check(address, type))?.kind ?? null;

/** The eight 16-bit groups of a valid IPv6 address (without a zone), a trailing dotted quad included. */
function ipv6Groups(address: string): number[] {
  let head = address;
  const tail: number[] = [];
  const quad = /:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(head);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    tail.push(a * 256 + b, c * 256 + d);
    head = head.slice(0, quad.index + 1);
  }
  const groups = (part: string) => part.split(':').filter((group) => group !== '').map((group) => parseInt(group, 16));
  const [left = '', right] = head.split('::');
  if (right === undefined) return [...groups(left), ...tail];
  const known = [...groups(left), ...groups(right), ...tail].length;
  return [...groups(left), ...Array<number>(8 - known).fill(0), ...groups(right), ...tail];
}

const quadOf = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');

/**
 * The IPv4 address an IPv6 address carries to an IPv4 host: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96)
 * and 6to4 (2002:aabb:ccdd::/48). Each reaches that IPv4 address, so it is judged as that address.
 */
function embeddedIPv4(groups: number[]): string | null {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return quadOf(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return quadOf(g6, g7);
  if (g0 === 0x2002) return quadOf(g1, g2);
  return null;
}

/** What kind of internal address `address` (an IPv4 or IPv6 literal) is; null for a public address. */
export function addressKind(address: string): AddressKind | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(bare)) return kindIn(bare, 'ipv4');
  if (isIP(bare) !== 6) throw new TypeError(`not an IP address: ${address}`);
  const carried = embeddedIPv4(ipv6Groups(bare));
  if (carried !== null) return addressKind(carried);
  return kindIn(bare, 'ipv6');
}

const withArticle = (kind: AddressKind) => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} address`;

/**
 * Names that mean a host inside the network whatever a resolver answers: localhost (RFC 6761), the private-use
 * `.internal` (metadata.google.internal, *.ec2.internal), multicast DNS `.local` and home networks `.home.arpa`.
 */
const INTERNAL_NAME = /(^|\.)(localhost|internal|local|home\.arpa)$/;

/** The URL's host as a resolver or a socket takes it: no IPv6 brackets, no trailing dot. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');

/** The URL, once its scheme, credentials and (unless allowed) internal name or address literal are checked. */
function allowedUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('forbidden', 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundRefusedError('forbidden', `${url.protocol} URLs are not allowed: use http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new OutboundRefusedError('forbidden', 'the URL carries credentials: put secrets elsewhere');
  }
  if (policy.allowPrivateNetworks) return url;
  const host = hostOf(url);
  const kind = isIP(host) ? addressKind(host) : null;
  if (kind) throw new OutboundRefusedError('forbidden', `${host} is ${withArticle(kind)}`);
  if (INTERNAL_NAME.test(host)) throw new OutboundRefusedError('forbidden', `${host} names a host inside the network`);
  return url;
}

/** The first address of `addresses` that is internal, as the refusal to throw; null when all are public. */
function internalAmong(host: string, addresses: readonly LookupAddress[]): OutboundRefusedError | null {
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind) return new OutboundRefusedError('forbidden', `${host} resolves to ${address}, ${withArticle(kind)}`);
  }
  return null;
}

/**
 * Checks a URL before it is stored or used: http(s) only, no credentials, and unless the policy allows private
 * networks, no internal name or address, and a name that resolves, to public addresses only (every address it
 * resolves to: a client may connect to any of them). Throws OutboundRefusedError.
 */
export async function checkOutboundUrl(raw: string, policy: OutboundPolicy): Promise<void> {
  const host = hostOf(allowedUrl(raw, policy));
  if (policy.allowPrivateNetworks || isIP(host)) return;
  let addresses: LookupAddress[];
  try {
    addresses = await dns.lookup(host, { all: true, verbatim: true });
  } catch (error) {
    throw new OutboundRefusedError('unresolvable', `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const refusal = internalAmong(host, addresses);
  if (refusal) throw refusal;
}

/**
 * The socket's resolver: it resolves the name, refuses it when any address is internal, and hands the socket the
 * addresses it checked, so that the connection goes to a checked address (a name that rebinds between a check and
 * the connection cannot slip through).
 */
function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true as const }, (error, addresses) => {
      if (error) return callback(error, '');
      const refusal = policy.allowPrivateNetworks ? null : internalAmong(hostname, addresses);
      if (refusal) return callback(refusal, '');
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      return first ? callback(null, first.address, first.family) : callback(new OutboundRefusedError('unresolvable', `${hostname} does not resolve`), '');
    });
  };
}

/** At most this much of an answer is read: callers keep an excerpt or a small JSON document. */
const MAX_ANSWER_BYTES = 65_536;

export interface OutboundRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** Ends the request, the answer's body included (AbortSignal.timeout). */
  signal: AbortSignal;
}

export interface OutboundAnswer {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}

/**
 * Sends one request under the policy, as `fetch` would, except that redirects are never followed (a 3xx is the
 * answer), the connection goes only to checked addresses, and at most MAX_ANSWER_BYTES of the answer are read.
 * Throws OutboundRefusedError for a refused URL (nothing is sent), the signal's reason when it fires, and the
 * socket's error when the connection fails.
 */
export async function outboundFetch(raw: string, init: OutboundRequest, policy: OutboundPolicy): Promise<OutboundAnswer> {
  const url = allowedUrl(raw, policy);
  init.signal.throwIfAborted();
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = send(url, {
      method: init.method,
      headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
      // A connection of its own, resolved and checked for this request: no pooled socket outlives its check.
      agent: false,
      lookup: guardedLookup(policy),
    });
    const abort = () => request.destroy(init.signal.reason as Error);
    init.signal.addEventListener('abort', abort, { once: true });
    const fail = (error: Error) => {
      init.signal.removeEventListener('abort', abort);
      reject(init.signal.aborted ? (init.signal.reason as Error) : error);
    };
    request.on('error', fail);
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        init.signal.removeEventListener('abort', abort);
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        request.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
        size += chunk.length;
        if (size >= MAX_ANSWER_BYTES) done();
      });
      response.on('end', done);
      response.on('error', fail);
    });
    request.end(init.body);
  });
  return { status, ok: status >= 200 && status <= 299, text: async () => body };
}
