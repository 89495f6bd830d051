/**
 * The ring deadline of a caller lookup: the caller gets its answer (or `null`) in time, while the Zoho
 * search behind it goes on to fill the cache for the next ring.
 *
 * @module
 */
import { ErrorCode, TransportError } from '../errors.js';

/** What {@link raceRingDeadline} settles with when the deadline (or the caller's signal) came first. @internal */
export const TIMED_OUT = Symbol('timed out');

/**
 * `work`, or {@link TIMED_OUT} once `ms` pass or `signal` aborts. A plain timer rather than an
 * AbortController: the work is shared with other callers and must go on, and Node's EventTarget is costly
 * on a hot path.
 * @internal
 */
export function raceRingDeadline<T>(
  work: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<T | typeof TIMED_OUT> {
  if (signal?.aborted) return Promise.resolve(TIMED_OUT);
  // One promise settled by whichever comes first (no Promise.race and finally: fewer promises per ring).
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    };
    const stop = () => {
      finish();
      resolve(TIMED_OUT);
    };
    const timer = setTimeout(stop, ms);
    signal?.addEventListener('abort', stop, { once: true });
    work.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}

/**
 * Why a lookup stopped waiting, for its `lookup` event: the caller's signal, else the ring deadline.
 * @internal
 */
export function ringDeadlineError(timeoutMs: number, signal: AbortSignal | undefined): TransportError {
  return signal?.aborted
    ? new TransportError(ErrorCode.ABORTED, 'The caller lookup was aborted by its signal.')
    : new TransportError(
        ErrorCode.DEADLINE_EXCEEDED,
        `The caller lookup passed its ${timeoutMs} ms ring deadline; the answer still fills the cache.`,
      );
}
