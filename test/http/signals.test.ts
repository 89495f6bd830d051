import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AttemptSignal,
  attemptSignal,
  attemptsWaitingOn,
  isTimeoutReason,
  raceDeadline,
} from '../../src/http/signals.js';
import { deferred, FAKE_TIME } from '../helpers/time.js';

const made: AttemptSignal[] = [];
beforeEach(() => {
  vi.useFakeTimers(FAKE_TIME);
});
afterEach(() => {
  for (const attempt of made.splice(0)) attempt.clear();
  vi.useRealTimers();
});

function attempt(callerSignal: AbortSignal | undefined, timeoutMs: number, deadlineInMs: number) {
  const created = attemptSignal(callerSignal, timeoutMs, performance.now() + deadlineInMs);
  made.push(created);
  return created;
}

/** The reason `AbortSignal.timeout()` aborts with. */
const timeoutReason = () => new DOMException('The operation timed out.', 'TimeoutError');

describe('attemptSignal', () => {
  it('times out after the per-attempt timeout with a TimeoutError, when that comes before the deadline', async () => {
    const a = attempt(undefined, 100, 1_000);
    await vi.advanceTimersByTimeAsync(99);
    expect(a.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(a).toMatchObject({ aborted: true, cause: 'timeout' });
    expect(a.reason).toBeInstanceOf(DOMException);
    expect(a.reason).toMatchObject({ name: 'TimeoutError', message: 'The operation timed out.' });
    expect(isTimeoutReason(a.reason)).toBe(true);
  });

  it('ends at the deadline when that comes first, and calls a timeout the same length a timeout', async () => {
    const early = attempt(undefined, 100, 40);
    const even = attempt(undefined, 100, 100);
    await vi.advanceTimersByTimeAsync(40);
    expect(early.cause).toBe('deadline');
    expect(even.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(60);
    expect(even.cause).toBe('timeout');
  });

  it('counts the deadline from now, whenever the attempt starts on the clock', async () => {
    await vi.advanceTimersByTimeAsync(5_000);
    const late = attempt(undefined, 100, 40);
    await vi.advanceTimersByTimeAsync(39);
    expect(late.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.cause).toBe('deadline');
  });

  it("takes the caller's abort and its reason; a caller's timeout is the deadline", () => {
    const caller = new AbortController();
    const a = attempt(caller.signal, 100, 1_000);
    const reason = new Error('hung up');
    caller.abort(reason);
    expect(a).toMatchObject({ cause: 'aborted', reason });
    const timedOut = new AbortController();
    const b = attempt(timedOut.signal, 100, 1_000);
    timedOut.abort(timeoutReason());
    expect(b.cause).toBe('deadline');
    expect(attempt(AbortSignal.abort(timeoutReason()), 100, 1_000).cause).toBe('deadline');
    expect(attempt(AbortSignal.abort('gone'), 100, 1_000)).toMatchObject({
      cause: 'aborted',
      reason: 'gone',
    });
  });

  it('keeps the first cause: a later timer or abort changes nothing, and the listener hears once', async () => {
    const caller = new AbortController();
    const a = attempt(caller.signal, 100, 1_000);
    const heard: unknown[] = [];
    a.onAbort((reason) => heard.push(reason));
    const signal = a.signal;
    caller.abort('first');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a).toMatchObject({ cause: 'aborted', reason: 'first' });
    expect(heard).toEqual(['first']);
    expect(signal.reason).toBe('first');
  });

  it('builds one AbortSignal, on first read, aborted with the reason if the attempt already was', async () => {
    const a = attempt(undefined, 50, 1_000);
    await vi.advanceTimersByTimeAsync(50);
    const signal = a.signal;
    expect(signal).toBe(a.signal);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(a.reason);
    const b = attempt(undefined, 50, 1_000);
    const early = b.signal;
    expect(early.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(early.aborted).toBe(true);
  });

  it('puts one listener on a caller signal however many attempts wait on it', () => {
    const caller = new AbortController();
    for (let i = 0; i < 5; i++) attempt(caller.signal, 100, 1_000);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    expect(attemptsWaitingOn(caller.signal)).toBe(5);
    for (const a of made) a.clear();
    expect(attemptsWaitingOn(caller.signal)).toBe(0);
    for (let i = 0; i < 3; i++) attempt(caller.signal, 100, 1_000);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    expect(attemptsWaitingOn(caller.signal)).toBe(3);
    caller.abort('gone');
    expect(attemptsWaitingOn(caller.signal)).toBe(0);
    expect(getEventListeners(new AbortController().signal, 'abort')).toHaveLength(0);
  });

  it("aborts every attempt still waiting on the caller's signal, first, middle or last cleared or not", () => {
    for (const cleared of [[0], [1], [2], [0, 2], [0, 1, 2], []]) {
      const caller = new AbortController();
      const attempts = [0, 1, 2].map(() => attempt(caller.signal, 100, 1_000));
      const heard = [0, 0, 0];
      attempts.forEach((a, i) => {
        a.onAbort(() => {
          heard[i] = (heard[i] ?? 0) + 1;
        });
      });
      for (const i of cleared) attempts[i]?.clear();
      caller.abort('hung up');
      expect(heard).toEqual([0, 1, 2].map((i) => (cleared.includes(i) ? 0 : 1)));
      attempts.forEach((a, i) => {
        expect(a.aborted).toBe(!cleared.includes(i));
      });
      for (const a of attempts) a.clear(); // after the abort: nothing left to detach, nothing thrown
      caller.abort('again');
      expect(heard).toEqual([0, 1, 2].map((i) => (cleared.includes(i) ? 0 : 1)));
    }
  });

  it('attempts hear the abort in the order they started; one cleared by an earlier one does not', () => {
    const caller = new AbortController();
    const heard: string[] = [];
    const [first, second, third] = ['first', 'second', 'third'].map((name) => {
      const a = attempt(caller.signal, 100, 1_000);
      a.onAbort(() => heard.push(name));
      return a;
    });
    // The first one's listener clears the third, as a request finishing at that moment would.
    first?.onAbort(() => {
      heard.push('first');
      third?.clear();
    });
    caller.abort('gone');
    expect(heard).toEqual(['first', 'second']);
    expect([first?.aborted, second?.aborted, third?.aborted]).toEqual([true, true, false]);
  });

  it('one attempt that throws on the abort does not keep the others from hearing it; the error is rethrown', () => {
    const rethrown: Array<() => void> = [];
    const queued = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      rethrown.push(task);
    });
    try {
      const caller = new AbortController();
      const first = attempt(caller.signal, 100, 1_000);
      const second = attempt(caller.signal, 100, 1_000);
      first.onAbort(() => {
        throw new Error('listener bug');
      });
      caller.abort('gone');
      expect(second).toMatchObject({ aborted: true, reason: 'gone' });
      expect(rethrown).toHaveLength(1);
      expect(() => rethrown[0]?.()).toThrow('listener bug');
    } finally {
      queued.mockRestore();
    }
  });

  it('an abort event dispatched by hand aborts the attempts listed, and later attempts still hear the real abort', () => {
    const caller = new AbortController();
    const early = attempt(caller.signal, 100, 1_000);
    caller.signal.dispatchEvent(new Event('abort'));
    expect(early.cause).toBe('aborted');
    const late = attempt(caller.signal, 100, 1_000);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    caller.abort('gone');
    expect(late).toMatchObject({ aborted: true, reason: 'gone' });
  });

  it("clear() stops the timer and detaches from the caller's signal", async () => {
    const caller = new AbortController();
    const a = attempt(caller.signal, 100, 1_000);
    a.clear();
    caller.abort('late');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('raceDeadline', () => {
  it('answers with a value that is already there, without a timer', async () => {
    expect(await raceDeadline(Promise.resolve(7), performance.now() + 100)).toEqual({ value: 7 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers with the value when it comes before the deadline, and leaves no timer or listener', async () => {
    const work = deferred<string>();
    const caller = new AbortController();
    const raced = raceDeadline(work.promise, performance.now() + 100, caller.signal);
    await vi.advanceTimersByTimeAsync(99);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    work.resolve('token');
    expect(await raced).toEqual({ value: 'token' });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('ends the wait at the deadline; the work goes on, and its later failure is not unhandled', async () => {
    let fail!: (error: Error) => void;
    const work = new Promise<string>((_, reject) => {
      fail = reject;
    });
    const raced = raceDeadline(work, performance.now() + 100);
    await vi.advanceTimersByTimeAsync(99);
    let settled = false;
    void raced.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await raced).toEqual({ cause: 'deadline' });
    fail(new Error('store down'));
    await vi.advanceTimersByTimeAsync(0); // an unhandled rejection here would fail the run
  });

  it("ends the wait when the caller aborts (a caller's timeout counts as the deadline)", async () => {
    const caller = new AbortController();
    const raced = raceDeadline(deferred().promise, performance.now() + 1_000, caller.signal);
    await vi.advanceTimersByTimeAsync(10);
    caller.abort('hung up');
    expect(await raced).toEqual({ cause: 'aborted' });
    expect(vi.getTimerCount()).toBe(0);
    const timedOut = new AbortController();
    const second = raceDeadline(deferred().promise, performance.now() + 1_000, timedOut.signal);
    await vi.advanceTimersByTimeAsync(0);
    timedOut.abort(timeoutReason());
    expect(await second).toEqual({ cause: 'deadline' });
  });

  it('answers at once when the caller has aborted or the deadline has passed', async () => {
    const pending = deferred().promise;
    expect(await raceDeadline(pending, performance.now() + 1_000, AbortSignal.abort('x'))).toEqual({
      cause: 'aborted',
    });
    expect(
      await raceDeadline(pending, performance.now() + 1_000, AbortSignal.abort(timeoutReason())),
    ).toEqual({
      cause: 'deadline',
    });
    expect(await raceDeadline(pending, performance.now())).toEqual({ cause: 'deadline' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes the work's own failure on", async () => {
    const work = Promise.reject(new Error('broken'));
    await expect(raceDeadline(work, performance.now() + 100)).rejects.toThrow('broken');
    let fail!: (error: Error) => void;
    const later = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const raced = raceDeadline(later, performance.now() + 100, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    fail(new Error('broken later'));
    await expect(raced).rejects.toThrow('broken later');
    expect(vi.getTimerCount()).toBe(0);
  });
});
