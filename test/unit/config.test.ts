import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/config.js';

const storefrontSecret = 'sf-secret-0123456789';
const adminSecret = 'admin-secret-0123456789';
const validKeys = `shop:storefront:${storefrontSecret},ops:admin:${adminSecret}`;

/** Runs loadConfig and returns its ConfigError; fails the test when it throws nothing or something else. */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, loadConfig returned');
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('runs locally with an empty environment on the SPEC §5 defaults', () => {
      const config = loadConfig({});
      expect(config.env).toBe('development');
      expect(config.port).toBe(3000);
      expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/orderflow');
      expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    });

    it('has a working default for every other setting', () => {
      const { apiKeys: _keys, ...config } = loadConfig({ NODE_ENV: 'development' });
      expect(config).toEqual({
        env: 'development',
        port: 3000,
        host: '0.0.0.0',
        logLevel: 'info',
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/orderflow',
        dbPoolMax: 10,
        redisUrl: 'redis://127.0.0.1:6379',
        queuePrefix: '{orderflow}',
        apiKeysGenerated: true,
        bodyLimitBytes: 1_048_576,
        requestTimeoutMs: 30_000,
        connectionTimeoutMs: 60_000,
        keepAliveTimeoutMs: 72_000,
        intakeMaxBacklog: 20_000,
        jobAttempts: 8,
        jobBackoffMs: 1000,
        jobLockMs: 30_000,
        failedJobRetentionDays: 7,
        workerConcurrency: 8,
        workerBatches: 1,
        shutdownGraceMs: 10_000,
        metricsPort: null,
        rateLimitPerMinute: 6000,
        relayIntervalMs: 5000,
        relayAfterMs: 5000,
        relayRecheckMs: 60_000,
        backorders: false,
        refundWindowDays: 30,
        invoiceDueDays: 30,
        seller: { name: 'orderflow demo store', address: [], email: null, vatId: null, logoPath: null, footer: 'Thank you for your order.' },
        mail: {
          smtpUrl: null,
          from: 'orderflow <no-reply@localhost>',
          enabled: [
            'order_placed',
            'invoice_created',
            'shipment_dispatched',
            'refund_issued',
            'order_canceled',
            'comment',
            'invoice_overdue',
            'return_approved',
            'return_rejected',
          ],
        },
        reminders: { intervalDays: 3, max: 3, scanIntervalMs: 900_000 },
        webhooks: { timeoutMs: 10_000, attempts: 14, backoffMs: 10_000 },
        outbound: { allowPrivateNetworks: false },
        paymentProvider: { kind: 'offline' },
        faultKillBeforeEnqueue: null,
        numbers: {
          order: { prefix: '', padding: 9, start: 100_000_001 },
          invoice: { prefix: 'INV-', padding: 6, start: 1 },
          shipment: { prefix: 'SHP-', padding: 6, start: 1 },
          refund: { prefix: 'RFD-', padding: 6, start: 1 },
          return: { prefix: 'RMA-', padding: 6, start: 1 },
        },
      });
    });

    it('treats empty and blank values as unset', () => {
      const config = loadConfig({ PORT: '', DATABASE_URL: '   ', REDIS_URL: '', BACKORDERS: ' ', NODE_ENV: '' });
      expect(config.env).toBe('development');
      expect(config.port).toBe(3000);
      expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/orderflow');
      expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
      expect(config.backorders).toBe(false);
    });

    it('logs at warn by default in the test environment', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).logLevel).toBe('warn');
    });
  });

  describe('values from the environment', () => {
    it('reads every setting it is given, trimming surrounding spaces', () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        API_KEYS: validKeys,
        SMTP_URL: 'smtp://mail.internal:2525',
        MAIL_FROM: 'Shop <shop@example.com>',
        EMAILS: 'order_placed, invoice_created',
        SELLER_NAME: 'Shop Ltd',
        SELLER_ADDRESS: '1 High St | London',
        SELLER_EMAIL: 'hello@shop.example',
        SELLER_VAT_ID: 'GB123',
        PDF_FOOTER: 'Thanks',
        REMINDER_INTERVAL_DAYS: '5',
        REMINDER_MAX: '2',
        OVERDUE_SCAN_INTERVAL_MS: '60000',
        WEBHOOK_TIMEOUT_MS: '5000',
        WEBHOOK_ATTEMPTS: '4',
        WEBHOOK_BACKOFF_MS: '100',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        PAYMENT_PROVIDER: 'http',
        PAYMENT_PROVIDER_URL: 'https://pay.internal/refunds',
        PORT: ' 8080 ',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'debug',
        DATABASE_URL: 'postgresql://app:pw@db.internal:5433/shop',
        DB_POOL_MAX: '25',
        REDIS_URL: 'rediss://cache.internal:6380',
        QUEUE_PREFIX: '{shop}',
        BODY_LIMIT_BYTES: '2048',
        REQUEST_TIMEOUT_MS: '5000',
        CONNECTION_TIMEOUT_MS: '45000',
        KEEP_ALIVE_TIMEOUT_MS: '4000',
        INTAKE_MAX_BACKLOG: '500',
        JOB_ATTEMPTS: '3',
        JOB_BACKOFF_MS: '250',
        JOB_LOCK_MS: '5000',
        FAILED_JOB_RETENTION_DAYS: '30',
        WORKER_CONCURRENCY: '16',
        WORKER_BATCHES: '3',
        SHUTDOWN_GRACE_MS: '0',
        METRICS_PORT: '9100',
        RATE_LIMIT_PER_MINUTE: '120',
        RELAY_INTERVAL_MS: '100',
        RELAY_AFTER_MS: '0',
        RELAY_RECHECK_MS: '2000',
        BACKORDERS: 'true',
        REFUND_WINDOW_DAYS: '0',
        INVOICE_DUE_DAYS: '14',
        ORDER_NUMBER_PREFIX: 'ORD-',
        ORDER_NUMBER_PADDING: '12',
        ORDER_NUMBER_START: '1000',
        INVOICE_NUMBER_PREFIX: 'F',
        INVOICE_NUMBER_PADDING: '8',
        INVOICE_NUMBER_START: '42',
      });
      expect(config).toEqual({
        env: 'production',
        port: 8080,
        host: '127.0.0.1',
        logLevel: 'debug',
        databaseUrl: 'postgresql://app:pw@db.internal:5433/shop',
        dbPoolMax: 25,
        redisUrl: 'rediss://cache.internal:6380',
        queuePrefix: '{shop}',
        apiKeys: [
          { name: 'shop', role: 'storefront', secret: storefrontSecret },
          { name: 'ops', role: 'admin', secret: adminSecret },
        ],
        apiKeysGenerated: false,
        bodyLimitBytes: 2048,
        requestTimeoutMs: 5000,
        connectionTimeoutMs: 45_000,
        keepAliveTimeoutMs: 4000,
        intakeMaxBacklog: 500,
        jobAttempts: 3,
        jobBackoffMs: 250,
        jobLockMs: 5000,
        failedJobRetentionDays: 30,
        workerConcurrency: 16,
        workerBatches: 3,
        shutdownGraceMs: 0,
        metricsPort: 9100,
        rateLimitPerMinute: 120,
        relayIntervalMs: 100,
        relayAfterMs: 0,
        relayRecheckMs: 2000,
        backorders: true,
        refundWindowDays: 0,
        invoiceDueDays: 14,
        seller: { name: 'Shop Ltd', address: ['1 High St', 'London'], email: 'hello@shop.example', vatId: 'GB123', logoPath: null, footer: 'Thanks' },
        mail: { smtpUrl: 'smtp://mail.internal:2525', from: 'Shop <shop@example.com>', enabled: ['order_placed', 'invoice_created'] },
        reminders: { intervalDays: 5, max: 2, scanIntervalMs: 60_000 },
        webhooks: { timeoutMs: 5000, attempts: 4, backoffMs: 100 },
        outbound: { allowPrivateNetworks: true },
        paymentProvider: { kind: 'http', url: 'https://pay.internal/refunds' },
        faultKillBeforeEnqueue: null,
        numbers: {
          order: { prefix: 'ORD-', padding: 12, start: 1000 },
          invoice: { prefix: 'F', padding: 8, start: 42 },
          shipment: { prefix: 'SHP-', padding: 6, start: 1 },
          refund: { prefix: 'RFD-', padding: 6, start: 1 },
          return: { prefix: 'RMA-', padding: 6, start: 1 },
        },
      });
    });

    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['False', false],
      ['0', false],
      ['no', false],
      ['off', false],
    ])('reads BACKORDERS=%s as %s', (raw, expected) => {
      expect(loadConfig({ BACKORDERS: raw }).backorders).toBe(expected);
    });

    it('accepts the bounds of a range', () => {
      expect(loadConfig({ PORT: '0' }).port).toBe(0);
      expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    });

    it('allows an empty document number prefix to be configured explicitly', () => {
      expect(loadConfig({ INVOICE_NUMBER_PREFIX: '' }).numbers.invoice.prefix).toBe('');
    });
  });

  describe('bad values', () => {
    it.each([
      ['PORT', 'abc', 'PORT="abc": expected a whole number from 0 to 65535'],
      ['PORT', '65536', 'PORT="65536": expected a whole number from 0 to 65535'],
      ['PORT', '-1', 'PORT="-1": expected a whole number from 0 to 65535'],
      ['PORT', '30.5', 'PORT="30.5": expected a whole number from 0 to 65535'],
      ['PORT', '1e3', 'PORT="1e3": expected a whole number from 0 to 65535'],
      ['DB_POOL_MAX', '0', 'DB_POOL_MAX="0": expected a whole number from 1 to 200'],
      ['JOB_ATTEMPTS', '101', 'JOB_ATTEMPTS="101": expected a whole number from 1 to 100'],
      ['RELAY_INTERVAL_MS', '99', 'RELAY_INTERVAL_MS="99": expected a whole number from 100 to 3600000'],
      ['ORDER_NUMBER_PADDING', '21', 'ORDER_NUMBER_PADDING="21": expected a whole number from 1 to 20'],
      ['INVOICE_NUMBER_START', '0', 'INVOICE_NUMBER_START="0": expected a whole number from 1 to 1000000000000'],
      ['BACKORDERS', 'maybe', 'BACKORDERS="maybe": expected true or false'],
      ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'sometimes', 'WEBHOOK_ALLOW_PRIVATE_NETWORKS="sometimes": expected true or false'],
      ['REQUEST_TIMEOUT_MS', '0', 'REQUEST_TIMEOUT_MS="0": expected a whole number from 1000 to 600000'],
      // Shorter than the longest Prefer: wait (30 s), a silent connection would be cut while its answer is awaited.
      ['CONNECTION_TIMEOUT_MS', '30000', 'CONNECTION_TIMEOUT_MS="30000": expected a whole number from 31000 to 3600000'],
      ['KEEP_ALIVE_TIMEOUT_MS', '0', 'KEEP_ALIVE_TIMEOUT_MS="0": expected a whole number from 1000 to 600000'],
      ['NODE_ENV', 'staging', 'NODE_ENV="staging": expected development, production or test'],
      ['DATABASE_URL', 'not a url', 'DATABASE_URL="not a url": not a URL'],
      ['DATABASE_URL', 'mysql://db/shop', 'DATABASE_URL: expected a postgres: or postgresql: URL, got mysql:'],
      ['REDIS_URL', 'http://cache:6379', 'REDIS_URL: expected a redis: or rediss: URL, got http:'],
      ['QUEUE_PREFIX', 'shop:queues', `QUEUE_PREFIX="shop:queues": must not contain ':'`],
    ])('refuses %s=%j with one line naming the variable', (name, raw, problem) => {
      const error = configErrorOf({ [name]: raw });
      expect(error.problems).toEqual([problem]);
      expect(error.name).toBe('ConfigError');
      expect(error.message).toBe(`Invalid configuration:\n  - ${problem}`);
    });

    it('reports every bad value at once, one line each, each naming its variable', () => {
      const env = {
        NODE_ENV: 'staging',
        PORT: 'eighty',
        DATABASE_URL: 'mysql://db/shop',
        REDIS_URL: 'nope',
        DB_POOL_MAX: '1000',
        BACKORDERS: 'sometimes',
        QUEUE_PREFIX: 'a:b',
        REFUND_NUMBER_PADDING: 'x',
        API_KEYS: 'shop:owner:0123456789abcdef',
      };
      const error = configErrorOf(env);
      expect(error.problems).toHaveLength(9);
      expect(error.problems).toEqual(
        expect.arrayContaining([
          'NODE_ENV="staging": expected development, production or test',
          'PORT="eighty": expected a whole number from 0 to 65535',
          'DATABASE_URL: expected a postgres: or postgresql: URL, got mysql:',
          'REDIS_URL="nope": not a URL',
          'DB_POOL_MAX="1000": expected a whole number from 1 to 200',
          'BACKORDERS="sometimes": expected true or false',
          `QUEUE_PREFIX="a:b": must not contain ':'`,
          'REFUND_NUMBER_PADDING="x": expected a whole number from 1 to 20',
          'API_KEYS entry 1: expected name:role:secret with role storefront or admin',
        ]),
      );
      for (const problem of error.problems) {
        expect(problem).not.toContain('\n');
        expect(Object.keys(env).filter((name) => problem.startsWith(name)), problem).toHaveLength(1);
      }
      for (const problem of error.problems) expect(error.message).toContain(`\n  - ${problem}`);
    });
  });

  describe('the test-only fault point', () => {
    it('is read in the test environment', () => {
      expect(loadConfig({ NODE_ENV: 'test', FAULT_KILL_BEFORE_ENQUEUE: '3' }).faultKillBeforeEnqueue).toBe(3);
    });

    it('is refused anywhere else, so no deployment can switch it on', () => {
      for (const env of [{}, { NODE_ENV: 'production', API_KEYS: validKeys, EMAILS: 'none' }]) {
        expect(configErrorOf({ ...env, FAULT_KILL_BEFORE_ENQUEUE: '1' }).problems).toEqual([
          'FAULT_KILL_BEFORE_ENQUEUE: a test-only fault point, refused unless NODE_ENV=test',
        ]);
      }
    });
  });

  describe('e-mail and payment provider', () => {
    it('refuses to start in production without SMTP_URL while e-mails are enabled', () => {
      const error = configErrorOf({ NODE_ENV: 'production', API_KEYS: validKeys });
      expect(error.problems).toEqual([
        'SMTP_URL: required in production while EMAILS enables e-mails (set EMAILS=none to send none)',
      ]);
    });

    it('refuses unknown e-mail kinds and an http provider without its URL', () => {
      const error = configErrorOf({ EMAILS: 'order_placed,newsletter', PAYMENT_PROVIDER: 'http' });
      expect(error.problems).toEqual([
        'EMAILS: unknown kind(s) newsletter; known: order_placed, invoice_created, shipment_dispatched, refund_issued, order_canceled, comment, invoice_overdue, return_approved, return_rejected (or none)',
        'PAYMENT_PROVIDER_URL: required when PAYMENT_PROVIDER=http',
      ]);
    });
  });

  describe('API keys', () => {
    it('refuses to start in production without API_KEYS', () => {
      const error = configErrorOf({ NODE_ENV: 'production', EMAILS: 'none' });
      expect(error.problems).toEqual([
        'API_KEYS: required in production, as comma-separated name:role:secret (roles: storefront, admin)',
      ]);
    });

    it('refuses to start in production with a blank API_KEYS', () => {
      const error = configErrorOf({ NODE_ENV: 'production', API_KEYS: '   ', EMAILS: 'none' });
      expect(error.problems).toEqual([
        'API_KEYS: required in production, as comma-separated name:role:secret (roles: storefront, admin)',
      ]);
    });

    it('generates a storefront and an admin key in development without API_KEYS', () => {
      const config = loadConfig({ NODE_ENV: 'development' });
      expect(config.apiKeysGenerated).toBe(true);
      expect(config.apiKeys.map(({ name, role }) => ({ name, role }))).toEqual([
        { name: 'dev-storefront', role: 'storefront' },
        { name: 'dev-admin', role: 'admin' },
      ]);
      const [storefront, admin] = config.apiKeys;
      expect(storefront!.secret).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(admin!.secret).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(storefront!.secret).not.toBe(admin!.secret);
    });

    it('generates fresh secrets on every start, never a fixed default', () => {
      const first = loadConfig({}).apiKeys.map((k) => k.secret);
      const second = loadConfig({}).apiKeys.map((k) => k.secret);
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(2);
      expect(second[0]).not.toBe(first[0]);
      expect(second[1]).not.toBe(first[1]);
    });

    it('uses the given keys and generates none when API_KEYS is set', () => {
      const config = loadConfig({ NODE_ENV: 'development', API_KEYS: validKeys });
      expect(config.apiKeysGenerated).toBe(false);
      expect(config.apiKeys).toEqual([
        { name: 'shop', role: 'storefront', secret: storefrontSecret },
        { name: 'ops', role: 'admin', secret: adminSecret },
      ]);
    });

    it('parses name:role:secret entries, trimming spaces around each entry', () => {
      const config = loadConfig({ API_KEYS: ` shop:storefront:${storefrontSecret} ,  ops:admin:${adminSecret}  ` });
      expect(config.apiKeys).toEqual([
        { name: 'shop', role: 'storefront', secret: storefrontSecret },
        { name: 'ops', role: 'admin', secret: adminSecret },
      ]);
    });

    it('accepts a secret of exactly 16 characters', () => {
      expect(loadConfig({ API_KEYS: 'shop:storefront:0123456789abcdef' }).apiKeys).toEqual([
        { name: 'shop', role: 'storefront', secret: '0123456789abcdef' },
      ]);
    });

    it('refuses an unknown role without echoing the secret', () => {
      const error = configErrorOf({ API_KEYS: `shop:storefront:${storefrontSecret},root:superuser:${adminSecret}` });
      expect(error.problems).toEqual([
        'API_KEYS entry 2: expected name:role:secret with role storefront or admin',
      ]);
      expect(error.message).not.toContain(adminSecret);
    });

    it('refuses a secret shorter than 16 characters, naming the entry but not the secret', () => {
      const error = configErrorOf({ API_KEYS: 'shop:storefront:0123456789abcde' });
      expect(error.problems).toEqual(['API_KEYS entry 1 (shop): secret shorter than 16 characters']);
      expect(error.message).not.toContain('0123456789abcde');
    });

    it('refuses a key name used with two roles', () => {
      const error = configErrorOf({
        API_KEYS: `shop:storefront:${storefrontSecret},shop:admin:${adminSecret}`,
      });
      expect(error.problems).toEqual(['API_KEYS entry 2: name shop is used with another role']);
    });

    it('accepts a second secret for the same name and role (rotating a key)', () => {
      const config = loadConfig({ API_KEYS: `shop:storefront:${storefrontSecret},shop:storefront:${adminSecret}` });
      expect(config.apiKeys).toEqual([
        { name: 'shop', role: 'storefront', secret: storefrontSecret },
        { name: 'shop', role: 'storefront', secret: adminSecret },
      ]);
    });

    it.each([
      ['a missing secret', 'shop:storefront'],
      ['an empty secret', 'shop:storefront:'],
      ['an empty name', ':storefront:0123456789abcdef'],
      ['a missing role', 'shop'],
      ['an extra field', 'shop:storefront:0123456789abcdef:extra'],
      ['a role in the wrong case', 'shop:Admin:0123456789abcdef'],
    ])('refuses an entry with %s', (_what, entry) => {
      const error = configErrorOf({ API_KEYS: entry });
      expect(error.problems).toEqual(['API_KEYS entry 1: expected name:role:secret with role storefront or admin']);
    });

    it('reports every bad entry at once', () => {
      const error = configErrorOf({
        NODE_ENV: 'production',
        EMAILS: 'none',
        API_KEYS: [
          `shop:storefront:${storefrontSecret}`,
          'pos:cashier:0123456789abcdef',
          'app:storefront:short',
          `shop:admin:${adminSecret}`,
        ].join(','),
      });
      expect(error.problems).toEqual([
        'API_KEYS entry 2: expected name:role:secret with role storefront or admin',
        'API_KEYS entry 3 (app): secret shorter than 16 characters',
        'API_KEYS entry 4: name shop is used with another role',
      ]);
    });
  });
});
