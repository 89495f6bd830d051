import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError, ErrorCode } from '../../src/errors.js';
import { createTokenManager, type TokenManagerOptions } from '../../src/oauth/token-manager.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { StoredTokens, TokenStore } from '../../src/stores/types.js';
import { deferred } from '../helpers/time.js';
import { fakeAccounts } from './fake-accounts.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
});
afterAll(() => server.close());

const NOW = 1_700_000_000_000;
const grant = (over: Partial<StoredTokens> = {}): StoredTokens => ({
  accessToken: `1000.${'0'.repeat(32)}.${'e'.repeat(32)}`,
  refreshToken: `1000.${'r'.repeat(32)}.${'f'.repeat(32)}`,
  expiresAt: NOW - 1,
  apiDomain: 'https://www.zohoapis.com',
  accountsServer: 'https://accounts.zoho.com',
  region: 'US',
  grantedAt: NOW - 86_400_000,
  ...over,
});

async function setup(stored: StoredTokens | undefined, over: Partial<TokenManagerOptions> = {}) {
  const accounts = fakeAccounts();
  server.use(...accounts.handlers);
  const store = createMemoryStore();
  if (stored) await store.set('t1', stored);
  const events = { refreshed: 0, lost: [] as unknown[] };
  let now = NOW;
  const manager = createTokenManager({
    connectionId: 't1',
    store,
    clientId: 'cid',
    clientSecret: 'client-secret-value',
    now: () => now,
    proactiveRefreshMs: 0,
    onTokenRefreshed: () => events.refreshed++,
    onAuthorizationLost: (e) => events.lost.push(e),
    ...over,
  });
  return { manager, store, accounts, events, advance: (ms: number) => (now += ms) };
}

describe('token manager', () => {
  it('500 concurrent getAccessToken() calls on an expired token → exactly 1 refresh', async () => {
    const { manager, accounts, events, store } = await setup(grant());
    const refreshing = deferred();
    const answer = deferred();
    accounts.state.onTokenRequest = () => refreshing.resolve();
    accounts.state.hold = answer.promise;
    const early = Array.from({ length: 250 }, () => manager.getAccessToken());
    await refreshing.promise; // the refresh is at Zoho: the other 250 calls arrive while it is in flight
    const late = Array.from({ length: 250 }, () => manager.getAccessToken());
    answer.resolve();
    const results = await Promise.all([...early, ...late]);
    expect(accounts.state.tokenRequests).toHaveLength(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(results[0]?.accessToken).not.toBe(grant().accessToken);
    expect(events.refreshed).toBe(1);
    expect(manager.refreshes).toBe(1);
    expect((await store.get('t1'))?.accessToken).toBe(results[0]?.accessToken);
  });

  it('serves a valid token from memory without touching the store again', async () => {
    const { manager, store, accounts } = await setup(grant({ expiresAt: NOW + 3_600_000 }));
    const get = vi.spyOn(store, 'get');
    await manager.getAccessToken();
    await manager.getAccessToken();
    await manager.getAccessToken();
    expect(get).toHaveBeenCalledTimes(1);
    expect(accounts.state.tokenRequests).toHaveLength(0);
  });

  it('currentGrant() hands the held token over at once while it is fresh, and nothing before a read or past the margin', async () => {
    const { manager, store, advance } = await setup(grant({ expiresAt: NOW + 3_600_000 }));
    expect(manager.currentGrant?.()).toBeUndefined(); // nothing read from the store yet: only getAccessToken can tell
    const read = await manager.getAccessToken();
    const get = vi.spyOn(store, 'get');
    const held = manager.currentGrant?.();
    expect(held).toEqual({ accessToken: grant().accessToken, apiDomain: 'https://www.zohoapis.com' });
    // One grant object per token: the API domain is checked once, not on every request.
    expect(manager.currentGrant?.()).toBe(held);
    expect(await manager.getAccessToken()).toBe(read);
    expect(get).not.toHaveBeenCalled();
    advance(3_600_000 - 60_000); // inside the refresh margin: the hot path must refresh first
    expect(manager.currentGrant?.()).toBeUndefined();
  });

  it('currentGrant() gives the new token after a refresh', async () => {
    const { manager, advance } = await setup(grant({ expiresAt: NOW + 3_600_000 }));
    const before = await manager.getAccessToken();
    advance(3_600_000);
    const after = await manager.getAccessToken();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(manager.currentGrant?.()).toBe(after);
  });

  it('hands out the new token when a store updates in place the row another manager holds', async () => {
    const accounts = fakeAccounts();
    server.use(...accounts.handlers);
    let row: StoredTokens | undefined = grant({ expiresAt: NOW + 120_000 });
    // A host's store that keeps one row object and writes into it (other managers hold that object).
    const store: TokenStore = {
      get: async () => row,
      set: async (_id, tokens) => {
        row = row ? Object.assign(row, tokens) : { ...tokens };
      },
      delete: async () => {
        row = undefined;
      },
    };
    let now = NOW;
    const manager = () =>
      createTokenManager({
        connectionId: 't1',
        store,
        clientId: 'cid',
        clientSecret: 'client-secret-value',
        now: () => now,
        proactiveRefreshMs: 0,
      });
    const refresher = manager();
    const holder = manager();
    const first = await holder.getAccessToken();
    now += 90_000; // within both managers' refresh margin
    const fresh = await refresher.getAccessToken(); // refreshes, and the store rewrites the row holder holds
    expect(fresh.accessToken).not.toBe(first.accessToken);
    expect(holder.currentGrant?.()?.accessToken ?? (await holder.getAccessToken()).accessToken).toBe(
      fresh.accessToken,
    );
    expect((await holder.refreshAfterRejection(first.accessToken)).accessToken).toBe(fresh.accessToken);
  });

  it('refreshes when less than the safety margin is left', async () => {
    const { manager, accounts, advance } = await setup(grant({ expiresAt: NOW + 120_000 }), {
      refreshMarginMs: 60_000,
    });
    await manager.getAccessToken();
    expect(accounts.state.tokenRequests).toHaveLength(0);
    advance(61_000);
    await manager.getAccessToken();
    expect(accounts.state.tokenRequests).toHaveLength(1);
  });

  it('uses the grant api_domain, or the apiUrl override', async () => {
    const a = await setup(grant({ expiresAt: NOW + 3_600_000 }));
    expect((await a.manager.getAccessToken()).apiDomain).toBe('https://www.zohoapis.com');
    const b = await setup(grant({ expiresAt: NOW + 3_600_000 }), {
      endpoints: { apiUrl: 'http://127.0.0.1:1/api/us' },
    });
    expect((await b.manager.getAccessToken()).apiDomain).toBe('http://127.0.0.1:1/api/us');
  });

  it('not authorized → AUTH_NOT_CONNECTED with reauthorize, no token request', async () => {
    const { manager, accounts, events } = await setup(undefined);
    await expect(manager.getAccessToken()).rejects.toMatchObject({
      code: ErrorCode.AUTH_NOT_CONNECTED,
      reauthorize: true,
    });
    expect(accounts.state.tokenRequests).toHaveLength(0);
    expect(events.lost).toHaveLength(0);
    expect(await manager.isAuthorized()).toBe(false);
  });

  it('a revoked refresh token → one authorizationLost, at most one token request, typed errors after', async () => {
    const { manager, accounts, events, store, advance } = await setup(grant());
    accounts.state.respond = () => HttpResponse.json({ error: 'invalid_code' });
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => manager.getAccessToken()));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
      code: ErrorCode.AUTH_INVALID_GRANT,
      reauthorize: true,
    });
    expect(accounts.state.tokenRequests).toHaveLength(1);
    expect(events.lost).toEqual([
      expect.objectContaining({ connectionId: 't1', code: ErrorCode.AUTH_INVALID_GRANT }),
    ]);
    expect(await store.get('t1')).toBeUndefined();
    // Fail fast afterwards, then (after the recheck interval) still typed, still no token request or new event.
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(AuthError);
    advance(10_000);
    await expect(manager.getAccessToken()).rejects.toMatchObject({
      code: ErrorCode.AUTH_NOT_CONNECTED,
      reauthorize: true,
    });
    expect(accounts.state.tokenRequests).toHaveLength(1);
    expect(events.lost).toHaveLength(1);
    expect(await manager.isAuthorized()).toBe(false);
  });

  it('recovers when an admin authorizes again', async () => {
    const { manager, accounts, events } = await setup(grant());
    accounts.state.respond = () => HttpResponse.json({ error: 'invalid_code' });
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(AuthError);
    await manager.saveGrant(grant({ accessToken: 'fresh-token-value', expiresAt: NOW + 3_600_000 }));
    expect((await manager.getAccessToken()).accessToken).toBe('fresh-token-value');
    expect(await manager.isAuthorized()).toBe(true);
    expect(events.lost).toHaveLength(1);
  });

  it('notices a grant stored by another process after authorization was lost', async () => {
    const { manager, accounts, store, advance } = await setup(grant());
    accounts.state.respond = () => HttpResponse.json({ error: 'invalid_code' });
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(AuthError);
    await store.set('t1', grant({ accessToken: 'from-node-b', expiresAt: NOW + 3_600_000 }));
    advance(6_000);
    expect((await manager.getAccessToken()).accessToken).toBe('from-node-b');
  });

  it('on 401 rejection refreshes once, even for many concurrent rejections of the same token', async () => {
    const stored = grant({ expiresAt: NOW + 3_600_000 });
    const { manager, accounts } = await setup(stored);
    await manager.getAccessToken();
    const fresh = await Promise.all(
      Array.from({ length: 20 }, () => manager.refreshAfterRejection(stored.accessToken)),
    );
    expect(accounts.state.tokenRequests).toHaveLength(1);
    expect(new Set(fresh.map((f) => f.accessToken)).size).toBe(1);
    // A late rejection of the old token returns the new one without another refresh.
    expect((await manager.refreshAfterRejection(stored.accessToken)).accessToken).toBe(fresh[0]?.accessToken);
    expect(accounts.state.tokenRequests).toHaveLength(1);
  });

  it('re-reads the store under the lock: another process may have refreshed already', async () => {
    const { manager, store, accounts } = await setup(grant());
    const withLock = vi.fn(async <T>(_id: string, _ttl: number, fn: () => Promise<T>) => {
      await store.set('t1', grant({ accessToken: 'refreshed-elsewhere', expiresAt: NOW + 3_600_000 }));
      return fn();
    });
    (store as TokenStore).withLock = withLock as TokenStore['withLock'];
    expect((await manager.getAccessToken()).accessToken).toBe('refreshed-elsewhere');
    expect(withLock).toHaveBeenCalledOnce();
    expect(accounts.state.tokenRequests).toHaveLength(0);
  });

  it('works with a store that cannot lock', async () => {
    const memory = createMemoryStore();
    const store: TokenStore = { get: memory.get, set: memory.set, delete: memory.delete };
    await store.set('t1', grant());
    const accounts = fakeAccounts();
    server.use(...accounts.handlers);
    const manager = createTokenManager({
      connectionId: 't1',
      store,
      clientId: 'c',
      clientSecret: 's',
      now: () => NOW,
      proactiveRefreshMs: 0,
    });
    await Promise.all([manager.getAccessToken(), manager.getAccessToken()]);
    expect(accounts.state.tokenRequests).toHaveLength(1);
  });

  it('keeps the current token when a refresh fails but it is still valid', async () => {
    const { manager, accounts, advance } = await setup(grant({ expiresAt: NOW + 30_000 }), {
      refreshMarginMs: 60_000,
    });
    accounts.state.respond = () =>
      HttpResponse.json({ error: 'Access Denied', error_description: 'too many requests' });
    expect((await manager.getAccessToken()).accessToken).toBe(grant().accessToken);
    advance(31_000);
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: ErrorCode.AUTH_THROTTLED });
  });

  it('the local guard refuses the 10th grant within 10 minutes for one refresh token', async () => {
    const { manager, accounts, advance } = await setup(grant({ expiresAt: NOW + 3_600_000 }), {
      refreshMarginMs: 0,
    });
    for (let i = 0; i < 9; i++) {
      const { accessToken } = await manager.getAccessToken();
      await manager.refreshAfterRejection(accessToken);
      advance(1_000);
    }
    expect(accounts.state.tokenRequests).toHaveLength(9);
    const current = await manager.getAccessToken();
    const error = await manager.refreshAfterRejection(current.accessToken).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.AUTH_THROTTLED, retryable: true });
    expect((error as Error).message).toContain('last 10 minutes');
    expect(accounts.state.tokenRequests).toHaveLength(9);
    advance(10 * 60_000);
    await expect(manager.refreshAfterRejection(current.accessToken)).resolves.toBeDefined();
    expect(accounts.state.tokenRequests).toHaveLength(10);
  });

  it('the guard lets a still-valid token through instead of failing', async () => {
    const { manager, accounts, advance } = await setup(grant(), {
      refreshMarginMs: 120_000,
      maxGrantsPerWindow: 1,
    });
    accounts.state.expiresIn = 100; // every new token is already inside the refresh margin
    const first = await manager.getAccessToken();
    expect(accounts.state.tokenRequests).toHaveLength(1);
    advance(1_000);
    expect((await manager.getAccessToken()).accessToken).toBe(first.accessToken);
    expect(accounts.state.tokenRequests).toHaveLength(1);
  });

  it('refreshes proactively before expiry, off the hot path (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let now = NOW;
    const accounts = fakeAccounts();
    server.use(...accounts.handlers);
    const store = createMemoryStore();
    await store.set('t1', grant({ expiresAt: NOW + 600_000 }));
    const refreshed = deferred();
    const manager = createTokenManager({
      connectionId: 't1',
      store,
      clientId: 'c',
      clientSecret: 's',
      now: () => now,
      random: () => 0,
      proactiveRefreshMs: 300_000,
      onTokenRefreshed: () => refreshed.resolve(),
    });
    await manager.getAccessToken();
    now += 299_000;
    await vi.advanceTimersByTimeAsync(299_000);
    expect(accounts.state.tokenRequests).toHaveLength(0);
    now += 1_000;
    await vi.advanceTimersByTimeAsync(1_000);
    await refreshed.promise; // without any call asking for a token
    expect(accounts.state.tokenRequests).toHaveLength(1);
    expect(manager.refreshes).toBe(1);
    manager.close();
  });

  it('forget() deletes the grant and returns it', async () => {
    const stored = grant({ expiresAt: NOW + 3_600_000 });
    const { manager, store } = await setup(stored);
    expect(await manager.isAuthorized()).toBe(true);
    expect(await manager.forget()).toEqual(stored);
    expect(await store.get('t1')).toBeUndefined();
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: ErrorCode.AUTH_NOT_CONNECTED });
  });

  it('a refresh keeps what was written beside the tokens while Zoho answered (the calibration)', async () => {
    const { manager, accounts, store } = await setup(grant());
    const refreshing = deferred();
    const answer = deferred();
    accounts.state.onTokenRequest = () => refreshing.resolve();
    accounts.state.hold = answer.promise;
    const token = manager.getAccessToken();
    await refreshing.promise;
    const current = (await store.get('t1')) as StoredTokens;
    const calibration = {
      phoneSearch: 'digits-exact' as const,
      durationFormat: 'HH:mm' as const,
      phoneFields: {},
      callsMandatoryFields: [],
      measuredAt: NOW,
    };
    await store.set('t1', { ...current, calibration });
    answer.resolve();
    await token;
    const stored = await store.get('t1');
    expect(stored?.accessToken).not.toBe(current.accessToken);
    expect(stored?.calibration).toEqual(calibration);
  });
});
