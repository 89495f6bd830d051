import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { ZohoHttp, ZohoRequest } from '../../src/http/client.js';
import { noopLogger } from '../../src/logger.js';
import {
  type ChangeWatch,
  type ChangeWatchEvent,
  startChangeWatch,
} from '../../src/notifications/change-watch.js';
import { zohoDateTime } from '../../src/notifications/watch-request.js';
import { createChangeWatches } from '../../src/notifications/watches.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A Zoho that answers every enable with the expiry `expiry(now)` and keeps the POSTs and DELETEs. */
function stubZoho(expiry: (now: number) => number) {
  const posts: ZohoRequest<unknown>[] = [];
  const deletes: ZohoRequest<unknown>[] = [];
  const http: ZohoHttp = {
    queued: 0,
    async request(request) {
      if (request.method === 'POST') posts.push(request as ZohoRequest<unknown>);
      if (request.method === 'DELETE') deletes.push(request as ZohoRequest<unknown>);
      const data = {
        watch: [
          {
            code: 'SUCCESS',
            status: 'success',
            details: { events: [{ channel_expiry: zohoDateTime(expiry(Date.now())) }] },
          },
        ],
      };
      return { status: 200, data, headers: new Headers() } as never;
    },
  };
  return { http, posts, deletes };
}

const spec = {
  notifyUrl: 'https://pbx.example.com/n',
  channelToken: 'tok',
  channelId: '42',
  modules: ['Contacts'] as const,
};

describe('the renewal schedule', () => {
  it("an expiry Zoho answers in the past (a clock ahead of Zoho's) is not renewed in a tight loop", async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-03T08:00:00Z') });
    // Zoho's clock is two hours behind this host's: every channel it enables "expires" an hour ago here.
    const { http, posts } = stubZoho((now) => now - 3_600_000);
    const events: ChangeWatchEvent[] = [];
    const watch = await startChangeWatch({
      connectionId: 't',
      http,
      spec,
      logger: noopLogger,
      emit: (e) => events.push(e),
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(posts.length).toBeLessThanOrEqual(3);
    await watch.close();
  });

  it('an expiry Zoho answers beyond what a timer can hold is renewed at a sane time, not at once', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-03T08:00:00Z') });
    const { http, posts } = stubZoho((now) => now + 60 * 24 * 3_600_000); // 60 days: past setTimeout's 24.8
    const watch = await startChangeWatch({
      connectionId: 't',
      http,
      spec,
      logger: noopLogger,
      emit: () => {},
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(posts).toHaveLength(1);
    expect(watch.renewsAt!.getTime() - Date.now()).toBeLessThanOrEqual(2 ** 31 - 1);
    await watch.close();
  });
});

describe('one channel, one watch', () => {
  const options = { notifyUrl: 'https://pbx.example.com/n', channelToken: 'tok' };
  const open = () => false;
  const closedError = () => new Error('closed');
  const watchesOver = (http: ZohoHttp) =>
    createChangeWatches({
      connectionId: 't',
      http,
      logger: noopLogger,
      lookupOrder: ['Contacts'],
      emit: () => {},
    });

  it('a second watchChanges of a channel this connector already keeps is refused (a ConfigError), not a second renewal loop', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-03T08:00:00Z') });
    const { http, posts } = stubZoho((now) => now + 24 * 3_600_000);
    const watches = watchesOver(http);
    const [first, second] = await Promise.allSettled([
      watches.start(options, open, closedError),
      watches.start(options, open, closedError),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: expect.any(ConfigError) });
    expect(((second as PromiseRejectedResult).reason as ConfigError).issues).toEqual([
      { path: 'channelId', message: expect.stringContaining('already watched') },
    ]);
    expect(posts).toHaveLength(1);
    // Once stopped, the channel can be watched again.
    await (first as PromiseFulfilledResult<ChangeWatch>).value.stop();
    const again = await watches.start(options, open, closedError);
    expect(posts).toHaveLength(2);
    await watches.closeAll();
    await again.stop();
  });

  it('a watch stopped through its signal leaves the channel free', async () => {
    const { http, posts, deletes } = stubZoho((now) => now + 24 * 3_600_000);
    const watches = watchesOver(http);
    const controller = new AbortController();
    await watches.start({ ...options, signal: controller.signal }, open, closedError);
    controller.abort();
    // The stub answers at once: by the next turn of the event loop the DELETE is answered and the
    // channel freed.
    await new Promise((resolve) => setImmediate(resolve));
    expect(deletes).toHaveLength(1);
    const again = await watches.start(options, open, closedError);
    await again.stop();
    expect(posts).toHaveLength(2);
  });

  it('a watch whose signal aborts while the channel is being enabled leaves the channel free', async () => {
    const { http, posts, deletes } = stubZoho((now) => now + 24 * 3_600_000);
    const controller = new AbortController();
    // The shutdown comes while Zoho is enabling the channel (the stub answers regardless).
    const enabling: ZohoHttp = {
      queued: 0,
      request(request) {
        if (request.method === 'POST' && posts.length === 0) controller.abort();
        return http.request(request);
      },
    };
    const watches = watchesOver(enabling);
    await watches.start({ ...options, signal: controller.signal }, open, closedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(deletes).toHaveLength(1);
    const again = await watches.start(options, open, closedError);
    await again.stop();
    expect(posts).toHaveLength(2);
    expect(deletes).toHaveLength(2);
  });

  it('a watch stopped or closed leaves no listener on its signal (one signal shared by many watches)', async () => {
    const { http } = stubZoho((now) => now + 24 * 3_600_000);
    const watches = watchesOver(http);
    const shutdown = new AbortController();
    const watch = await watches.start({ ...options, signal: shutdown.signal }, open, closedError);
    await watch.stop();
    await watches.start({ ...options, signal: shutdown.signal }, open, closedError);
    await watches.closeAll();
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('a watch that failed to start leaves the channel free', async () => {
    let fail = true;
    const { http } = stubZoho((now) => now + 24 * 3_600_000);
    const failing: ZohoHttp = {
      queued: 0,
      request: (request) => (fail ? Promise.reject(new Error('down')) : http.request(request)),
    };
    const watches = watchesOver(failing);
    await expect(watches.start(options, open, closedError)).rejects.toThrow('down');
    fail = false;
    const watch = await watches.start(options, open, closedError);
    await watch.stop();
  });
});
