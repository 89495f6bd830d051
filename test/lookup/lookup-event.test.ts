import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZohoCrmConnector } from '../../src/connector.js';
import { ErrorCode, isZohoCrmError } from '../../src/errors.js';
import type { LookupEvent } from '../../src/lookup/types.js';
import type { ConnectorOptions } from '../../src/options.js';
import { createMemoryStore } from '../../src/stores/memory.js';

/**
 * The `lookup` event tells hosts why a lookup answered `null`: not found (no error), not authorized,
 * Zoho failing, the ring deadline. `lookupCaller` itself keeps answering `null` in every case.
 */
const NUMBER = '+14155552671';
const open: ZohoCrmConnector[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((zoho) => zoho.close()));
  vi.useRealTimers();
});

async function connector(
  fetch: typeof globalThis.fetch,
  authorized = true,
  extra: Partial<ConnectorOptions> = {},
) {
  const tokenStore = createMemoryStore();
  if (authorized) {
    await tokenStore.set('t1', {
      accessToken: 'access-token-for-tests',
      refreshToken: 'refresh-token-for-tests',
      expiresAt: Date.now() + 3_600_000,
      apiDomain: 'https://www.zohoapis.com',
      accountsServer: 'https://accounts.zoho.com',
      region: 'US',
      grantedAt: Date.now(),
    });
  }
  const zoho = new ZohoCrmConnector({
    connectionId: 't1',
    clientId: '1000.CLIENT',
    clientSecret: 'client-secret-for-tests',
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    tokenStore,
    fetch,
    lookup: { order: ['Contacts'] },
    http: { retries: 0 },
    ...extra,
  });
  open.push(zoho);
  const events: LookupEvent[] = [];
  zoho.on('lookup', (event) => events.push(event));
  return { zoho, events };
}

const answer = (status: number, body?: unknown) =>
  Promise.resolve(
    body === undefined
      ? new Response(null, { status })
      : new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
  );

describe('the lookup event says why a lookup answered null', () => {
  it('not found: source zoho, no error', async () => {
    const { zoho, events } = await connector(() => answer(204));
    expect(await zoho.lookupCaller(NUMBER)).toBeNull();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ number: NUMBER, match: null, source: 'zoho', modules: ['Contacts'] });
    expect(events[0]?.error).toBeUndefined();
  });

  it('not authorized: source error with the AUTH code, and no request is made', async () => {
    const fetch = vi.fn(() => answer(204));
    const { zoho, events } = await connector(fetch, false);
    expect(await zoho.lookupCaller(NUMBER)).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
    expect(events[0]).toMatchObject({ match: null, source: 'error' });
    expect(isZohoCrmError(events[0]?.error)).toBe(true);
    expect(events[0]?.error?.code).toBe(ErrorCode.AUTH_NOT_CONNECTED);
  });

  it('Zoho 5xx: source error with ZOHO_API and the HTTP status', async () => {
    const { zoho, events } = await connector(() =>
      answer(500, { code: 'INTERNAL_ERROR', message: 'internal error', status: 'error', details: {} }),
    );
    expect(await zoho.lookupCaller(NUMBER)).toBeNull();
    expect(events[0]).toMatchObject({ match: null, source: 'error' });
    expect(events[0]?.error).toMatchObject({
      code: ErrorCode.ZOHO_API,
      status: 500,
      zohoCode: 'INTERNAL_ERROR',
    });
  });

  it('past the ring deadline: source timeout with DEADLINE_EXCEEDED', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // Zoho holds every request until release(); afterwards it answers at once (nothing found).
    const held: Array<() => void> = [];
    let released = false;
    const release = () => {
      released = true;
      for (const answerNow of held.splice(0)) answerNow();
    };
    const { zoho, events } = await connector(() =>
      released
        ? answer(204)
        : new Promise<Response>((resolve) => held.push(() => resolve(new Response(null, { status: 204 })))),
    );
    const pending = zoho.lookupCaller(NUMBER, { timeoutMs: 50 });
    await vi.advanceTimersByTimeAsync(50);
    expect(await pending).toBeNull();
    expect(events[0]).toMatchObject({ match: null, source: 'timeout' });
    expect(events[0]?.error?.code).toBe(ErrorCode.DEADLINE_EXCEEDED);
    release(); // the late answer still fills the cache: the next ring is a cache hit with no error
    await vi.waitFor(
      async () => {
        await zoho.lookupCaller(NUMBER);
        expect(events.at(-1)?.source).toBe('cache');
      },
      { timeout: 15_000 },
    );
    expect(events.at(-1)?.error).toBeUndefined();
  });

  it("the caller's signal: source timeout with ABORTED", async () => {
    const { zoho, events } = await connector(() => answer(204));
    expect(await zoho.lookupCaller(NUMBER, { signal: AbortSignal.abort() })).toBeNull();
    expect(events[0]?.error?.code).toBe(ErrorCode.ABORTED);
  });

  it('a pbxContacts provider that throws: source error with UNEXPECTED, its cause kept', async () => {
    const { zoho, events } = await connector(() => answer(204), true, {
      lookup: { query: 'whenNotFoundInPbx' },
      pbxContacts: { lookup: () => Promise.reject(new TypeError('phonebook offline')) },
    });
    expect(await zoho.lookupCaller(NUMBER)).toBeNull();
    expect(events[0]?.source).toBe('error');
    expect(events[0]?.error?.code).toBe(ErrorCode.UNEXPECTED);
    expect(events[0]?.error?.cause).toMatchObject({ message: 'phonebook offline' });
  });
});
