/**
 * The retry policy on its own, with fake timers (and a fake `performance.now()` for deadlines): which
 * errors get another attempt, how long it waits, when it gives up, and how the caller's signal ends it.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ErrorCode,
  RateLimitError,
  TransportError,
  ZohoApiError,
  type ZohoCrmError,
} from '../../src/errors.js';
import { backoffDelay, type RetryPolicy, sleep, withRetry } from '../../src/http/retry.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const network = () => new TransportError(ErrorCode.NETWORK, 'connection reset');
const invalid = () => new ZohoApiError('invalid data', { status: 400, zohoCode: 'INVALID_DATA' });
const limited = (retryAfterMs?: number) =>
  new RateLimitError('too many requests', { ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

/** An attempt function that fails with the given errors in turn, then answers `'ok'`. */
function script(...failures: unknown[]) {
  const attempts: number[] = [];
  const attempt = async (n: number) => {
    attempts.push(n);
    const failure = failures[attempts.length - 1];
    if (failure !== undefined) throw failure;
    return 'ok';
  };
  return { attempt, attempts };
}

const POLICY: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 };

/** Runs `promise` to completion, moving the fake clock as far as needed; returns what it settled with. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; waitedMs: number }> {
  const started = performance.now();
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  let done = false;
  void outcome.then(() => {
    done = true;
  });
  for (let i = 0; i < 100 && !done; i++) await vi.advanceTimersToNextTimerAsync();
  return { ...(await outcome), waitedMs: performance.now() - started };
}

describe('withRetry', () => {
  it('a first success costs one attempt and no wait', async () => {
    const { attempt, attempts } = script();
    expect(await settle(withRetry(attempt, POLICY))).toEqual({ value: 'ok', waitedMs: 0 });
    expect(attempts).toEqual([1]);
  });

  it('builds a policy given as a function only once the first attempt failed, and only once', async () => {
    const builds: number[] = [];
    const lazily = () => {
      builds.push(builds.length);
      return { ...POLICY, retries: 2 };
    };
    const first = script();
    expect((await settle(withRetry(first.attempt, lazily))).value).toBe('ok');
    expect(builds).toEqual([]);
    const later = script(network(), network());
    expect((await settle(withRetry(later.attempt, lazily))).value).toBe('ok');
    expect(later.attempts).toEqual([1, 2, 3]);
    expect(builds).toEqual([0]);
  });

  it('retries retryable errors with numbered attempts and the backoff waits in between', async () => {
    const { attempt, attempts } = script(network(), network());
    const delays: Array<[number, number]> = [];
    const result = await settle(
      withRetry(attempt, { ...POLICY, onRetry: (_error, n, delayMs) => delays.push([n, delayMs]) }),
    );
    expect(result.value).toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
    // Full jitter at 0.5: half of 100 ms, then half of 200 ms.
    expect(delays).toEqual([
      [1, 50],
      [2, 100],
    ]);
    expect(result.waitedMs).toBe(150);
  });

  it('runs without an onRetry observer', async () => {
    const { attempt, attempts } = script(network());
    expect((await settle(withRetry(attempt, { ...POLICY, onRetry: undefined }))).value).toBe('ok');
    expect(attempts).toEqual([1, 2]);
  });

  it('gives up after the configured retries with the last error', async () => {
    const last = network();
    const { attempt, attempts } = script(network(), network(), last);
    const { error } = await settle(withRetry(attempt, { ...POLICY, retries: 2 }));
    expect(error).toBe(last);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('with retries: 0 the first failure is final', async () => {
    const failure = network();
    const { attempt, attempts } = script(failure);
    expect(await settle(withRetry(attempt, { ...POLICY, retries: 0 }))).toEqual({
      error: failure,
      waitedMs: 0,
    });
    expect(attempts).toEqual([1]);
  });

  it('never retries a non-retryable error, first or later', async () => {
    const first = invalid();
    const once = script(first);
    expect((await settle(withRetry(once.attempt, POLICY))).error).toBe(first);
    expect(once.attempts).toEqual([1]);

    const later = invalid();
    const twice = script(network(), later);
    expect((await settle(withRetry(twice.attempt, POLICY))).error).toBe(later);
    expect(twice.attempts).toEqual([1, 2]);
  });

  it('never retries errors that are not ours', async () => {
    const bug = new TypeError('x is not a function');
    const { attempt, attempts } = script(bug);
    expect((await settle(withRetry(attempt, POLICY))).error).toBe(bug);
    expect(attempts).toEqual([1]);
  });

  it('isRetryable overrides what the error says', async () => {
    const { attempt, attempts } = script(invalid(), network());
    const onlyInvalid = (error: ZohoCrmError) => error instanceof ZohoApiError;
    const { error } = await settle(withRetry(attempt, { ...POLICY, isRetryable: onlyInvalid }));
    expect(error).toBeInstanceOf(TransportError);
    expect(attempts).toEqual([1, 2]);
  });

  it('waits exactly what Retry-After asks instead of the backoff', async () => {
    const { attempt } = script(limited(2_500));
    const result = await settle(withRetry(attempt, POLICY));
    expect(result).toEqual({ value: 'ok', waitedMs: 2_500 });
  });

  it('does not wait for a Retry-After past the limit: 60 s by default, or maxRetryAfterMs', async () => {
    const tooLong = limited(60_001);
    const byDefault = script(tooLong);
    expect(await settle(withRetry(byDefault.attempt, POLICY))).toEqual({ error: tooLong, waitedMs: 0 });
    expect(byDefault.attempts).toEqual([1]);

    const atDefault = script(limited(60_000));
    expect(await settle(withRetry(atDefault.attempt, POLICY))).toEqual({ value: 'ok', waitedMs: 60_000 });

    const pastLimit = limited(5_001);
    const custom = script(pastLimit);
    expect(await settle(withRetry(custom.attempt, { ...POLICY, maxRetryAfterMs: 5_000 }))).toEqual({
      error: pastLimit,
      waitedMs: 0,
    });
    const atLimit = script(limited(5_000));
    expect((await settle(withRetry(atLimit.attempt, { ...POLICY, maxRetryAfterMs: 5_000 }))).waitedMs).toBe(
      5_000,
    );
  });

  it('does not start a wait that would end at or past the deadline', async () => {
    const failure = limited(1_000);
    const reaching = script(failure);
    const deadlineAt = performance.now() + 1_000;
    expect(await settle(withRetry(reaching.attempt, { ...POLICY, deadlineAt }))).toEqual({
      error: failure,
      waitedMs: 0,
    });
    expect(reaching.attempts).toEqual([1]);

    const inTime = script(limited(999));
    const result = await settle(
      withRetry(inTime.attempt, { ...POLICY, deadlineAt: performance.now() + 1_000 }),
    );
    expect(result).toEqual({ value: 'ok', waitedMs: 999 });
  });

  it("the caller's abort ends a wait at once, with the signal's reason", async () => {
    const controller = new AbortController();
    const { attempt, attempts } = script(limited(10_000));
    const started = performance.now();
    const running = withRetry(attempt, { ...POLICY, signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    const reason = new Error('hung up');
    controller.abort(reason);
    expect(await running).toBe(reason);
    expect(performance.now() - started).toBe(1_000);
    expect(attempts).toEqual([1]);
  });
});

describe('backoffDelay', () => {
  it('is full jitter below base × 2^(attempt-1), capped at the maximum', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };
    const top = (attempt: number) => backoffDelay(attempt, { ...policy, random: () => 0.999_999 });
    expect([0, 1, 2, 3, 4, 5].map(top)).toEqual([99, 99, 199, 399, 799, 999]);
    expect(backoffDelay(3, { ...policy, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...policy, random: () => 0.5 })).toBe(200);
  });

  it('uses Math.random when no source is given', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.25);
    expect(backoffDelay(2, { baseDelayMs: 100, maxDelayMs: 1_000 })).toBe(50);
  });
});

describe('sleep', () => {
  it('resolves after the time and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    const done = vi.fn();
    void sleep(500, controller.signal).then(done);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(done).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toHaveBeenCalled();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason when aborted before or during the wait, and stops its timer', async () => {
    const reason = new Error('stop');
    await expect(sleep(500, AbortSignal.abort(reason))).rejects.toBe(reason);

    const controller = new AbortController();
    const waiting = sleep(500, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('works without a signal', async () => {
    const done = vi.fn();
    void sleep(10).then(done);
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toHaveBeenCalled();
  });
});
