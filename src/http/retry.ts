/**
 * The one retry policy of the library (p-retry underneath): network errors, per-attempt timeouts, 429
 * and 5xx are retried with exponential backoff and full jitter, `Retry-After` is honoured, nothing else
 * is retried, and the whole loop respects the operation's deadline.
 *
 * @module
 */
import pRetry, { AbortError } from 'p-retry';
import { isZohoCrmError, RateLimitError, type ZohoCrmError } from '../errors.js';

/** @internal */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Backoff base: the first retry waits up to this long. */
  baseDelayMs: number;
  /** Backoff ceiling for one wait. */
  maxDelayMs: number;
  /** Aborts the loop (the operation's deadline and the caller's signal). */
  signal: AbortSignal;
  /** Source of randomness for jitter (tests inject a fixed one). */
  random?: () => number;
  /** Which typed errors are worth another attempt; defaults to `error.retryable`. */
  isRetryable?: (error: ZohoCrmError) => boolean;
  /** Called before each wait, e.g. for logging and the `rateLimited` event. */
  onRetry?: (error: ZohoCrmError, attempt: number, delayMs: number) => void;
}

/**
 * Full-jitter exponential backoff: a random wait between 0 and min(max, base × 2^(attempt-1)).
 * @internal
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error is thrown, retries run out or the signal aborts.
 * `attempt` throws typed errors; `error.retryable` decides. A `Retry-After` longer than `maxRetryAfterMs`
 * is not waited for: the rate-limit error is thrown at once.
 * @internal
 */
export function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy & { maxRetryAfterMs?: number },
): Promise<T> {
  return pRetry(
    async (attemptNumber) => {
      try {
        return await attempt(attemptNumber);
      } catch (error) {
        if (isZohoCrmError(error) && !(policy.isRetryable ?? defaultRetryable)(error))
          throw new AbortError(error);
        throw error;
      }
    },
    {
      retries: policy.retries,
      minTimeout: 0,
      signal: policy.signal,
      shouldRetry: async ({ error, attemptNumber }) => {
        if (!isZohoCrmError(error)) return false;
        const hinted = error instanceof RateLimitError ? error.retryAfterMs : undefined;
        if (hinted !== undefined && hinted > (policy.maxRetryAfterMs ?? 60_000)) return false;
        const delayMs = hinted ?? backoffDelay(attemptNumber, policy);
        policy.onRetry?.(error, attemptNumber, delayMs);
        await sleep(delayMs, policy.signal);
        return true;
      },
    },
  );
}

function defaultRetryable(error: ZohoCrmError): boolean {
  return error.retryable;
}

/** Waits `ms`, rejecting with the signal's reason if it aborts first. @internal */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
