/**
 * What a caller lookup costs in Zoho requests and API credits under each way Zoho's `search?phone=` may
 * match (undocumented: docs/zoho-facts.md Q4), with default options: hits in other formats and misses,
 * while the org's reading is unknown and once it is known (learned from traffic, measured by diagnose,
 * or set with `lookup.phoneSearch`). Counted by the emulator (in process, no sockets); timing is not the
 * point here. Run alone: `node --import tsx bench/lookup-reading.ts`.
 */
import { ZohoCrmConnector } from '../src/connector.js';
import type { LookupOptions } from '../src/options.js';
import { createMemoryStore } from '../src/stores/memory.js';
import { createZohoRouter } from '../src/testing/emulator/router.js';
import type { PhoneMatchMode } from '../src/testing/emulator/types.js';
import { zohoUrlScheme } from '../src/testing/emulator/url-scheme.js';
import { createZohoEmulatorState } from '../src/testing/server.js';
import { type BenchSection, printWhenMain } from './types.js';

const MODES = ['digits-contains', 'digits-suffix', 'digits-exact', 'exact'] as const;

async function org(mode: PhoneMatchMode) {
  const emu = createZohoEmulatorState({ phoneMatch: mode, edition: 'Ultimate' });
  emu.registerClient({
    clientId: '1000.BENCH',
    clientSecret: 'secret',
    redirectUris: ['http://localhost/cb'],
  });
  const issued = emu.issueTokens();
  const router = createZohoRouter(emu, zohoUrlScheme());
  const store = createMemoryStore();
  await store.set('bench', {
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    expiresAt: Date.now() + 3_600_000,
    apiDomain: 'https://www.zohoapis.com',
    accountsServer: 'https://accounts.zoho.com',
    region: 'US',
    grantedAt: Date.now(),
  });
  emu.seed('Contacts', [
    { Last_Name: 'National', Phone: '(415) 555-0101' },
    { Last_Name: 'International', Mobile: '+1 415 555 0102' },
    { Last_Name: 'Dotted', Home_Phone: '415.555.0104' },
  ]);
  emu.seed('Accounts', [{ Account_Name: 'Last module', Phone: '+1 415 555 0103' }]);
  const connectors: ZohoCrmConnector[] = [];
  const connector = (lookup: LookupOptions = {}) => {
    const zoho = new ZohoCrmConnector({
      connectionId: 'bench',
      clientId: '1000.BENCH',
      clientSecret: 'secret',
      redirectUri: 'http://localhost/cb',
      tokenStore: store,
      fetch: (input, init) => router(new Request(input as string, init)),
      lookup: { timeoutMs: 10_000, ...lookup },
    });
    connectors.push(zoho);
    return zoho;
  };
  /** Requests (search, COQL, field metadata) and credits one lookup spent. */
  const cost = async (zoho: ZohoCrmConnector, number: string) => {
    const before = emu.stats();
    const match = await zoho.lookupCaller(number);
    const after = emu.stats();
    const count = (suffix: string) =>
      Object.entries(after.requests)
        .filter(([key]) => key.endsWith(suffix))
        .reduce((sum, [key, n]) => sum + n - (before.requests[key] ?? 0), 0);
    return {
      found: match ? match.module : 'none',
      requests: after.totalRequests - before.totalRequests,
      searches: count('/search'),
      coql: count('/coql'),
      'field lists': count('/settings/fields'),
      credits: after.creditsUsed - before.creditsUsed,
    };
  };
  return { connector, cost, close: () => Promise.all(connectors.map((z) => z.close())) };
}

export async function run(): Promise<BenchSection> {
  const rows: BenchSection['rows'] = [];
  for (const mode of MODES) {
    const o = await org(mode);
    const row = async (zoho: ZohoCrmConnector, lookup: string, number: string) =>
      rows.push({ 'search reading': mode, lookup, ...(await o.cost(zoho, number)) });
    try {
      const fresh = o.connector();
      await row(fresh, 'first lookup of a process (a miss; reads 3 field lists)', '+14155550190');
      await row(fresh, 'hit, Contacts, (415) 555-0101', '+14155550101');
      await row(fresh, 'hit, Contacts, +1 415 555 0102', '+14155550102');
      await row(fresh, 'hit, Accounts (3rd module), +1 415 555 0103', '+14155550103');
      await row(fresh, 'miss (the reading as learned so far)', '+14155550199');
      // The reading known: diagnose() or `lookup.phoneSearch` (tolerant readings are also learned above).
      const known = o.connector({ phoneSearch: mode });
      await o.cost(known, '+14155550191'); // field metadata, once per process
      await row(known, 'reading known: hit, Contacts, 415.555.0104', '+14155550104');
      await row(known, 'reading known: hit, Accounts, +1 415 555 0103', '+14155550103');
      await row(known, 'reading known: miss', '+14155550198');
    } finally {
      await o.close();
    }
  }
  return {
    title: 'Caller ID: requests and credits per lookup under each phone-search reading',
    description:
      "Default options (`lookup.order` Contacts, Leads, Accounts; sequential), the emulator's `phoneMatch` set to each reading Zoho may use, credits as the emulator charges them (1 per search, COQL up to LIMIT 200 and field-metadata call). The first lookup of a process also reads each module's field metadata it reaches. While the reading is unknown, a search miss escalates to COQL `like` over the phone fields (Contacts: two queries of 7 patterns for its 5 phone fields); a hit on a value that holds more digits than the national number teaches the connector a tolerant reading (kept in the calibration), after which misses cost one search per module. Strict readings start with COQL once known.",
    rows,
    notes: [
      'The reading is learned from traffic only as far as the traffic proves it: under digits-contains and digits-suffix the hit on `+1 415 555 0102` teaches it, so the next rows cost one search per module; under exact and digits-exact only a record found by COQL alone and older than the index lag proves it (the seeded records are new), so those rows show the unknown-reading cost.',
      'The first lookup of a process costs 3 more requests (one field list per module); a process reads them once.',
    ],
  };
}

await printWhenMain(import.meta, run);
