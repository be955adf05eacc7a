import pino, { type Logger } from 'pino';
import type { Config } from '../config/config.js';

/** Structured JSON logs; pretty lines when a developer watches a terminal. */
export function createLogger(config: Pick<Config, 'env' | 'logLevel'>): Logger {
  const pretty = config.env === 'development' && process.stdout.isTTY;
  return pino({
    level: config.logLevel,
    base: { service: 'orderflow' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
