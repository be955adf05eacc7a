import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { EMAIL_KINDS, isEmailKind, type EmailKind } from '../src/domain/follow-ups.js';

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export type Role = 'storefront' | 'admin';

export interface ApiKey {
  name: string;
  role: Role;
  secret: string;
}

export interface SequenceFormat {
  prefix: string;
  padding: number;
  start: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  logLevel: string;
  databaseUrl: string;
  dbPoolMax: number;
  redisUrl: string;
  queuePrefix: string;
  apiKeys: ApiKey[];
  /** True when the keys were generated because API_KEYS was empty (development only). */
  apiKeysGenerated: boolean;
  bodyLimitBytes: number;
  /** A request's headers and body must arrive within this, else 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** A connection silent both ways this long is closed (longer than the longest `Prefer: wait`). */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  intakeMaxBacklog: number;
  jobAttempts: number;
  jobBackoffMs: number;
  /** How long a worker's lock on a job lasts unrenewed: a job of a crashed worker runs again after about this. */
  jobLockMs: number;
  failedJobRetentionDays: number;
  workerConcurrency: number;
  /** Batches of actions a worker process applies at the same time, each in its own transaction. */
  workerBatches: number;
  shutdownGraceMs: number;
  /** Serve /metrics on this port, without auth, in every process; null: on the API port behind an admin key. */
  metricsPort: number | null;
  rateLimitPerMinute: number;
  relayIntervalMs: number;
  relayAfterMs: number;
  /** How long the relay leaves an open follow-up whose job exists before it looks again (its job may be retrying). */
  relayRecheckMs: number;
  backorders: boolean;
  refundWindowDays: number;
  invoiceDueDays: number;
  seller: { name: string; address: string[]; email: string | null; vatId: string | null; logoPath: string | null; footer: string };
  mail: { smtpUrl: string | null; from: string; enabled: EmailKind[] };
  reminders: { intervalDays: number; max: number; scanIntervalMs: number };
  webhooks: { timeoutMs: number; attempts: number; backoffMs: number };
  /** Outbound requests (webhooks, the HTTP payment provider): whether internal addresses are allowed too. */
  outbound: { allowPrivateNetworks: boolean };
  paymentProvider: { kind: 'offline' } | { kind: 'http'; url: string };
  /**
   * Test-only fault point (FAULT_KILL_BEFORE_ENQUEUE=n, refused unless NODE_ENV=test): the API process kills itself
   * on its n-th accepted action, after the commit and before the enqueue, to prove that the relay applies it.
   */
  faultKillBeforeEnqueue: number | null;
  numbers: {
    order: SequenceFormat;
    invoice: SequenceFormat;
    shipment: SequenceFormat;
    refund: SequenceFormat;
    return: SequenceFormat;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration from the environment. Every variable has a working local default;
 * every bad value is reported, all at once, one line each.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name, String(fallback));
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name, String(fallback)).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name}=${JSON.stringify(raw)}: expected true or false`);
    return fallback;
  };
  const url = (name: string, fallback: string, protocols: string[]): string => {
    const raw = read(name, fallback);
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name}: expected a ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
      }
    } catch {
      problems.push(`${name}=${JSON.stringify(raw)}: not a URL`);
    }
    return raw;
  };
  const sequence = (doc: string, prefix: string, padding: number, start: number): SequenceFormat => ({
    prefix: env[`${doc}_NUMBER_PREFIX`] ?? prefix,
    padding: int(`${doc}_NUMBER_PADDING`, padding, 1, 20),
    start: int(`${doc}_NUMBER_START`, start, 1, 1_000_000_000_000),
  });

  const nodeEnv = read('NODE_ENV', 'development');
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV=${JSON.stringify(nodeEnv)}: expected development, production or test`);
  }
  const envName = (['production', 'test'].includes(nodeEnv) ? nodeEnv : 'development') as Config['env'];

  const queuePrefix = read('QUEUE_PREFIX', '{orderflow}');
  if (queuePrefix.includes(':')) problems.push(`QUEUE_PREFIX=${JSON.stringify(queuePrefix)}: must not contain ':'`);

  const { keys, generated } = parseApiKeys(read('API_KEYS', ''), envName, problems);

  const enabledEmails = read('EMAILS', EMAIL_KINDS.join(','))
    .split(',')
    .map((kind) => kind.trim())
    .filter((kind) => kind !== '' && kind !== 'none');
  const unknownEmails = enabledEmails.filter((kind) => !isEmailKind(kind));
  if (unknownEmails.length > 0) {
    problems.push(`EMAILS: unknown kind(s) ${unknownEmails.join(', ')}; known: ${EMAIL_KINDS.join(', ')} (or none)`);
  }
  const smtpUrl = read('SMTP_URL', '') === '' ? null : url('SMTP_URL', '', ['smtp:', 'smtps:']);
  if (envName === 'production' && smtpUrl === null && enabledEmails.length > 0) {
    problems.push('SMTP_URL: required in production while EMAILS enables e-mails (set EMAILS=none to send none)');
  }
  const providerKind = read('PAYMENT_PROVIDER', 'offline');
  let paymentProvider: Config['paymentProvider'] = { kind: 'offline' };
  if (providerKind === 'http') {
    const providerUrl = read('PAYMENT_PROVIDER_URL', '');
    if (providerUrl === '') problems.push('PAYMENT_PROVIDER_URL: required when PAYMENT_PROVIDER=http');
    else paymentProvider = { kind: 'http', url: url('PAYMENT_PROVIDER_URL', '', ['http:', 'https:']) };
  } else if (providerKind !== 'offline') {
    problems.push(`PAYMENT_PROVIDER=${JSON.stringify(providerKind)}: expected offline or http`);
  }
  const faultPoint = read('FAULT_KILL_BEFORE_ENQUEUE', '');
  if (faultPoint !== '' && envName !== 'test') problems.push('FAULT_KILL_BEFORE_ENQUEUE: a test-only fault point, refused unless NODE_ENV=test');
  const optional = (name: string) => (read(name, '') === '' ? null : read(name, ''));
  const logoPath = optional('PDF_LOGO_PATH');
  if (logoPath !== null && !readable(logoPath)) problems.push(`PDF_LOGO_PATH=${JSON.stringify(logoPath)}: no readable file there`);

  const config: Config = {
    env: envName,
    port: int('PORT', 3000, 0, 65535),
    host: read('HOST', '0.0.0.0'),
    logLevel: read('LOG_LEVEL', envName === 'test' ? 'warn' : 'info'),
    databaseUrl: url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/orderflow', ['postgres:', 'postgresql:']),
    dbPoolMax: int('DB_POOL_MAX', 10, 1, 200),
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    queuePrefix,
    apiKeys: keys,
    apiKeysGenerated: generated,
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    connectionTimeoutMs: int('CONNECTION_TIMEOUT_MS', 60_000, 31_000, 3_600_000),
    keepAliveTimeoutMs: int('KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000),
    intakeMaxBacklog: int('INTAKE_MAX_BACKLOG', 20_000, 1, 10_000_000),
    jobAttempts: int('JOB_ATTEMPTS', 8, 1, 100),
    jobBackoffMs: int('JOB_BACKOFF_MS', 1000, 1, 3_600_000),
    jobLockMs: int('JOB_LOCK_MS', 30_000, 1000, 600_000),
    failedJobRetentionDays: int('FAILED_JOB_RETENTION_DAYS', 7, 1, 365),
    workerConcurrency: int('WORKER_CONCURRENCY', 8, 1, 256),
    workerBatches: int('WORKER_BATCHES', 1, 1, 16),
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    metricsPort: read('METRICS_PORT', '') === '' ? null : int('METRICS_PORT', 9464, 1, 65535),
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    relayIntervalMs: int('RELAY_INTERVAL_MS', 5000, 100, 3_600_000),
    relayAfterMs: int('RELAY_AFTER_MS', 5000, 0, 3_600_000),
    relayRecheckMs: int('RELAY_RECHECK_MS', 60_000, 100, 86_400_000),
    backorders: bool('BACKORDERS', false),
    refundWindowDays: int('REFUND_WINDOW_DAYS', 30, 0, 3650),
    invoiceDueDays: int('INVOICE_DUE_DAYS', 30, 0, 3650),
    seller: {
      name: read('SELLER_NAME', 'orderflow demo store'),
      address: read('SELLER_ADDRESS', '')
        .split('|')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
      email: optional('SELLER_EMAIL'),
      vatId: optional('SELLER_VAT_ID'),
      logoPath,
      footer: read('PDF_FOOTER', 'Thank you for your order.'),
    },
    mail: { smtpUrl, from: read('MAIL_FROM', 'orderflow <no-reply@localhost>'), enabled: enabledEmails.filter(isEmailKind) },
    reminders: {
      intervalDays: int('REMINDER_INTERVAL_DAYS', 3, 1, 365),
      max: int('REMINDER_MAX', 3, 0, 100),
      scanIntervalMs: int('OVERDUE_SCAN_INTERVAL_MS', 900_000, 1000, 86_400_000),
    },
    webhooks: {
      timeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      attempts: int('WEBHOOK_ATTEMPTS', 14, 1, 50),
      backoffMs: int('WEBHOOK_BACKOFF_MS', 10_000, 1, 3_600_000),
    },
    outbound: { allowPrivateNetworks: bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false) },
    paymentProvider,
    faultKillBeforeEnqueue: faultPoint === '' || envName !== 'test' ? null : int('FAULT_KILL_BEFORE_ENQUEUE', 1, 1, 1_000_000),
    numbers: {
      order: sequence('ORDER', '', 9, 100_000_001),
      invoice: sequence('INVOICE', 'INV-', 6, 1),
      shipment: sequence('SHIPMENT', 'SHP-', 6, 1),
      refund: sequence('REFUND', 'RFD-', 6, 1),
      return: sequence('RETURN', 'RMA-', 6, 1),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseApiKeys(
  raw: string,
  env: Config['env'],
  problems: string[],
): { keys: ApiKey[]; generated: boolean } {
  if (raw === '') {
    if (env === 'production') {
      problems.push('API_KEYS: required in production, as comma-separated name:role:secret (roles: storefront, admin)');
      return { keys: [], generated: false };
    }
    return {
      keys: [
        { name: 'dev-storefront', role: 'storefront', secret: randomBytes(18).toString('base64url') },
        { name: 'dev-admin', role: 'admin', secret: randomBytes(18).toString('base64url') },
      ],
      generated: true,
    };
  }
  const keys: ApiKey[] = [];
  for (const [index, entry] of raw.split(',').entries()) {
    const [name, role, secret, ...rest] = entry.trim().split(':');
    if (!name || !secret || rest.length > 0 || (role !== 'storefront' && role !== 'admin')) {
      problems.push(`API_KEYS entry ${index + 1}: expected name:role:secret with role storefront or admin`);
      continue;
    }
    if (secret.length < 16) problems.push(`API_KEYS entry ${index + 1} (${name}): secret shorter than 16 characters`);
    // One name may carry several secrets of the same role: rotating a key keeps its orders and idempotency keys.
    if (keys.some((k) => k.name === name && k.role !== role)) {
      problems.push(`API_KEYS entry ${index + 1}: name ${name} is used with another role`);
    }
    if (keys.some((k) => k.secret === secret)) problems.push(`API_KEYS entry ${index + 1} (${name}): secret used by another key`);
    keys.push({ name, role, secret });
  }
  return { keys, generated: false };
}
