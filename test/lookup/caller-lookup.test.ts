import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, PhoneNumberError } from '../../src/errors.js';
import { createZohoHttp } from '../../src/http/client.js';
import { createCallerLookup, type LookupEvent } from '../../src/lookup/caller-lookup.js';
import { bracketPairwise, coqlString, phoneEqualityQuery } from '../../src/lookup/coql.js';
import { cleanDirectoryQuery } from '../../src/lookup/directory.js';
import { type ConnectorOptions, parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';

const API = 'https://www.zohoapis.com/crm/v8';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

type Row = Record<string, unknown> & { id: string };
/** A fake CRM: module → records; search?phone= matches digits-contains, like the emulator's default. */
function fakeCrm(data: Partial<Record<string, Row[]>>, delayMs = 0) {
  const calls: string[] = [];
  server.use(
    http.get(`${API}/:module/search`, async ({ params, request }) => {
      const module = String(params.module);
      calls.push(module);
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const url = new URL(request.url);
      const phone = url.searchParams.get('phone');
      const word = url.searchParams.get('word')?.toLowerCase();
      const rows = (data[module] ?? []).filter((row) =>
        phone
          ? Object.values(row).some(
              (v) => typeof v === 'string' && v.replace(/\D/g, '').includes(phone.replace(/\D/g, '')),
            )
          : word
            ? JSON.stringify(row).toLowerCase().includes(word)
            : false,
      );
      return rows.length
        ? HttpResponse.json({ data: rows, info: { more_records: false } })
        : new HttpResponse(null, { status: 204 });
    }),
    http.post(`${API}/coql`, async ({ request }) => {
      calls.push('coql');
      const body = (await request.json()) as { select_query: string };
      const module = /from (\w+)/.exec(body.select_query)?.[1] ?? '';
      const rows = (data[module] ?? []).filter((row) =>
        Object.values(row).some((v) => typeof v === 'string' && body.select_query.includes(`'${v}'`)),
      );
      return rows.length
        ? HttpResponse.json({ data: rows, info: { more_records: false } })
        : new HttpResponse(null, { status: 204 });
    }),
  );
  return calls;
}

const base: ConnectorOptions = {
  connectionId: 't',
  clientId: 'c',
  clientSecret: 's',
  redirectUri: 'https://pbx/cb',
};

function engine(lookup: ConnectorOptions['lookup'] = {}, extra: Partial<ConnectorOptions> = {}) {
  const options = parseConnectorOptions({ ...base, ...extra, lookup });
  const events: LookupEvent[] = [];
  const httpClient = createZohoHttp({
    tokens: {
      getAccessToken: async () => ({ accessToken: 'tok', apiDomain: 'https://www.zohoapis.com' }),
      refreshAfterRejection: async () => ({ accessToken: 'tok', apiDomain: 'https://www.zohoapis.com' }),
    },
    timeoutMs: 5_000,
    deadlineMs: 10_000,
    retries: 0,
    maxConcurrency: 20,
  });
  const lookupEngine = createCallerLookup({
    http: httpClient,
    lookup: options.lookup,
    pbxContacts: options.pbxContacts,
    region: () => REGIONS.US,
    events: { enabled: () => true, emit: (e) => events.push(e) },
  });
  return { lookup: lookupEngine, events };
}

const ADA: Row = {
  id: '100',
  Full_Name: 'Ada Lovelace',
  Phone: '(415) 555-2671',
  Modified_Time: '2026-01-01T10:00:00+00:00',
  Account_Name: { id: '900', name: 'Analytical Engines' },
  Owner: { id: '7', name: 'Agent' },
};
const LEAD: Row = { id: '200', Full_Name: 'Grace Hopper', Mobile: '+1 415-555-0199', Company: 'Navy' };
const ACCOUNT: Row = { id: '300', Account_Name: 'Acme', Phone: '0044 20 7946 0958' };

describe('caller lookup', () => {
  it('README example: finds a contact stored in another format, with account, owner and record URL', async () => {
    fakeCrm({ Contacts: [ADA] });
    const { lookup } = engine();
    expect(await lookup.lookupCaller('+1 (415) 555-2671')).toEqual({
      module: 'Contacts',
      id: '100',
      name: 'Ada Lovelace',
      phone: '+14155552671',
      field: 'Phone',
      account: { id: '900', name: 'Analytical Engines' },
      ownerId: '7',
      recordUrl: 'https://crm.zoho.com/crm/tab/Contacts/100',
      source: 'zoho',
    });
  });

  it('sequential: costs exactly the modules queried up to the match', async () => {
    const calls = fakeCrm({ Leads: [LEAD], Accounts: [ACCOUNT] });
    const { lookup } = engine();
    expect((await lookup.lookupCaller('4155550199'))?.module).toBe('Leads');
    expect(calls).toEqual(['Contacts', 'Leads']);
  });

  it('follows the configured order', async () => {
    const calls = fakeCrm({ Contacts: [{ ...ADA, Phone: '+44 20 7946 0958' }], Accounts: [ACCOUNT] });
    const { lookup } = engine({ order: ['Accounts', 'Contacts'] });
    expect((await lookup.lookupCaller('+442079460958'))?.module).toBe('Accounts');
    expect(calls).toEqual(['Accounts']);
  });

  it('parallel: all modules at once, the highest-priority match wins', async () => {
    const calls = fakeCrm({ Contacts: [{ ...ADA, Phone: '+44 20 7946 0958' }], Accounts: [ACCOUNT] });
    const { lookup } = engine({ strategy: 'parallel' });
    expect((await lookup.lookupCaller('+442079460958'))?.module).toBe('Contacts');
    expect(calls.sort()).toEqual(['Accounts', 'Contacts', 'Leads']);
  });

  it('verifies hits: a record that only shares digits is not a match', async () => {
    fakeCrm({ Contacts: [{ id: '1', Full_Name: 'Wrong', Phone: '+1 415 555 26710' }] });
    const { lookup } = engine({ order: ['Contacts'] });
    expect(await lookup.lookupCaller('+14155552671')).toBeNull();
  });

  it('several matches: the most recently modified wins, the others are alternatives', async () => {
    const older = { ...ADA, id: '101', Full_Name: 'Old Ada', Modified_Time: '2020-01-01T00:00:00+00:00' };
    fakeCrm({ Contacts: [older, ADA] });
    const { lookup } = engine();
    const match = await lookup.lookupCaller('+14155552671');
    expect(match?.id).toBe('100');
    expect(match?.alternatives?.map((m) => m.id)).toEqual(['101']);
  });

  it('a cache hit costs 0 calls; misses are cached too', async () => {
    const calls = fakeCrm({ Contacts: [ADA] });
    const { lookup, events } = engine();
    await lookup.lookupCaller('+14155552671');
    await lookup.lookupCaller('(415) 555-2671');
    expect(calls).toEqual(['Contacts']);
    expect(await lookup.lookupCaller('+14155550000')).toBeNull();
    expect(await lookup.lookupCaller('+14155550000')).toBeNull();
    expect(calls).toHaveLength(4);
    expect(events.map((e) => e.source)).toEqual(['zoho', 'cache', 'zoho', 'cache']);
    expect((await lookup.lookupCaller('+14155552671'))?.source).toBe('cache');
  });

  it('1,000 concurrent lookups of 100 numbers cost at most 100 × modules searches', async () => {
    const calls = fakeCrm({}, 5);
    // A ring deadline the burst cannot reach on a loaded machine: a lookup answered `null` early would
    // leave its query running into the next test's handlers.
    const { lookup } = engine({ timeoutMs: 60_000 });
    const numbers = Array.from({ length: 100 }, (_, i) => `+1415555${String(1000 + i)}`);
    await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => lookup.lookupCaller(numbers[i % 100] as string)),
    );
    expect(calls.length).toBeLessThanOrEqual(300);
  });

  it('past the deadline resolves null, and the late answer fills the cache', async () => {
    const calls = fakeCrm({ Contacts: [ADA] }, 300);
    const { lookup, events } = engine({ timeoutMs: 50 });
    const started = performance.now();
    expect(await lookup.lookupCaller('+14155552671')).toBeNull();
    expect(performance.now() - started).toBeLessThan(250);
    expect(events.at(-1)?.source).toBe('timeout');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await lookup.lookupCaller('+14155552671'))?.name).toBe('Ada Lovelace');
    expect(calls).toEqual(['Contacts']);
  });

  it("the caller's own signal ends the wait too", async () => {
    fakeCrm({ Contacts: [ADA] }, 300);
    const { lookup } = engine({ timeoutMs: 5_000 });
    expect(await lookup.lookupCaller('+14155552671', { signal: AbortSignal.timeout(30) })).toBeNull();
    expect(await engine().lookup.lookupCaller('+14155552671', { signal: AbortSignal.abort() })).toBeNull();
  });

  it('extensions and anonymous callers never reach Zoho', async () => {
    const calls = fakeCrm({});
    const { lookup, events } = engine();
    expect(await lookup.lookupCaller('201')).toBeNull();
    expect(await lookup.lookupCaller('anonymous')).toBeNull();
    expect(calls).toEqual([]);
    expect(events.map((e) => e.source)).toEqual(['none', 'none']);
  });

  it('maxExtensionLength decides what counts as an internal extension', async () => {
    fakeCrm({});
    expect(await engine().lookup.lookupCaller('2001')).toBeNull();
    await expect(engine({ maxExtensionLength: 3 }).lookup.lookupCaller('2001')).rejects.toBeInstanceOf(
      PhoneNumberError,
    );
  });

  it('rejects input that is not a number with PhoneNumberError', async () => {
    const { lookup } = engine();
    await expect(lookup.lookupCaller('hello world')).rejects.toBeInstanceOf(PhoneNumberError);
  });

  it('a failing Zoho answers null and is not cached', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/:module/search`, () => {
        calls++;
        return HttpResponse.json(
          { code: 'INTERNAL_ERROR', details: {}, message: 'x', status: 'error' },
          { status: 500 },
        );
      }),
    );
    const { lookup } = engine();
    expect(await lookup.lookupCaller('+14155552671')).toBeNull();
    expect(await lookup.lookupCaller('+14155552671')).toBeNull();
    expect(calls).toBe(2);
  });

  it('whenNotFoundInPbx: a PBX match answers without any Zoho call', async () => {
    const calls = fakeCrm({ Contacts: [ADA] });
    const { lookup } = engine(
      { query: 'whenNotFoundInPbx' },
      {
        pbxContacts: {
          lookup: (e164) => (e164 === '+14155552671' ? { name: 'Ada (PBX)', id: 'pbx-1' } : undefined),
        },
      },
    );
    expect(await lookup.lookupCaller('+14155552671')).toEqual({
      module: 'PBX',
      id: 'pbx-1',
      name: 'Ada (PBX)',
      phone: '+14155552671',
      field: 'PBX',
      source: 'pbx',
    });
    expect(calls).toEqual([]);
    expect(await lookup.lookupCaller('+14155550199')).toBeNull();
    expect(calls).toEqual(['Contacts', 'Leads', 'Accounts']);
  });

  it('always: Zoho is asked even when the PBX knows the number', async () => {
    const calls = fakeCrm({ Contacts: [ADA] });
    const { lookup } = engine({ query: 'always' }, { pbxContacts: { lookup: () => ({ name: 'PBX' }) } });
    expect((await lookup.lookupCaller('+14155552671'))?.source).toBe('zoho');
    expect(calls).toEqual(['Contacts']);
  });

  it('COQL method: exact equality over the stored forms', async () => {
    const calls = fakeCrm({ Contacts: [{ ...ADA, Phone: '+14155552671' }] });
    const { lookup } = engine({ method: 'coql' });
    expect((await lookup.lookupCaller('415-555-2671'))?.id).toBe('100');
    expect(calls).toEqual(['coql']);
  });

  it('remember() teaches the cache; invalidate() forgets; findByE164(fresh) asks Zoho again', async () => {
    const calls = fakeCrm({ Contacts: [ADA] });
    const { lookup } = engine();
    lookup.remember({
      module: 'Leads',
      id: '5',
      name: 'New Lead',
      phone: '+14155550123',
      field: 'Phone',
      source: 'zoho',
    });
    expect((await lookup.lookupCaller('+14155550123'))?.name).toBe('New Lead');
    expect(calls).toEqual([]);
    await lookup.findByE164('+14155552671');
    lookup.invalidate('+14155552671');
    await lookup.findByE164('+14155552671');
    await lookup.findByE164('+14155552671', { fresh: true });
    expect(calls).toEqual(['Contacts', 'Contacts', 'Contacts']);
  });
});

describe('directory search', () => {
  it('finds people by name across modules with E.164 phones', async () => {
    fakeCrm({ Contacts: [ADA], Leads: [LEAD] });
    const { lookup } = engine();
    const people = await lookup.searchDirectory(' ace!');
    expect(people.map((p) => [p.module, p.name, p.phones])).toEqual([
      ['Contacts', 'Ada Lovelace', [{ field: 'Phone', e164: '+14155552671' }]],
      ['Leads', 'Grace Hopper', [{ field: 'Mobile', e164: '+14155550199' }]],
    ]);
    expect(people[0]?.company).toBe('Analytical Engines');
    expect(people[1]?.company).toBe('Navy');
  });

  it('cleans the query, and refuses one with fewer than 2 usable characters', () => {
    expect(cleanDirectoryQuery(' Smith & Co. ')).toEqual({ kind: 'word', value: 'Smith Co' });
    expect(cleanDirectoryQuery('ada@example.com')).toEqual({ kind: 'email', value: 'ada@example.com' });
    expect(() => cleanDirectoryQuery('a*')).toThrow(ConfigError);
    expect(() => cleanDirectoryQuery('!!')).toThrow(/at least 2 letters or digits/);
  });
});

describe('COQL builder', () => {
  it('quotes values and brackets conditions pairwise', () => {
    expect(coqlString("O'Brien")).toBe("'O''Brien'");
    expect(bracketPairwise(['a'], 'or')).toBe('a');
    expect(bracketPairwise(['a', 'b', 'c'], 'or')).toBe('((a or b) or c)');
    expect(() => bracketPairwise([], 'and')).toThrow(RangeError);
    expect(phoneEqualityQuery('Leads', ['Full_Name'], ['Phone', 'Mobile'], '+14155552671')).toBe(
      "select Full_Name from Leads where (Phone in ('+14155552671', '4155552671', '14155552671', '+1 415 555 2671') or Mobile in ('+14155552671', '4155552671', '14155552671', '+1 415 555 2671')) limit 50",
    );
  });
});
