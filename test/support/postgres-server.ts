import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** PG_BIN, else the newest Debian install under /usr/lib/postgresql. */
const BIN =
  process.env.PG_BIN ??
  join(
    '/usr/lib/postgresql',
    readdirSync('/usr/lib/postgresql', { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && /^\d+$/.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => Number(b) - Number(a))[0] ?? '15',
    'bin',
  );

/** Runs a PostgreSQL tool as the postgres user when we are root (initdb refuses root). */
function run(tool: string, args: string[]): string {
  const command = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]] : [join(BIN, tool), args];
  return execFileSync(command[0] as string, command[1] as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A private PostgreSQL cluster in a temporary directory on a spare port, for suites that restart or stop
 * PostgreSQL, or need settings of their own (e.g. pg_stat_statements), without touching the shared server.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(settings: Record<string, string> = {}): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'orderflow-pg-'));
    chmodSync(dir, 0o700);
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    const server = new PrivatePostgres(await freePort(), dir);
    server.settings = { fsync: 'off', full_page_writes: 'off', ...settings };
    server.start();
    return server;
  }

  private settings: Record<string, string> = {};

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  start(): void {
    const options = [
      `-p ${this.port}`,
      `-c listen_addresses=127.0.0.1`,
      `-c unix_socket_directories=${this.dir}`,
      ...Object.entries(this.settings).map(([key, value]) => `-c ${key}=${value}`),
    ].join(' ');
    run('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-o', options, '-w', '-t', '30', 'start']);
  }

  /** `fast` lets sessions end cleanly; `immediate` is a crash (recovery on the next start). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
