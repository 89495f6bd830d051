/**
 * The Authorize flow of one connection (authorize URL, callback, revoke) against a scripted accounts
 * server: what is stored, what is refused and why, and that nothing is sent when the callback is wrong.
 */
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ErrorCode } from '../../src/errors.js';
import { type AuthorizationOptions, createAuthorization } from '../../src/oauth/authorization.js';
import { DEFAULT_SCOPES } from '../../src/oauth/scopes.js';
import { createTokenManager } from '../../src/oauth/token-manager.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { StoredTokens } from '../../src/stores/types.js';
import { fakeAccounts } from './fake-accounts.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const NOW = 1_700_000_000_000;
const REDIRECT = 'https://pbx.example.com/api/auth/callback/zoho';

function setup(over: Partial<AuthorizationOptions> = {}, accountsBase = 'https://accounts.zoho.eu') {
  const accounts = fakeAccounts(accountsBase);
  server.use(...accounts.handlers);
  const store = createMemoryStore();
  const tokens = createTokenManager({
    connectionId: 'tenant-a',
    store,
    clientId: '1000.CLIENT',
    clientSecret: 'client-secret-value-123',
    now: () => NOW,
    proactiveRefreshMs: 0,
  });
  const auth = createAuthorization({
    connectionId: 'tenant-a',
    clientId: '1000.CLIENT',
    clientSecret: 'client-secret-value-123',
    redirectUri: REDIRECT,
    region: 'US',
    tokens,
    now: () => NOW,
    ...over,
  });
  /** The callback Zoho would send for the state of a fresh authorize URL. */
  const callback = async (params: Record<string, string>) => {
    const { state } = await auth.authorizationUrl();
    return new URLSearchParams({ state, ...params });
  };
  return { auth, accounts, store, tokens, callback };
}

describe('authorizationUrl', () => {
  it("starts at the configured region's accounts server with a state that expires in 10 minutes", async () => {
    const { auth } = setup({ region: 'EU' });
    const request = await auth.authorizationUrl();
    const url = new URL(request.url);
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.zoho.eu/oauth/v2/auth');
    expect(url.searchParams.get('state')).toBe(request.state);
    expect(url.searchParams.get('client_id')).toBe('1000.CLIENT');
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(url.searchParams.get('scope')).toBe(DEFAULT_SCOPES.join(','));
    expect(request.expiresAt).toBe(NOW + 600_000);
  });

  it('asks for the configured scopes and honours an accounts override', async () => {
    const { auth } = setup({
      scopes: ['ZohoCRM.modules.contacts.READ'],
      endpoints: { accountsUrl: 'http://127.0.0.1:9/accounts/' },
    });
    const url = new URL((await auth.authorizationUrl()).url);
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:9/accounts/oauth/v2/auth');
    expect(url.searchParams.get('scope')).toBe('ZohoCRM.modules.contacts.READ');
  });
});

describe('handleCallback', () => {
  it("stores the grant at the callback's data centre and reports it", async () => {
    const { auth, accounts, store, callback, tokens } = setup();
    const result = await auth.handleCallback(
      await callback({ code: '1000.code', location: 'eu', 'accounts-server': 'https://accounts.zoho.eu' }),
    );
    expect(result).toEqual({ region: 'EU', apiDomain: 'https://www.zohoapis.com' });
    expect(accounts.state.tokenRequests).toHaveLength(1);
    expect(accounts.state.tokenRequests[0]?.url).toBe('https://accounts.zoho.eu/oauth/v2/token');
    const stored = (await store.get('tenant-a')) as StoredTokens;
    expect(stored).toEqual({
      accessToken: expect.stringMatching(/^1000\./),
      refreshToken: expect.stringMatching(/^1000\./),
      expiresAt: NOW + 3_600_000,
      apiDomain: 'https://www.zohoapis.com',
      accountsServer: 'https://accounts.zoho.eu',
      region: 'EU',
      grantedAt: NOW,
    });
    expect(tokens.region).toBe('EU');
    expect(await tokens.isAuthorized()).toBe(true);
  });

  it('keeps the granted scope when Zoho reports it', async () => {
    const { auth, accounts, store, callback } = setup();
    accounts.state.respond = () =>
      HttpResponse.json({
        access_token: '1000.access',
        refresh_token: '1000.refresh',
        api_domain: 'https://www.zohoapis.eu',
        expires_in: 3600,
        scope: 'ZohoCRM.modules.ALL',
      });
    const result = await auth.handleCallback(
      await callback({ code: '1000.code', 'accounts-server': 'https://accounts.zoho.eu' }),
    );
    expect(result).toEqual({
      region: 'EU',
      apiDomain: 'https://www.zohoapis.eu',
      scope: 'ZohoCRM.modules.ALL',
    });
    expect((await store.get('tenant-a'))?.scope).toBe('ZohoCRM.modules.ALL');
  });

  it('uses the API override when Zoho sends no api_domain, and refuses when there is neither', async () => {
    const bare = () =>
      HttpResponse.json({ access_token: '1000.access', refresh_token: '1000.refresh', expires_in: 3600 });
    const withOverride = setup({
      endpoints: { regions: { EU: { accountsUrl: 'https://accounts.zoho.eu', apiUrl: 'http://api.test' } } },
    });
    withOverride.accounts.state.respond = bare;
    const result = await withOverride.auth.handleCallback(
      await withOverride.callback({ code: '1000.code', 'accounts-server': 'https://accounts.zoho.eu' }),
    );
    expect(result.apiDomain).toBe('http://api.test');

    const without = setup();
    without.accounts.state.respond = bare;
    const error = await without.auth
      .handleCallback(
        await without.callback({ code: '1000.code', 'accounts-server': 'https://accounts.zoho.eu' }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: ErrorCode.AUTH_REFRESH_FAILED, reauthorize: true });
    expect((error as Error).message).toMatch(/api_domain/);
    expect(await without.store.get('tenant-a')).toBeUndefined();
  });

  it('refuses a grant without a refresh token (no offline access) and stores nothing', async () => {
    const { auth, accounts, store, callback } = setup();
    accounts.state.respond = () =>
      HttpResponse.json({
        access_token: '1000.access',
        api_domain: 'https://www.zohoapis.eu',
        expires_in: 3600,
      });
    const error = await auth
      .handleCallback(await callback({ code: '1000.code', 'accounts-server': 'https://accounts.zoho.eu' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.AUTH_REFRESH_FAILED, reauthorize: true });
    expect((error as Error).message).toMatch(/no refresh token/);
    expect(await store.get('tenant-a')).toBeUndefined();
  });

  it('a callback without a code is AUTH_INVALID_CALLBACK and contacts nobody', async () => {
    const { auth, accounts, callback } = setup();
    const error = await auth.handleCallback(await callback({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: ErrorCode.AUTH_INVALID_CALLBACK, reauthorize: true });
    expect(accounts.state.tokenRequests).toHaveLength(0);
  });

  it('a foreign or replayed state is AUTH_STATE_MISMATCH and contacts nobody', async () => {
    const { auth, accounts, callback } = setup();
    const query = await callback({ code: '1000.code', 'accounts-server': 'https://accounts.zoho.eu' });
    await auth.handleCallback(query);
    await expect(auth.handleCallback(query)).rejects.toMatchObject({ code: ErrorCode.AUTH_STATE_MISMATCH });
    const other = setup({ connectionId: 'tenant-b' });
    await expect(auth.handleCallback(await other.callback({ code: '1000.code' }))).rejects.toMatchObject({
      code: ErrorCode.AUTH_STATE_MISMATCH,
    });
    expect(accounts.state.tokenRequests).toHaveLength(1);
  });

  it.each([
    [
      { error: 'access_denied', error_description: 'User clicked Deny' },
      /^The Zoho user denied access \(User clicked Deny\); click Authorize to try again\.$/,
    ],
    [{ error: 'access_denied' }, /^The Zoho user denied access; click Authorize to try again\.$/],
    [{ error: 'no_org' }, /has no Zoho CRM organisation \(no_org\)/],
    [
      { error: 'invalid_scope', error_description: 'bad scope' },
      /^Zoho refused the authorization \(invalid_scope\) \(bad scope\)\.$/,
    ],
    [{ error: 'server_error' }, /^Zoho refused the authorization \(server_error\)\.$/],
  ])('a denial %j is AUTH_ACCESS_DENIED with its reason', async (params, message) => {
    const { auth, accounts, callback } = setup();
    const query = await callback(params);
    const error = await auth.handleCallback(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({
      code: ErrorCode.AUTH_ACCESS_DENIED,
      reauthorize: true,
      zohoCode: params.error,
    });
    expect((error as Error).message).toMatch(message);
    expect(accounts.state.tokenRequests).toHaveLength(0);
    // The denied attempt used up its state: replaying it with a code is refused.
    query.delete('error');
    query.set('code', '1000.code');
    await expect(auth.handleCallback(query)).rejects.toMatchObject({ code: ErrorCode.AUTH_STATE_MISMATCH });
  });

  it('a denial wins even when its state is not ours', async () => {
    const { auth } = setup();
    await expect(auth.handleCallback({ error: 'access_denied', state: 'forged' })).rejects.toMatchObject({
      code: ErrorCode.AUTH_ACCESS_DENIED,
    });
  });
});

describe('revoke', () => {
  async function authorized(accountsBase?: string) {
    const ctx = setup({}, accountsBase);
    await ctx.auth.handleCallback(
      await ctx.callback({ code: '1000.code', 'accounts-server': 'https://accounts.zoho.eu' }),
    );
    return ctx;
  }

  it('revokes the refresh token at the accounts server that granted it and deletes it locally', async () => {
    const { auth, accounts, store } = await authorized();
    const refreshToken = (await store.get('tenant-a'))?.refreshToken;
    expect(await auth.revoke()).toEqual({ revokedAtZoho: true, deletedLocally: true });
    const [url] = accounts.state.revokeRequests;
    expect(url?.startsWith('https://accounts.zoho.eu/oauth/v2/token/revoke?')).toBe(true);
    expect(new URL(url ?? '').searchParams.get('token')).toBe(refreshToken);
    expect(await store.get('tenant-a')).toBeUndefined();
  });

  it('deletes locally and says why when Zoho refuses, without the token in the reason', async () => {
    const { auth, accounts, store } = await authorized();
    const refreshToken = (await store.get('tenant-a'))?.refreshToken as string;
    accounts.state.revokeStatus = 400;
    const result = await auth.revoke();
    expect(result).toMatchObject({ revokedAtZoho: false, deletedLocally: true });
    expect(result.reason).toEqual(expect.any(String));
    expect(result.reason).not.toBe('unknown error');
    expect(result.reason).not.toContain(refreshToken);
    expect(await store.get('tenant-a')).toBeUndefined();
  });

  it('deletes locally when the accounts server cannot be reached', async () => {
    const { auth, store } = await authorized();
    server.use(http.post('https://accounts.zoho.eu/oauth/v2/token/revoke', () => HttpResponse.error()));
    expect(await auth.revoke()).toMatchObject({ revokedAtZoho: false, deletedLocally: true });
    expect(await store.get('tenant-a')).toBeUndefined();
  });

  it('without a grant there is nothing to revoke and nobody is contacted', async () => {
    const { auth, accounts } = setup();
    expect(await auth.revoke()).toEqual({
      revokedAtZoho: false,
      deletedLocally: false,
      reason: 'not authorized',
    });
    expect(accounts.state.revokeRequests).toHaveLength(0);
  });
});
