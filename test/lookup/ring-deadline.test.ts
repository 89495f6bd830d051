import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { raceRingDeadline, ringDeadlineError, TIMED_OUT } from '../../src/lookup/ring-deadline.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ring deadline', () => {
  it("answers the work's value when it comes first, and leaves no timer or listener behind", async () => {
    vi.useFakeTimers();
    const signal = new AbortController().signal;
    await expect(raceRingDeadline(Promise.resolve('match'), 1_000, signal)).resolves.toBe('match');
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('answers TIMED_OUT once the deadline passes, while the work goes on', async () => {
    vi.useFakeTimers();
    let finish: (value: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const raced = raceRingDeadline(work, 1_000, undefined);
    let settled = false;
    void raced.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(raced).resolves.toBe(TIMED_OUT);
    finish('late');
    await expect(work).resolves.toBe('late');
  });

  it("answers TIMED_OUT when the caller's signal aborts, or has aborted already", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const raced = raceRingDeadline(new Promise<string>(() => undefined), 60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await expect(raced).resolves.toBe(TIMED_OUT);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    await expect(raceRingDeadline(Promise.resolve('match'), 60_000, controller.signal)).resolves.toBe(
      TIMED_OUT,
    );
  });

  it("stops listening to the caller's signal once the deadline has passed", async () => {
    vi.useFakeTimers();
    const signal = new AbortController().signal;
    const raced = raceRingDeadline(new Promise<string>(() => undefined), 1_000, signal);
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(raced).resolves.toBe(TIMED_OUT);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('a failure of the work before the deadline is the answer, and leaves no timer or listener behind', async () => {
    vi.useFakeTimers();
    await expect(raceRingDeadline(Promise.reject(new Error('zoho down')), 1_000, undefined)).rejects.toThrow(
      'zoho down',
    );
    expect(vi.getTimerCount()).toBe(0);
    const signal = new AbortController().signal;
    await expect(raceRingDeadline(Promise.reject(new Error('zoho down')), 1_000, signal)).rejects.toThrow(
      'zoho down',
    );
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it("says why the wait ended: the caller's signal, else the ring deadline", () => {
    const aborted = new AbortController();
    aborted.abort();
    const byCaller = ringDeadlineError(1_500, aborted.signal);
    expect(byCaller.code).toBe(ErrorCode.ABORTED);
    expect(byCaller.message).toMatch(/aborted by its signal/);
    for (const signal of [undefined, new AbortController().signal]) {
      const byDeadline = ringDeadlineError(1_500, signal);
      expect(byDeadline.code).toBe(ErrorCode.DEADLINE_EXCEEDED);
      expect(byDeadline.message).toMatch(/1500 ms ring deadline; the answer still fills the cache/);
    }
  });
});
