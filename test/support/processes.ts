import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Config } from '../../config/config.js';
import { API_KEYS } from './harness.js';

/** The environment that makes another process join a harness: same database, Redis and queue prefix. */
export function harnessEnv(config: Config): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info', // the start-up line tells the test the process is ready
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    API_KEYS,
    JOB_BACKOFF_MS: String(config.jobBackoffMs),
    RELAY_INTERVAL_MS: String(config.relayIntervalMs),
    RELAY_AFTER_MS: String(config.relayAfterMs),
    RELAY_RECHECK_MS: String(config.relayRecheckMs),
  };
}

/** What an operator starts on a machine of its own: `workers/all.ts` (every worker) or `src/start-api.ts`. */
export type EntryPoint = 'workers/all.ts' | 'src/start-api.ts';

/** An orderflow process, started as an operator would, ready once it has logged that it started. */
export class OrderflowProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as never);
  }

  /** `logFile`, when given, receives the process's JSON log, for reading after a failed run. */
  static async start(entry: EntryPoint, env: NodeJS.ProcessEnv, logFile?: string): Promise<OrderflowProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const started = new OrderflowProcess(child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('orderflow started')) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before starting: ${output}`)));
    });
    if (logFile) {
      const log = createWriteStream(logFile);
      log.write(output);
      child.stdout!.pipe(log);
    } else {
      child.stdout!.resume();
    }
    return started;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, and the exit code once it has stopped. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return (await this.exited).code;
  }

  /** SIGKILL: no shutdown of any kind, as when a machine dies. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
