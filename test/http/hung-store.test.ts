import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ZohoCrmConnector } from '../../src/connector.js';
import { ErrorCode, TransportError } from '../../src/errors.js';
import type { LookupEvent } from '../../src/lookup/types.js';
import type { ConnectorOptions } from '../../src/options.js';
import type { TokenStore } from '../../src/stores/types.js';
import { endedCall, testConnector } from '../helpers/test-connector.js';

/** A token store that has stopped answering: every call hangs (a SIGSTOPped Redis, a stuck NFS mount). */
function hungStore(): TokenStore & { calls: string[] } {
  const calls: string[] = [];
  const never = <T>(name: string) => {
    calls.push(name);
    return new Promise<T>(() => {});
  };
  return {
    calls,
    get: () => never('get'),
    set: () => never('set'),
    delete: () => never('delete'),
    withLock: () => never('withLock'),
  };
}

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

function connector(store: TokenStore, overrides: Partial<ConnectorOptions> = {}) {
  const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response(null, { status: 204 }));
  const zoho = testConnector({
    tokenStore: store,
    fetch,
    journal: { enabled: false },
    ...overrides,
    http: { retries: 3, ...overrides.http }, // the default retries: none may stretch the deadline
  });
  return { zoho, fetch };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('finding 5: deadlines hold while the token store hangs', () => {
  const OPERATIONS: Array<[string, (zoho: ZohoCrmConnector) => Promise<unknown>]> = [
    ['searchDirectory', (zoho) => zoho.searchDirectory('smith')],
    ['createRecord', (zoho) => zoho.createRecord({ phone: '+14155550000', lastName: 'Doe' })],
  ];
  it.each(OPERATIONS)(
    '%s fails with DEADLINE_EXCEEDED at the 30 s deadline, leaving no timer behind',
    async (_name, run) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const store = hungStore();
      const { zoho, fetch } = connector(store);
      const outcome = track(run(zoho));
      await vi.advanceTimersByTimeAsync(29_999);
      expect(outcome.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome.settled).toBe(true);
      expect(outcome.error).toBeInstanceOf(TransportError);
      expect(outcome.error).toMatchObject({ code: ErrorCode.DEADLINE_EXCEEDED });
      expect(store.calls.length).toBeGreaterThan(0);
      expect(fetch).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
      await zoho.close();
    },
  );

  it('a deadline that has fired is final, even when the clock it was measured on lags a little', async () => {
    // Only the timers are fake here: performance.now() barely moves, as if the timer fired early.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { zoho } = connector(hungStore(), { http: { deadlineMs: 1_000 } });
    const outcome = track(zoho.searchDirectory('smith'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(outcome.error).toMatchObject({ code: ErrorCode.DEADLINE_EXCEEDED });
    expect(vi.getTimerCount()).toBe(0);
    await zoho.close();
  });

  it('a per-call deadline and a caller abort also end the wait for the store', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { zoho } = connector(hungStore(), { http: { deadlineMs: 2_000 } });
    const short = track(zoho.searchDirectory('smith'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(short.error).toMatchObject({ code: ErrorCode.DEADLINE_EXCEEDED });

    const controller = new AbortController();
    const aborted = track(zoho.searchDirectory('jones', { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    expect(aborted.settled).toBe(false);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(aborted.error).toMatchObject({ code: ErrorCode.ABORTED });
    expect(vi.getTimerCount()).toBe(0);
    await zoho.close();
  });

  it('logCall queues the call by the HTTP deadline instead of waiting for the store', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { zoho } = connector(hungStore(), { journal: {} });
    const outcome = track(zoho.logCall(endedCall('pbx-hung-1')));
    await vi.advanceTimersByTimeAsync(29_999);
    expect(outcome.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.value).toMatchObject({
      status: 'queued',
      reason: expect.stringContaining('DEADLINE_EXCEEDED'),
    });
    await zoho.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lookupCaller answers null at the ring deadline, says why, and leaves no timer once the request deadline passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const warnings: Array<Record<string, unknown>> = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (obj: Record<string, unknown>) => warnings.push(obj),
    };
    const { zoho } = connector(hungStore(), { lookup: { timeoutMs: 1_500, defaultCountry: 'US' }, logger });
    const events: LookupEvent[] = [];
    zoho.on('lookup', (event) => events.push(event));
    const answer = track(zoho.lookupCaller('+1 415 555 2671'));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(answer.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toMatchObject({ settled: true, value: null });
    expect(events).toMatchObject([{ number: '+14155552671', match: null, source: 'timeout' }]);
    // The shared Zoho query behind the ring goes on until its own request deadline, then ends (and
    // says why), instead of waiting for the store forever.
    expect(warnings).toEqual([]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(warnings).toContainEqual(expect.objectContaining({ code: ErrorCode.DEADLINE_EXCEEDED }));
    expect(vi.getTimerCount()).toBe(0);
    await zoho.close();
  });
});
