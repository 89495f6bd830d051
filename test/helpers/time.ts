/**
 * Test time without the wall clock: fake timers that leave real sockets alone, promises the test
 * settles itself, and waiting for a condition without sleeping.
 */
import type { vi } from 'vitest';

/**
 * What the tests fake: timers and `performance.now()` (the ring deadline, the HTTP client's timeouts and
 * deadline, the emulator's latency). `Date`, `setImmediate` and I/O stay real, so real sockets and msw
 * keep working.
 */
export const FAKE_TIME = { toFake: ['setTimeout', 'clearTimeout', 'performance'] } satisfies Parameters<
  typeof vi.useFakeTimers
>[0];

/** A promise the test settles itself (Node 20 has no `Promise.withResolvers`). */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Waits until `condition` holds, yielding to I/O in between; works under fake timers (it uses no timer).
 * Gives up after 10 s of real time: a bound on a hang, not a speed requirement.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const giveUpAt = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
