/**
 * A FIFO concurrency gate: at most `limit` tasks run at once, the rest wait their turn. Zoho answers
 * HTTP 429 past an edition's concurrency limit, so a burst is better queued here than rejected there.
 *
 * @module
 */

/** @internal */
export interface ConcurrencyGate {
  /** Runs `task` when a slot is free. Rejects with the signal's reason if aborted while waiting. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
  /** Whether the next task would have to wait. */
  readonly full: boolean;
}

/** @internal */
export function createConcurrencyGate(limit: number): ConcurrencyGate {
  let active = 0;
  const queue: Array<() => void> = [];

  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };

  /** Waits for a running task to hand its slot over (the gate is full). */
  const nextSlot = (signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = queue.indexOf(grant);
        if (index !== -1) queue.splice(index, 1);
        reject(signal?.reason);
      };
      queue.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  const runHeld = async <T>(task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } finally {
      release();
    }
  };

  return {
    run(task, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      // A free slot is taken at once: the task starts now, with no turn of the event loop in between.
      if (active < limit) {
        active++;
        return runHeld(task);
      }
      return nextSlot(signal).then(() => runHeld(task));
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    get full() {
      return active >= limit;
    },
  };
}
