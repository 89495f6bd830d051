/**
 * Work in flight that someone may wait for (`settled()`): the lookup engine's searches that outlive a
 * ring, the shared cache's writes, the journal's deliveries, the emulator's notifications. Counted rather
 * than kept in a set: a set gained and lost a member on every cold lookup, and V8 reallocates an
 * insertion-ordered table as it empties (about 140 bytes a lookup).
 *
 * @module
 */

/** @internal */
export interface PendingWork {
  /** Counts `work` until it settles (fulfilled or rejected) and gives it back. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Work not settled yet. */
  readonly size: number;
  /** Resolves once nothing is pending, work tracked while waiting included. Never rejects. */
  settled(): Promise<void>;
}

/** @internal */
export function createPendingWork(): PendingWork {
  let size = 0;
  let waiting: Array<() => void> = [];
  const done = () => {
    size--;
    if (size > 0) return;
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
  };
  return {
    track(work) {
      size++;
      work.then(done, done);
      return work;
    },
    get size() {
      return size;
    },
    async settled() {
      // Checked again after each wake: what settled last may have started more work on its way out.
      while (size > 0) await new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}
