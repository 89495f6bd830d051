import { describe, expect, it, vi } from 'vitest';
import { AuthError, ErrorCode } from '../../src/errors.js';
import type { EndpointOverrides } from '../../src/options.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { StoredTokens } from '../../src/stores/types.js';
import { testConnector } from '../helpers/test-connector.js';

const REFRESH_TOKEN = `1000.${'r'.repeat(32)}.${'f'.repeat(32)}`;

const grant = (accountsServer: string, over: Partial<StoredTokens> = {}): StoredTokens => ({
  accessToken: `1000.${'0'.repeat(32)}.${'e'.repeat(32)}`,
  refreshToken: REFRESH_TOKEN,
  expiresAt: Date.now() - 1, // expired: the next call must refresh
  apiDomain: 'https://www.zohoapis.com',
  accountsServer,
  region: 'US',
  grantedAt: Date.now() - 86_400_000,
  ...over,
});

/** A fetch spy that answers like Zoho's token, revoke and search endpoints. */
function fetchSpy() {
  return vi.fn<typeof fetch>(async (input) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname.endsWith('/oauth/v2/token/revoke')) return Response.json({ status: 'success' });
    if (url.pathname.endsWith('/oauth/v2/token')) {
      return Response.json({
        access_token: `1000.${'a'.repeat(32)}.${'b'.repeat(32)}`,
        api_domain: 'https://www.zohoapis.com',
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }
    return new Response(null, { status: 204 });
  });
}

async function connector(stored: StoredTokens, endpoints?: EndpointOverrides) {
  const tokenStore = createMemoryStore();
  await tokenStore.set('t1', stored);
  const fetch = fetchSpy();
  const zoho = testConnector({ tokenStore, fetch, ...(endpoints ? { endpoints } : {}) });
  /** Hosts that received an accounts-server request (token or revoke). */
  const hosts = () =>
    fetch.mock.calls
      .map(([input]) => new URL(String(input)))
      .filter((url) => url.pathname.includes('/oauth/'))
      .map((url) => url.host);
  return { zoho, fetch, tokenStore, hosts };
}

const FOREIGN = [
  'https://attacker.example',
  'https://accounts.zoho.com.attacker.example',
  'https://accounts.zoho.com@attacker.example',
  'http://accounts.zoho.com', // Zoho's host, but not over https
  'not a url',
];

describe('finding 3: a token-store entry cannot decide where secrets go', () => {
  it.each(FOREIGN)('refresh with accountsServer %s: typed error, no request at all', async (server) => {
    const { zoho, fetch } = await connector(grant(server));
    const error = await zoho.searchDirectory('smith').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: ErrorCode.AUTH_UNTRUSTED_ACCOUNTS_SERVER, reauthorize: true });
    expect(fetch).not.toHaveBeenCalled();
    await zoho.close();
  });

  it.each(FOREIGN)(
    'revoke with accountsServer %s: nothing sent, deleted locally, typed reason',
    async (server) => {
      const { zoho, fetch, tokenStore } = await connector(grant(server));
      const result = await zoho.revoke();
      expect(result).toMatchObject({
        revokedAtZoho: false,
        deletedLocally: true,
        code: ErrorCode.AUTH_UNTRUSTED_ACCOUNTS_SERVER,
      });
      expect(fetch).not.toHaveBeenCalled();
      expect(await tokenStore.get('t1')).toBeUndefined();
      await zoho.close();
    },
  );

  it('a still-valid access token keeps working; only the refresh is refused', async () => {
    const { zoho, fetch } = await connector(
      grant('https://attacker.example', { expiresAt: Date.now() + 30_000 }), // inside the refresh margin
    );
    await expect(zoho.searchDirectory('smith')).resolves.toEqual([]);
    expect(fetch.mock.calls.every(([input]) => new URL(String(input)).host === 'www.zohoapis.com')).toBe(
      true,
    );
    await zoho.close();
  });

  it("Zoho's own accounts servers (the region table) still receive the refresh and the revoke", async () => {
    const { zoho, hosts } = await connector(grant('https://accounts.zoho.eu/', { region: 'EU' }));
    await zoho.searchDirectory('smith');
    expect(await zoho.revoke()).toMatchObject({ revokedAtZoho: true });
    expect(hosts()).toEqual(['accounts.zoho.eu', 'accounts.zoho.eu']);
    await zoho.close();
  });

  it('an explicit endpoints override is trusted; the same entry without it is not', async () => {
    const local = 'http://127.0.0.1:9/accounts/us';
    const overridden = await connector(grant(local), {
      accountsUrl: local,
      apiUrl: 'http://127.0.0.1:9/api',
    });
    await overridden.zoho.searchDirectory('smith');
    expect(overridden.hosts()).toEqual(['127.0.0.1:9']);
    expect(String(overridden.fetch.mock.calls[0]?.[0])).toBe(`${local}/oauth/v2/token`);
    await overridden.zoho.close();

    const perRegion = await connector(grant(local), {
      regions: { US: { accountsUrl: local, apiUrl: 'http://127.0.0.1:9/api' } },
    });
    await perRegion.zoho.searchDirectory('smith');
    expect(perRegion.hosts()[0]).toBe('127.0.0.1:9');
    await perRegion.zoho.close();

    const plain = await connector(grant(local));
    await expect(plain.zoho.searchDirectory('smith')).rejects.toMatchObject({
      code: ErrorCode.AUTH_UNTRUSTED_ACCOUNTS_SERVER,
    });
    expect(plain.fetch).not.toHaveBeenCalled();
    await plain.zoho.close();
  });
});

describe('a token-store entry cannot decide where the access token goes either', () => {
  it.each([
    'https://attacker.example',
    'https://www.zohoapis.com.attacker.example',
    'http://www.zohoapis.com',
    'not a url',
  ])('apiDomain %s: CRM requests go to the region table’s API domain', async (apiDomain) => {
    // A valid, unexpired token: no refresh rewrites the entry before the CRM request.
    const { zoho, fetch } = await connector(
      grant('https://accounts.zoho.com', { apiDomain, expiresAt: Date.now() + 3_600_000 }),
    );
    await zoho.searchDirectory('smith');
    const crmHosts = fetch.mock.calls
      .map(([input]) => new URL(String(input instanceof Request ? input.url : input)))
      .filter((url) => url.pathname.includes('/crm/'))
      .map((url) => url.host);
    expect(crmHosts.length).toBeGreaterThan(0);
    expect(new Set(crmHosts)).toEqual(new Set(['www.zohoapis.com']));
    await zoho.close();
  });

  it('a Zoho API domain of another shape (sandbox) is kept as stored', async () => {
    const { zoho, fetch } = await connector(
      grant('https://accounts.zoho.com', {
        apiDomain: 'https://sandbox.zohoapis.com',
        expiresAt: Date.now() + 3_600_000,
      }),
    );
    await zoho.searchDirectory('smith');
    const crm = fetch.mock.calls
      .map(([input]) => new URL(String(input instanceof Request ? input.url : input)))
      .filter((url) => url.pathname.includes('/crm/'));
    expect(crm.length).toBeGreaterThan(0);
    expect(crm.every((url) => url.host === 'sandbox.zohoapis.com')).toBe(true);
    await zoho.close();
  });
});
