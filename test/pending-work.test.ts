import { describe, expect, it } from 'vitest';
import { createPendingWork } from '../src/pending-work.js';

/** A promise with its resolve and reject at hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Whether `promise` has settled once the queued microtasks have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('createPendingWork', () => {
  it('counts work until it settles, fulfilled or rejected, and gives the same promise back', async () => {
    const pending = createPendingWork();
    const a = deferred<string>();
    const b = deferred<string>();
    expect(pending.track(a.promise)).toBe(a.promise);
    pending.track(b.promise);
    expect(pending.size).toBe(2);
    a.resolve('a');
    await a.promise;
    expect(pending.size).toBe(1);
    b.reject(new Error('b'));
    await expect(b.promise).rejects.toThrow('b');
    expect(pending.size).toBe(0);
  });

  it('settles at once when nothing is pending', async () => {
    expect(await isSettled(createPendingWork().settled())).toBe(true);
  });

  it('waits for every tracked work, work tracked while waiting included, and never rejects', async () => {
    const pending = createPendingWork();
    const first = deferred<void>();
    const second = deferred<void>();
    pending.track(first.promise);
    const idle = pending.settled();
    const alsoIdle = pending.settled();
    pending.track(second.promise);
    first.reject(new Error('first'));
    await first.promise.catch(() => undefined);
    expect(await isSettled(idle)).toBe(false);
    second.resolve();
    expect(await isSettled(idle)).toBe(true);
    expect(await isSettled(alsoIdle)).toBe(true);
    await expect(idle).resolves.toBeUndefined();
  });

  it('waits for work that the last settled work starts on its way out', async () => {
    const pending = createPendingWork();
    const first = deferred<void>();
    const next = deferred<void>();
    pending.track(first.promise);
    // Attached after track(): runs after the count has dropped to zero.
    void first.promise.then(() => pending.track(next.promise));
    const idle = pending.settled();
    first.resolve();
    expect(await isSettled(idle)).toBe(false);
    expect(pending.size).toBe(1);
    next.resolve();
    expect(await isSettled(idle)).toBe(true);
  });
});
