import type { Logger } from 'pino';
import { RetryLaterError } from './retry-later.js';

/**
 * A claim marks an effect (an e-mail, a webhook delivery) as being done by one job right now, so that a second job
 * for the same effect (handed over again by the relay, or started by BullMQ when the first one's process stalled)
 * does not do it a second time. A live holder renews its claim every `CLAIM_SECONDS / 3`; the claim of a holder
 * that died lapses after `CLAIM_SECONDS`, well before the queue's retries run out.
 */
export const CLAIM_SECONDS = 30;
const BUSY_POLL_MS = 1000;

/**
 * Another job holds the claim: not a failure, a retry once the claim lapsed (if its holder died) or sooner, when the
 * holder has usually finished (then there is nothing left to do).
 */
export class ClaimBusyError extends RetryLaterError {
  constructor(what: string, claimedAt: Date | null) {
    const lapses = (claimedAt?.getTime() ?? Date.now()) + CLAIM_SECONDS * 1000;
    super(`${what} is being handled by another job`, new Date(Math.min(lapses, Date.now() + BUSY_POLL_MS)));
    this.name = 'ClaimBusyError';
  }
}

/** Runs `work` while renewing a claim with `renew`. */
export async function whileClaimed<T>(renew: () => Promise<unknown>, work: () => Promise<T>, log: Logger): Promise<T> {
  const timer = setInterval(() => {
    renew().catch((error: unknown) => log.warn({ err: error }, 'could not renew a claim'));
  }, (CLAIM_SECONDS * 1000) / 3);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
