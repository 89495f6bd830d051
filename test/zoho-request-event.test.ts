import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZohoCrmConnector, type ZohoRequestEvent } from '../src/connector.js';
import { createMemoryStore } from '../src/stores/memory.js';

/** The `zohoRequest` event: one per attempt sent to Zoho's CRM API, for metrics and tracing. */
const open: ZohoCrmConnector[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((zoho) => zoho.close()));
});

async function connector(fetch: typeof globalThis.fetch) {
  const tokenStore = createMemoryStore();
  await tokenStore.set('t1', {
    accessToken: 'access-token-for-tests',
    refreshToken: 'refresh-token-for-tests',
    expiresAt: Date.now() + 3_600_000,
    apiDomain: 'https://www.zohoapis.com',
    accountsServer: 'https://accounts.zoho.com',
    region: 'US',
    grantedAt: Date.now(),
  });
  const zoho = new ZohoCrmConnector({
    connectionId: 't1',
    clientId: '1000.CLIENT',
    clientSecret: 'client-secret-for-tests',
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    tokenStore,
    fetch,
    http: { retries: 1 },
  });
  open.push(zoho);
  return zoho;
}

describe('the zohoRequest event', () => {
  it('reports every attempt with its status, and a retry as attempt 2', async () => {
    let calls = 0;
    const zoho = await connector(async () => {
      calls++;
      if (calls === 1) return new Response('{"code":"INTERNAL_ERROR"}', { status: 500 });
      return new Response(JSON.stringify({ data: [] }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    });
    const events: ZohoRequestEvent[] = [];
    zoho.on('zohoRequest', (event) => events.push(event));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // the retry's backoff, without waiting
    const search = zoho.searchDirectory('Lovelace', { limit: 5 });
    await vi.advanceTimersByTimeAsync(10_000);
    await search;
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toMatchObject({ connectionId: 't1', method: 'GET', status: 500, attempt: 1 });
    expect(events[1]).toMatchObject({ connectionId: 't1', method: 'GET', status: 200, attempt: 2 });
    for (const event of events) {
      expect(event.path.startsWith('/')).toBe(true);
      expect(event.path).not.toContain('?');
      expect(JSON.stringify(event)).not.toContain('access-token-for-tests');
      expect(event.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('reports an attempt that got no answer with its failure kind', async () => {
    const zoho = await connector(async () => {
      throw new TypeError('fetch failed');
    });
    const events: ZohoRequestEvent[] = [];
    zoho.on('zohoRequest', (event) => events.push(event));
    await expect(zoho.searchDirectory('Lovelace')).rejects.toMatchObject({ code: 'NETWORK' });
    expect(events[0]).toMatchObject({ status: undefined, failure: 'network', attempt: 1 });
  });
});
