/**
 * What the stores' `withLock` implementations share: the `ttlMs` check and the jittered wait between
 * attempts to take a lock.
 *
 * @internal
 * @module
 */
import { TokenStoreError } from '../errors.js';
import { quoteId } from './messages.js';

/**
 * Throws a `RangeError` unless `ttlMs` is a positive finite number (a programming error).
 * @internal
 */
export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError('withLock: ttlMs must be a positive number of milliseconds');
  }
  return Math.ceil(ttlMs);
}

/**
 * Sleeps for a jittered backoff step (between half and all of `ms`), never past `deadline`.
 * @internal
 */
export function backoffDelay(ms: number, deadline: number): Promise<void> {
  const wait = Math.max(0, Math.min(ms / 2 + Math.random() * (ms / 2), deadline - Date.now()));
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/** First wait between attempts to take a lock, in ms; it doubles up to {@link MAX_BACKOFF_MS}. @internal */
export const FIRST_BACKOFF_MS = 4;
/** Longest wait between attempts to take a lock, in ms. @internal */
export const MAX_BACKOFF_MS = 50;

/**
 * Paces the attempts of one `withLock` call: `wait()` sleeps a growing, jittered step (at most `capMs`
 * when given, e.g. the holder's remaining TTL), and throws the store's retryable `lock` timeout once
 * `timeoutMs` has passed.
 * @internal
 */
export function lockWaiter(store: string, connectionId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let step = FIRST_BACKOFF_MS;
  return {
    deadline,
    async wait(capMs?: number): Promise<void> {
      if (Date.now() >= deadline) {
        throw new TokenStoreError(
          store,
          'lock',
          `timed out after ${timeoutMs} ms waiting for the lock of connection ${quoteId(connectionId)}`,
          { retryable: true },
        );
      }
      await backoffDelay(capMs === undefined ? step : Math.min(step, capMs), deadline);
      step = Math.min(step * 2, MAX_BACKOFF_MS);
    },
  };
}
