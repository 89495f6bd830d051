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
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
    if (signal) {
      onAbort = () => resolve(TIMED_OUT);
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
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
