/**
 * Small helpers for batched, bounded-concurrency work, and the timer abstraction the journal schedules
 * its background retries with (injectable, so tests drive time without sleeping).
 *
 * @module
 */

/**
 * Timers the journal uses for background retries. The default uses `setTimeout` with `unref()`, so a
 * pending retry never keeps a process alive.
 * @example
 * ```ts
 * const scheduler: Scheduler = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) };
 * ```
 * @group Journal
 */
export interface Scheduler {
  /**
   * Calls `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. `fn` returns a promise of
   * the background pass it starts (a test scheduler may await it).
   */
  setTimeout(fn: () => Promise<void> | void, ms: number): unknown;
  /** Cancels a timer. */
  clearTimeout(handle: unknown): void;
}

/** Real timers, unref'd. @internal */
export const realScheduler: Scheduler = {
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Runs `fn` after the current I/O callbacks (setImmediate where it exists), batching work queued meanwhile. @internal */
export function defer(fn: () => void): void {
  const immediate = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate;
  if (immediate) immediate(fn);
  else setTimeout(fn, 0);
}

/** Splits items into chunks of at most `size`. @internal */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over items with at most `limit` in flight; resolves when all settled (fn must not throw). @internal */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
