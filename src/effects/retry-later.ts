/**
 * Raised by an effect that cannot run yet but has not failed (e.g. another job holds the claim on the same
 * message): its job waits until `retryAt` and runs again, without using up an attempt.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAt: Date,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}
