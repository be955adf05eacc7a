import { ConnectionException } from '@mikro-orm/core';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up)
  '53300', // too many connections
  '3D000', // the database does not exist (dropped, or not created yet)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** True when an error means PostgreSQL cannot be reached now (as opposed to a bad query): answer 503, retry. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    if (current instanceof ConnectionException) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (current.name === 'KnexTimeoutError') return true;
    if (
      /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|is not currently accepting connections/i.test(
        current.message,
      )
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Runs `write` until it succeeds, as long as failures mean PostgreSQL cannot be reached and `forMs` has not passed.
 * For recording an effect that already happened outside (an e-mail the server accepted, money paid back): failing
 * there would make the job run the effect again.
 */
export async function writeWhileUnavailable<T>(write: () => Promise<T>, forMs = 60_000): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + pause > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
