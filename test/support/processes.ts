import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Config } from '../../config/config.js';

/** The environment that makes another process join a harness: same database, Redis and queue prefix. */
export function harnessEnv(config: Config, keys: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info', // the start-up line tells the test the process is ready
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    API_KEYS: keys,
    JOB_BACKOFF_MS: String(config.jobBackoffMs),
    RELAY_INTERVAL_MS: String(config.relayIntervalMs),
    RELAY_AFTER_MS: String(config.relayAfterMs),
  };
}

/** A worker process (`tsx workers/all.ts`), as an operator would start one on another machine. */
export class WorkerProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/all.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('orderflow started')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker process exited with ${code} before starting: ${output}`)));
    });
    child.stdout!.resume();
    return new WorkerProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM, and the exit code once it has stopped. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  }
}
