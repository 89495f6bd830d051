import { describe, expect, it, vi } from 'vitest';
import { createZohoHttp } from '../../src/http/client.js';

const API = 'https://www.zohoapis.com';

/** A Zoho that holds every request until the test lets it go. */
function heldFetch() {
  const waiting: Array<() => void> = [];
  const fetch = vi.fn<typeof globalThis.fetch>(
    () =>
      new Promise<Response>((resolve) => {
        waiting.push(() => resolve(new Response(null, { status: 204 })));
      }),
  );
  return {
    fetch,
    releaseAll: () => {
      for (const release of waiting.splice(0)) release();
    },
  };
}

describe('the edition concurrency gate and the deadline', () => {
  it('a request queued behind a full gate fails DEADLINE_EXCEEDED at its deadline, not when a slot frees', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const held = heldFetch();
      const http = createZohoHttp({
        tokens: {
          getAccessToken: async () => ({ accessToken: 'token-for-tests', apiDomain: API }),
          refreshAfterRejection: async () => ({ accessToken: 'token-for-tests', apiDomain: API }),
        },
        fetch: held.fetch,
        timeoutMs: 60_000,
        deadlineMs: 60_000,
        retries: 0,
        maxConcurrency: 1,
      });
      const first = http.request({ method: 'GET', path: '/Contacts' });
      await vi.advanceTimersByTimeAsync(0);
      expect(held.fetch).toHaveBeenCalledTimes(1);

      const second = http
        .request({ method: 'GET', path: '/Leads', deadlineMs: 200 })
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(199);
      expect(http.queued).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(await second).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      expect(http.queued).toBe(0); // it left the queue: the slot goes to no one who gave up
      expect(held.fetch).toHaveBeenCalledTimes(1);

      held.releaseAll();
      await expect(first).resolves.toMatchObject({ status: 204 });
    } finally {
      vi.useRealTimers();
    }
  });
});
