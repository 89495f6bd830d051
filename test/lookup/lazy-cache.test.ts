import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createZohoHttp } from '../../src/http/client.js';
import { createCallerLookup } from '../../src/lookup/caller-lookup.js';
import { parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { SEARCH_ONLY } from './stub-crm.js';

// Counts how many LRU caches are built: an idle connector (a registry's idle tenant) must build none,
// because lru-cache preallocates its arrays for `maxEntries` (about 380 KB at the default).
const built = vi.hoisted(() => ({ count: 0 }));
vi.mock('lru-cache', async (importOriginal) => {
  const original = await importOriginal<typeof import('lru-cache')>();
  class CountingLRUCache<K extends {}, V extends {}> extends original.LRUCache<K, V> {
    constructor(options: ConstructorParameters<typeof original.LRUCache<K, V>>[0]) {
      super(options);
      built.count++;
    }
  }
  return { ...original, LRUCache: CountingLRUCache };
});

const API = 'https://www.zohoapis.com/crm/v8';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function engine() {
  const options = parseConnectorOptions({
    connectionId: 't',
    clientId: 'c',
    clientSecret: 's',
    redirectUri: 'https://pbx/cb',
    lookup: SEARCH_ONLY,
  });
  const token = async () => ({ accessToken: 'tok', apiDomain: 'https://www.zohoapis.com' });
  const httpClient = createZohoHttp({
    tokens: { getAccessToken: token, refreshAfterRejection: token },
    timeoutMs: 5_000,
    deadlineMs: 10_000,
    retries: 0,
    maxConcurrency: 4,
  });
  return createCallerLookup({ http: httpClient, lookup: options.lookup, region: () => REGIONS.US });
}

describe('caller lookup cache: built on first use', () => {
  it('builds no cache until the first answer, then caches hits and misses as before', async () => {
    let searches = 0;
    server.use(
      http.get(`${API}/:module/search`, ({ params }) => {
        searches++;
        return params.module === 'Contacts'
          ? HttpResponse.json({
              data: [{ id: '1', Full_Name: 'Ada Lovelace', Phone: '+1 415 555 2671' }],
              info: { more_records: false },
            })
          : new HttpResponse(null, { status: 204 });
      }),
    );
    const before = built.count;
    const lookup = engine();
    expect(built.count).toBe(before);
    expect(lookup.cacheSize).toBe(0);
    // A miss on an empty (unbuilt) cache and an invalidation of it change nothing.
    lookup.invalidate('+14155552671');
    expect(built.count).toBe(before);

    expect((await lookup.lookupCaller('+14155552671'))?.name).toBe('Ada Lovelace');
    expect(built.count).toBe(before + 1);
    expect(await lookup.lookupCaller('+14155552671')).toMatchObject({ source: 'cache' });
    expect(searches).toBe(1);

    expect(await lookup.lookupCaller('+14155550000')).toBeNull(); // remembered as a miss
    expect(await lookup.lookupCaller('+14155550000')).toBeNull();
    expect(searches).toBe(4); // Contacts + Leads + Accounts once for the unknown number
    expect(lookup.cacheSize).toBe(2);
    expect(built.count).toBe(before + 1);
  });
});
