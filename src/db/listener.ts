import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * One PostgreSQL connection per process that LISTENs for notifications (sent with `pg_notify` in a transaction, so
 * they arrive only once it committed). It reconnects by itself; while it is away nothing is heard, so whoever
 * relies on it must also look for itself: `connected` says whether it can be trusted, and `onReconnect` tells when
 * to look again for what may have been missed.
 */
export class Listener {
  private client: pg.Client | null = null;
  private readonly handlers = new Map<string, ((payload: string) => void)[]>();
  private readonly reconnected: (() => void)[] = [];
  private closed = false;
  private reconnecting = false;
  connected = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  on(channel: string, handler: (payload: string) => void): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  onReconnect(handler: () => void): void {
    this.reconnected.push(handler);
  }

  /** Connects and LISTENs; resolves once listening (or after the first failure, leaving reconnecting to itself). */
  async start(): Promise<void> {
    await this.connect().catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not listen for notifications yet; retrying');
      void this.reconnect();
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', (error) => this.log.warn({ err: error }, 'notification connection error'));
    client.on('end', () => {
      this.connected = false;
      this.client = null;
      if (!this.closed) void this.reconnect();
    });
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    this.client = client;
    this.connected = true;
    for (const handler of this.reconnected) handler();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      for (let pause = 200; !this.closed && !this.connected; pause = Math.min(pause * 2, 5000)) {
        await sleep(pause, undefined, { ref: false });
        if (this.closed || this.connected) return;
        try {
          await this.connect();
        } catch (error) {
          this.log.debug({ err: error }, 'notification connection still down');
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
