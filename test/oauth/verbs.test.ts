import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ErrorCode, TransportError, ZohoApiError } from '../../src/errors.js';
import { buildAuthorizeUrl } from '../../src/oauth/authorize-url.js';
import { parseCallback } from '../../src/oauth/callback.js';
import { endpointsFor, resolveCallbackTarget } from '../../src/oauth/endpoints.js';
import { exchangeCode } from '../../src/oauth/exchange-code.js';
import { refreshAccessToken } from '../../src/oauth/refresh-token.js';
import { revokeToken } from '../../src/oauth/revoke-token.js';
import { DEFAULT_SCOPES } from '../../src/oauth/scopes.js';
import { isStale, TokenResponseSchema, toTokenSet } from '../../src/oauth/token-set.js';
import { untilAborted } from '../helpers/msw.js';
import { fakeAccounts } from './fake-accounts.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const CLIENT = { clientId: '1000.CLIENT', clientSecret: 'client-secret-value-123' };
const REFRESH = `1000.${'c'.repeat(32)}.${'d'.repeat(32)}`;

describe('buildAuthorizeUrl', () => {
  it('README example: offline access, forced consent, comma-separated minimal scopes, no secret', () => {
    const url = new URL(
      buildAuthorizeUrl({
        accountsUrl: 'https://accounts.zoho.eu/',
        clientId: CLIENT.clientId,
        redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
        state: 'st',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://accounts.zoho.eu/oauth/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT.clientId,
      scope: DEFAULT_SCOPES.join(','),
      redirect_uri: 'https://pbx.example.com/api/auth/callback/zoho',
      access_type: 'offline',
      prompt: 'consent',
      state: 'st',
    });
    expect(url.toString()).not.toContain(CLIENT.clientSecret);
  });

  it('default scopes cover every feature', () => {
    expect(DEFAULT_SCOPES).toEqual(
      expect.arrayContaining([
        'ZohoCRM.modules.contacts.READ',
        'ZohoCRM.modules.leads.CREATE',
        'ZohoCRM.modules.accounts.READ',
        'ZohoCRM.modules.calls.CREATE',
        'ZohoCRM.modules.notes.CREATE',
        'ZohoCRM.users.READ',
        'ZohoSearch.securesearch.READ',
        'ZohoCRM.settings.fields.READ',
        'ZohoCRM.coql.READ',
      ]),
    );
  });

  it('uses custom scopes when given', () => {
    const url = new URL(
      buildAuthorizeUrl({
        accountsUrl: 'https://a',
        clientId: 'c',
        redirectUri: 'https://r',
        state: 's',
        scopes: ['A', 'B'],
      }),
    );
    expect(url.searchParams.get('scope')).toBe('A,B');
  });
});

describe('parseCallback', () => {
  const full = {
    code: '1000.code',
    state: 'st',
    location: 'eu',
    accountsServer: 'https://accounts.zoho.eu',
  };
  it.each([
    [
      'a full URL',
      'https://pbx.example.com/api/auth/callback/zoho?code=1000.code&state=st&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu#frag',
    ],
    [
      'a path with query',
      '/api/auth/callback/zoho?code=1000.code&state=st&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu',
    ],
    ['a bare query', 'code=1000.code&state=st&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu'],
    [
      'a URL object',
      new URL(
        'https://x/cb?code=1000.code&state=st&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu',
      ),
    ],
    [
      'URLSearchParams',
      new URLSearchParams({
        code: '1000.code',
        state: 'st',
        location: 'eu',
        'accounts-server': 'https://accounts.zoho.eu',
      }),
    ],
    [
      'a parsed query object',
      {
        code: ['1000.code', 'ignored'],
        state: 'st',
        location: 'eu',
        'accounts-server': 'https://accounts.zoho.eu',
        extra: undefined,
      },
    ],
  ])('reads %s', (_label, input) => {
    expect(parseCallback(input)).toEqual(full);
  });

  it('reads errors and ignores empty values', () => {
    expect(parseCallback('?error=access_denied&error_description=User%20denied&code=')).toEqual({
      error: 'access_denied',
      errorDescription: 'User denied',
    });
  });
});

describe('endpoints', () => {
  it('uses Zoho hosts, a single override, or per-region overrides', () => {
    expect(endpointsFor('EU', undefined)).toEqual({
      region: 'EU',
      accountsUrl: 'https://accounts.zoho.eu',
      apiUrl: undefined,
    });
    expect(
      endpointsFor('EU', { accountsUrl: 'http://127.0.0.1:1/accounts/', apiUrl: 'http://127.0.0.1:1/api' }),
    ).toEqual({
      region: 'EU',
      accountsUrl: 'http://127.0.0.1:1/accounts',
      apiUrl: 'http://127.0.0.1:1/api',
    });
    expect(
      endpointsFor('JP', {
        regions: { JP: { accountsUrl: 'http://h/accounts/jp', apiUrl: 'http://h/api/jp' } },
      }),
    ).toEqual({
      region: 'JP',
      accountsUrl: 'http://h/accounts/jp',
      apiUrl: 'http://h/api/jp',
    });
  });

  it("the callback's accounts server wins over the configured region", () => {
    expect(
      resolveCallbackTarget({ location: 'eu', accountsServer: 'https://accounts.zoho.eu' }, 'US', undefined),
    ).toMatchObject({
      region: 'EU',
      accountsUrl: 'https://accounts.zoho.eu',
    });
  });

  it('a known Zoho server behind a proxy override goes through the proxy', () => {
    expect(
      resolveCallbackTarget({ accountsServer: 'https://accounts.zoho.in' }, 'US', {
        regions: { IN: { accountsUrl: 'http://proxy/in', apiUrl: 'http://proxy/api/in' } },
      }),
    ).toMatchObject({
      region: 'IN',
      accountsUrl: 'http://proxy/in',
    });
  });

  it('matches overrides: per region, then the single one (region from location)', () => {
    const overrides = {
      accountsUrl: 'http://h/accounts/us',
      regions: { AU: { accountsUrl: 'http://h/accounts/au', apiUrl: 'http://h/api/au' } },
    };
    expect(resolveCallbackTarget({ accountsServer: 'http://h/accounts/au/' }, 'US', overrides).region).toBe(
      'AU',
    );
    expect(
      resolveCallbackTarget({ accountsServer: 'http://h/accounts/us', location: 'ca' }, 'US', overrides)
        .region,
    ).toBe('CA');
    expect(
      resolveCallbackTarget({ accountsServer: 'http://h/accounts/us', location: 'zz' }, 'SA', overrides)
        .region,
    ).toBe('SA');
  });

  it('without an accounts server: location, else the configured region', () => {
    expect(resolveCallbackTarget({ location: 'jp' }, 'US', undefined).region).toBe('JP');
    expect(resolveCallbackTarget({}, 'UK', undefined)).toMatchObject({
      region: 'UK',
      accountsUrl: 'https://accounts.zoho.uk',
    });
  });

  it('refuses an accounts server that is neither Zoho nor configured', () => {
    expect(() => resolveCallbackTarget({ accountsServer: 'https://evil.example' }, 'US', undefined)).toThrow(
      expect.objectContaining({ code: ErrorCode.AUTH_INVALID_CALLBACK }),
    );
  });
});

describe('token set', () => {
  const now = 1_000_000;
  it.each([
    [{ expires_in: 3600 }, 3_600_000],
    [{ expires_in: 3_600_000, expires_in_sec: 3600 }, 3_600_000],
    [{ expires_in: 3_600_000 }, 3_600_000],
    [{}, 3_600_000],
  ])('expiry from %j', (fields, ms) => {
    expect(toTokenSet(TokenResponseSchema.parse({ access_token: 'a', ...fields }), now).expiresAt).toBe(
      now + ms,
    );
  });

  it('never prints its tokens', () => {
    const set = toTokenSet(
      TokenResponseSchema.parse({
        access_token: 'ACCESS-SECRET',
        refresh_token: 'REFRESH-SECRET',
        api_domain: 'https://www.zohoapis.com',
        scope: 's',
      }),
      now,
    );
    expect(set.accessToken).toBe('ACCESS-SECRET');
    for (const view of [JSON.stringify(set), inspect(set, { depth: 5 })]) {
      expect(view).not.toContain('ACCESS-SECRET');
      expect(view).not.toContain('REFRESH-SECRET');
    }
    const bare = toTokenSet(TokenResponseSchema.parse({ access_token: 'ACCESS-SECRET' }), now);
    expect(JSON.stringify(bare)).not.toContain('refreshToken');
  });

  it('isStale honours the margin', () => {
    expect(isStale(10_000, 0, 5_000)).toBe(false);
    expect(isStale(10_000, 5_000, 5_000)).toBe(true);
  });
});

describe('token endpoint verbs', () => {
  it('exchangeCode posts the secrets as a form body, never in the URL', async () => {
    const accounts = fakeAccounts('https://accounts.zoho.eu');
    server.use(...accounts.handlers);
    const set = await exchangeCode({
      accountsUrl: 'https://accounts.zoho.eu',
      ...CLIENT,
      redirectUri: 'https://pbx/cb',
      code: '1000.grant',
    });
    expect(set.refreshToken).toBeDefined();
    const [request] = accounts.state.tokenRequests;
    expect(request?.url).toBe('https://accounts.zoho.eu/oauth/v2/token');
    expect(request?.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: 'authorization_code',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      redirect_uri: 'https://pbx/cb',
      code: '1000.grant',
    });
  });

  it('refreshAccessToken sends the refresh grant', async () => {
    const accounts = fakeAccounts();
    server.use(...accounts.handlers);
    const set = await refreshAccessToken({
      accountsUrl: 'https://accounts.zoho.com',
      ...CLIENT,
      refreshToken: REFRESH,
      now: () => 0,
    });
    expect(set).toMatchObject({ expiresAt: 3_600_000, apiDomain: 'https://www.zohoapis.com' });
    expect(set.refreshToken).toBeUndefined();
    expect(accounts.state.tokenRequests[0]?.form.get('grant_type')).toBe('refresh_token');
    expect(accounts.state.tokenRequests[0]?.form.get('refresh_token')).toBe(REFRESH);
  });

  it.each([
    ['{"error":"invalid_code"}', 200, AuthError, ErrorCode.AUTH_INVALID_GRANT],
    ['{"error":"invalid_client"}', 200, AuthError, ErrorCode.AUTH_INVALID_CLIENT],
    [
      '{"error":"Access Denied","error_description":"too many requests"}',
      200,
      AuthError,
      ErrorCode.AUTH_THROTTLED,
    ],
    ['<html>oops</html>', 200, ZohoApiError, ErrorCode.ZOHO_INVALID_RESPONSE],
    ['{"token_type":"Bearer"}', 200, ZohoApiError, ErrorCode.ZOHO_INVALID_RESPONSE],
    ['{}', 500, ZohoApiError, ErrorCode.ZOHO_API],
  ] as const)('%s with HTTP %i → %s %s', async (body, status, klass, code) => {
    server.use(
      http.post('https://accounts.zoho.com/oauth/v2/token', () => new HttpResponse(body, { status })),
    );
    const error = await refreshAccessToken({
      accountsUrl: 'https://accounts.zoho.com',
      ...CLIENT,
      refreshToken: REFRESH,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(klass);
    expect(error).toMatchObject({ code });
    const views = [String(error), JSON.stringify(error), inspect(error, { depth: 10 })].join('\n');
    expect(views).not.toContain(REFRESH);
    expect(views).not.toContain(CLIENT.clientSecret);
  });

  it('a network failure is a TransportError with no secret in it', async () => {
    server.use(http.post('https://accounts.zoho.com/oauth/v2/token', () => HttpResponse.error()));
    const error = await refreshAccessToken({
      accountsUrl: 'https://accounts.zoho.com',
      ...CLIENT,
      refreshToken: REFRESH,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(inspect(error, { depth: 10 })).not.toContain(REFRESH);
  });

  it('an aborted call is ABORTED', async () => {
    server.use(http.post('https://accounts.zoho.com/oauth/v2/token', ({ request }) => untilAborted(request)));
    const error = await refreshAccessToken({
      accountsUrl: 'https://accounts.zoho.com',
      ...CLIENT,
      refreshToken: REFRESH,
      signal: AbortSignal.abort(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.ABORTED });
  });

  it('a slow token endpoint times out', async () => {
    // It never answers: only the 20 ms timeout can end the call, however slow the machine.
    server.use(http.post('https://accounts.zoho.com/oauth/v2/token', ({ request }) => untilAborted(request)));
    const error = await refreshAccessToken({
      accountsUrl: 'https://accounts.zoho.com',
      ...CLIENT,
      refreshToken: REFRESH,
      timeoutMs: 20,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT });
  });

  it('revokeToken uses the documented token query parameter and succeeds on {"status":"success"}', async () => {
    const accounts = fakeAccounts();
    server.use(...accounts.handlers);
    await revokeToken({ accountsUrl: 'https://accounts.zoho.com', refreshToken: REFRESH });
    expect(new URL(accounts.state.revokeRequests[0] ?? '').searchParams.get('token')).toBe(REFRESH);
  });

  it('revokeToken throws a secret-free error when Zoho refuses', async () => {
    const accounts = fakeAccounts();
    accounts.state.revokeStatus = 400;
    server.use(...accounts.handlers);
    const error = await revokeToken({
      accountsUrl: 'https://accounts.zoho.com',
      refreshToken: REFRESH,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(inspect(error, { depth: 10 })).not.toContain(REFRESH);
  });
});
