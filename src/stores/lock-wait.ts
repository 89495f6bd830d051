/**
 * What the stores' `withLock` implementations share: the `ttlMs` check and the jittered wait between
 * attempts to take a lock.
 *
 * @internal
 * @module
 */

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
