import { getEventListeners } from 'node:events';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, PhoneNumberError } from '../../src/errors.js';
import { createZohoHttp } from '../../src/http/client.js';
import { attemptsWaitingOn } from '../../src/http/signals.js';
import { type CallerLookup, createCallerLookup } from '../../src/lookup/caller-lookup.js';
import { bracketPairwise, coqlString, phoneEqualityQuery } from '../../src/lookup/coql.js';
import { cleanDirectoryQuery } from '../../src/lookup/directory.js';
import type { LookupEvent } from '../../src/lookup/types.js';
import { type ConnectorOptions, parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { untilAborted } from '../helpers/msw.js';
import { deferred, FAKE_TIME } from '../helpers/time.js';
import { SEARCH_ONLY } from './stub-crm.js';

const API = 'https://www.zohoapis.com/crm/v8';
const server = setupServer();
const engines: CallerLookup[] = [];
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  // Every search a test started stops before the next test installs its handlers.
  await Promise.all(engines.splice(0).map((lookup) => lookup.close()));
  server.resetHandlers();
  vi.useRealTimers();
});
afterAll(() => server.close());

type Row = Record<string, unknown> & { id: string };
/**
 * A fake CRM: module → records; search?phone= matches digits-contains, like the emulator's default.
 * With `hold`, every search waits for it before answering (a slow Zoho, under the test's control);
 * searches the client cancels meanwhile are listed in `cancelled`; `arrived` hears of each search.
 */
function fakeCrm(
  data: Partial<Record<string, Row[]>>,
  {
    hold,
    cancelled = [],
    arrived,
  }: { hold?: Promise<void>; cancelled?: string[]; arrived?: () => void } = {},
) {
  const calls: string[] = [];
  server.use(
    http.get(`${API}/:module/search`, async ({ params, request }) => {
      const module = String(params.module);
      calls.push(module);
      arrived?.();
      if (hold) {
        await untilAborted(request, hold);
        if (request.signal.aborted) {
          cancelled.push(module);
          return HttpResponse.error();
        }
      }
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

// The longest ring deadline unless a test sets its own (on fake time): an answer must never depend on
// how fast a loaded machine runs the mocked round trip.
function engine(lookup: ConnectorOptions['lookup'] = {}, extra: Partial<ConnectorOptions> = {}) {
  const options = parseConnectorOptions({
    ...base,
    ...extra,
    lookup: { ...SEARCH_ONLY, timeoutMs: 60_000, ...lookup },
  });
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
  engines.push(lookupEngine);
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
    vi.useFakeTimers(FAKE_TIME); // no ring deadline passes, however slow the machine
    const zoho = deferred();
    const calls = fakeCrm({}, { hold: zoho.promise });
    const { lookup, events } = engine();
    const numbers = Array.from({ length: 100 }, (_, i) => `+1415555${String(1000 + i)}`);
    const all = Promise.all(
      Array.from({ length: 1_000 }, (_, i) => lookup.lookupCaller(numbers[i % 100] as string)),
    );
    zoho.resolve();
    expect((await all).every((match) => match === null)).toBe(true);
    expect(events.filter((e) => e.source === 'timeout')).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(300);
  });

  it('past the deadline resolves null, and the late answer fills the cache', async () => {
    vi.useFakeTimers(FAKE_TIME);
    const zoho = deferred();
    const calls = fakeCrm({ Contacts: [ADA] }, { hold: zoho.promise });
    const { lookup, events } = engine({ timeoutMs: 50 });
    let answered = false;
    const ring = lookup.lookupCaller('+14155552671').finally(() => {
      answered = true;
    });
    await vi.advanceTimersByTimeAsync(49);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await ring).toBeNull(); // at the deadline, while Zoho has still not answered
    expect(events.at(-1)).toMatchObject({ source: 'timeout', ms: 50 });
    zoho.resolve(); // Zoho answers late
    await lookup.settled();
    expect(await lookup.lookupCaller('+14155552671')).toMatchObject({
      name: 'Ada Lovelace',
      source: 'cache',
    });
    expect(calls).toEqual(['Contacts']);
  });

  it("the caller's own signal ends the wait too", async () => {
    vi.useFakeTimers(FAKE_TIME); // the 5 s deadline cannot be what ends it
    fakeCrm({ Contacts: [ADA] }, { hold: deferred().promise });
    const { lookup, events } = engine({ timeoutMs: 5_000 });
    const controller = new AbortController();
    const ring = lookup.lookupCaller('+14155552671', { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect(await ring).toBeNull();
    expect(events.at(-1)).toMatchObject({ source: 'timeout', ms: 10 });
    expect(await engine().lookup.lookupCaller('+14155552671', { signal: AbortSignal.abort() })).toBeNull();
  });

  it('close() cancels the searches that outlived their ring and resolves once they stopped', async () => {
    vi.useFakeTimers(FAKE_TIME);
    const cancelled: string[] = [];
    const calls = fakeCrm({ Leads: [LEAD] }, { hold: deferred().promise, cancelled }); // never answers by itself
    const { lookup } = engine({ timeoutMs: 50 });
    const ring = lookup.lookupCaller('+14155550199');
    await vi.advanceTimersByTimeAsync(50);
    expect(await ring).toBeNull();
    expect(calls).toEqual(['Contacts']);
    await lookup.close(); // resolves without Zoho ever answering
    expect(cancelled).toEqual(['Contacts']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['Contacts']); // the sequence stopped: Leads and Accounts were never asked
    expect(lookup.cacheSize).toBe(0);
    expect(await lookup.lookupCaller('+14155550199')).toBeNull(); // after close: no Zoho call at all
    expect(calls).toEqual(['Contacts']);
  });

  it('close() cancels thirty searches at once, in flight or queued, and Node warns of no listener leak', async () => {
    vi.useFakeTimers(FAKE_TIME);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const cancelled: string[] = [];
      const calls = fakeCrm({}, { hold: deferred().promise, cancelled });
      const { lookup } = engine({ timeoutMs: 50 }); // 20 requests at a time: 10 wait at the gate
      const numbers = Array.from({ length: 30 }, (_, i) => `+1415555${String(1000 + i)}`);
      const rings = numbers.map((number) => lookup.lookupCaller(number));
      await vi.advanceTimersByTimeAsync(50);
      expect(await Promise.all(rings)).toEqual(numbers.map(() => null));
      expect(calls).toHaveLength(20);
      await lookup.close();
      expect(cancelled).toHaveLength(20);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(calls).toHaveLength(20); // the queued ten never reached Zoho
      await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on the next tick
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('leaves no listener on its abort signal once searches settle: answers, retried 500s, attempt timeouts, gate waits, COQL retries', async () => {
    vi.useFakeTimers(FAKE_TIME);
    let searches = 0;
    server.use(
      http.get(`${API}/:module/search`, async ({ request }) => {
        const kind = searches++ % 4;
        if (kind === 0) return HttpResponse.json({ code: 'INTERNAL_ERROR' }, { status: 500 });
        if (kind === 1) return untilAborted(request); // never answers: the attempt times out
        return new HttpResponse(null, { status: 204 });
      }),
      http.post(`${API}/coql`, async ({ request }) => {
        const query = ((await request.json()) as { select_query: string }).select_query;
        return query.includes('Mobile')
          ? HttpResponse.json(
              { code: 'INVALID_QUERY', details: { column_name: 'Mobile' }, message: 'm', status: 'error' },
              { status: 400 },
            )
          : new HttpResponse(null, { status: 204 });
      }),
    );
    const options = parseConnectorOptions({
      ...base,
      lookup: { discoverPhoneFields: false, strategy: 'parallel', escalate: true, timeoutMs: 60_000 },
    });
    const grant = { accessToken: 'tok', apiDomain: 'https://www.zohoapis.com' };
    const client = createZohoHttp({
      tokens: { getAccessToken: async () => grant, refreshAfterRejection: async () => grant },
      timeoutMs: 200,
      deadlineMs: 5_000,
      retries: 2,
      maxConcurrency: 3,
      backoff: { baseDelayMs: 5, maxDelayMs: 10 },
    });
    const signals = new Set<AbortSignal>();
    const lookup = createCallerLookup({
      http: {
        request: (request) => {
          if (request.signal) signals.add(request.signal);
          return client.request(request);
        },
        get queued() {
          return client.queued;
        },
      },
      lookup: options.lookup,
      region: () => REGIONS.US,
    });
    engines.push(lookup);
    let settled = false;
    const answers = Promise.all(
      Array.from({ length: 25 }, (_, i) => lookup.lookupCaller(`+1415555${2000 + i}`)),
    ).then((found) => {
      settled = true;
      return found;
    });
    await vi.advanceTimersByTimeAsync(1);
    const [signal] = [...signals];
    if (!signal) throw new Error('the engine sent no request');
    expect(signals.size).toBe(1); // one signal for every query of the engine
    // In flight and queued at the gate: the attempts wait through one shared listener, retries' waits on their own.
    expect(attemptsWaitingOn(signal) + getEventListeners(signal, 'abort').length).toBeGreaterThan(10);
    while (!settled) await vi.advanceTimersByTimeAsync(100);
    expect(await answers).toEqual(Array.from({ length: 25 }, () => null));
    await lookup.settled();
    expect(searches).toBeGreaterThan(75); // the 500s and timeouts were retried
    expect(attemptsWaitingOn(signal)).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(1); // the attempts' shared one, whatever the traffic
  });

  it('close() also stops the lower-priority modules a parallel lookup no longer waits for', async () => {
    const cancelled: string[] = [];
    const lowerModules = deferred();
    let searching = 0;
    const arrived = () => ++searching === 2 && lowerModules.resolve();
    fakeCrm({ Contacts: [ADA] }, { hold: deferred().promise, cancelled, arrived });
    server.use(
      http.get(`${API}/Contacts/search`, () =>
        HttpResponse.json({ data: [ADA], info: { more_records: false } }),
      ),
    );
    const { lookup } = engine({ strategy: 'parallel' });
    expect((await lookup.lookupCaller('+14155552671'))?.name).toBe('Ada Lovelace');
    await lowerModules.promise; // Leads and Accounts are searching, and Zoho will never answer them
    await lookup.close();
    expect(cancelled.sort()).toEqual(['Accounts', 'Leads']);
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

  it('forget() drops a number in any dialable form, or every number of a record id', async () => {
    const calls = fakeCrm({ Contacts: [ADA, { ...ADA, id: '101', Phone: '(415) 555-0101' }] });
    const { lookup } = engine({ order: ['Contacts'] });
    await lookup.lookupCaller('+14155552671');
    await lookup.lookupCaller('+14155550101');
    lookup.remember({
      module: 'Contacts',
      id: '100',
      name: 'Ada',
      phone: '+14155550100',
      field: 'Mobile',
      source: 'zoho',
    });
    lookup.forget('100'); // Ada's two numbers
    expect(lookup.cacheSize).toBe(1);
    lookup.forget('not a number'); // neither an id in the cache nor a number: nothing happens
    lookup.forget('(415) 555-0101');
    expect(lookup.cacheSize).toBe(0);
    expect(calls).toEqual(['Contacts', 'Contacts']);
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
    const FORMS =
      "'4155552671', '14155552671', '+14155552671', '(415) 555-2671', '+1 415 555 2671', '415 555 2671', '415-555-2671', '415.555.2671', '+1-415-555-2671', '+1.415.555.2671', '1 415 555 2671', '1-415-555-2671', '1.415.555.2671', '0014155552671', '001 415 555 2671'";
    expect(coqlString("O'Brien")).toBe("'O''Brien'");
    expect(bracketPairwise(['a'], 'or')).toBe('a');
    expect(bracketPairwise(['a', 'b', 'c'], 'or')).toBe('((a or b) or c)');
    expect(() => bracketPairwise([], 'and')).toThrow(RangeError);
    expect(phoneEqualityQuery('Leads', ['Full_Name'], ['Phone', 'Mobile'], '+14155552671')).toBe(
      `select Full_Name from Leads where (Phone in (${FORMS}) or Mobile in (${FORMS})) limit 50`,
    );
  });
});
