/**
 * The one retry policy of the library (p-retry underneath): network errors, per-attempt timeouts, 429
 * and 5xx are retried with exponential backoff and full jitter, `Retry-After` is honoured, nothing else
 * is retried, and the whole loop respects the operation's deadline. The first attempt runs outside
 * p-retry, so a request that succeeds at once pays nothing for the machinery.
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
  /** Aborts the waits between attempts (the caller's signal). */
  signal?: AbortSignal | undefined;
  /** `performance.now()` time after which no further attempt starts; a wait that would end later is not begun. */
  deadlineAt?: number;
  /** Source of randomness for jitter (tests inject a fixed one). */
  random?: () => number;
  /** Longest `Retry-After` worth waiting for inside one operation. @default 60000 */
  maxRetryAfterMs?: number;
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
 * Runs `attempt` until it succeeds, a non-retryable error is thrown, retries run out, the deadline
 * would be passed, or the signal aborts. `attempt` throws typed errors; `isRetryable` decides. A policy
 * given as a function is built only once the first attempt has failed.
 * @internal
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  given: RetryPolicy | (() => RetryPolicy),
): Promise<T> {
  let policy: RetryPolicy;
  try {
    return await attempt(1);
  } catch (error) {
    policy = typeof given === 'function' ? given() : given;
    if (policy.retries < 1 || !(await waitBeforeRetry(error, 1, policy))) throw error;
  }
  return pRetry(
    async (retryNumber) => {
      try {
        return await attempt(retryNumber + 1);
      } catch (error) {
        // Stryker disable next-line ConditionalExpression: equivalent, shouldRetry refuses the same errors (this only skips it)
        if (isZohoCrmError(error) && !isRetryable(error, policy)) throw new AbortError(error);
        throw error;
      }
    },
    {
      retries: policy.retries - 1,
      minTimeout: 0,
      ...(policy.signal ? { signal: policy.signal } : {}),
      shouldRetry: ({ error, attemptNumber }) => waitBeforeRetry(error, attemptNumber + 1, policy),
    },
  );
}

function isRetryable(error: ZohoCrmError, policy: RetryPolicy): boolean {
  return policy.isRetryable ? policy.isRetryable(error) : error.retryable;
}

/** Decides whether `error` (from attempt number `attempt`) is worth another try, and waits if so. */
async function waitBeforeRetry(error: unknown, attempt: number, policy: RetryPolicy): Promise<boolean> {
  if (!isZohoCrmError(error) || !isRetryable(error, policy)) return false;
  const hinted = error instanceof RateLimitError ? error.retryAfterMs : undefined;
  // Stryker disable next-line ConditionalExpression: equivalent, `undefined > n` is false without the guard
  if (hinted !== undefined && hinted > (policy.maxRetryAfterMs ?? 60_000)) return false;
  const delayMs = hinted ?? backoffDelay(attempt, policy);
  // Stryker disable next-line ConditionalExpression: equivalent, `n >= undefined` is false without the guard
  if (policy.deadlineAt !== undefined && performance.now() + delayMs >= policy.deadlineAt) return false;
  policy.onRetry?.(error, attempt, delayMs);
  await sleep(delayMs, policy.signal);
  return true;
}

/** Waits `ms`, rejecting with the signal's reason if it aborts first. @internal */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      // Stryker disable next-line OptionalChaining: equivalent, onAbort is only registered on a signal
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
