/**
 * The caller-lookup engine over a scripted CRM (no network, no timers): the cache (lifetimes, what a hit
 * carries, what is never cached), coalescing, search terms, the parallel strategy's failures, field
 * discovery, the events and logs of each path, and the caller's signal.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportError, ZohoApiError } from '../../src/errors.js';
import { REGIONS } from '../../src/regions.js';
import { engineOver, recordingLogger, stubCrm } from './stub-crm.js';

afterEach(() => {
  vi.useRealTimers();
});

const ADA = {
  id: '100',
  Full_Name: 'Ada Lovelace',
  Phone: '+1 (415) 555-2671',
  Account_Name: { id: '900', name: 'Analytical Engines' },
  Owner: { id: '7', name: 'Agent' },
  Modified_Time: '2026-01-01T10:00:00+00:00',
};
const OLD_ADA = { ...ADA, id: '101', Full_Name: 'Old Ada', Modified_Time: '2020-01-01T00:00:00+00:00' };
const LEAD = { id: '200', Full_Name: 'Grace Hopper', Mobile: '+1 415-555-0199', Company: 'Navy' };
const ACCOUNT = { id: '300', Account_Name: 'Acme', Phone: '+1 415 555 0300' };
const down = () => new TransportError('NETWORK', 'Zoho is unreachable');
const zoho500 = () =>
  new ZohoApiError('Zoho API error INTERNAL_ERROR (HTTP 500)', { status: 500, zohoCode: 'INTERNAL_ERROR' });

describe('cache', () => {
  it('a hit is the first answer again, account, owner and alternatives included', async () => {
    const crm = stubCrm({ Contacts: [OLD_ADA, ADA] });
    const { engine } = engineOver(crm.http);
    const first = await engine.lookupCaller('+14155552671');
    expect(first?.alternatives).toHaveLength(1);
    const hit = await engine.lookupCaller('415-555-2671');
    expect(hit).toStrictEqual({ ...first, source: 'cache' });
    expect(crm.calls()).toEqual(['Contacts']);
  });

  it('a hit without account or owner has none either', async () => {
    const crm = stubCrm({ Leads: [LEAD] });
    const { engine } = engineOver(crm.http);
    const first = await engine.lookupCaller('+14155550199');
    expect(first).not.toHaveProperty('account');
    expect(await engine.lookupCaller('+14155550199')).toStrictEqual({ ...first, source: 'cache' });
  });

  it('a hit builds the record URL for the current data centre and module', async () => {
    let region = REGIONS.US;
    const crm = stubCrm({ Contacts: [ADA], Leads: [LEAD] });
    const { engine } = engineOver(crm.http, {}, { region: () => region });
    await engine.lookupCaller('+14155552671');
    await engine.lookupCaller('+14155550199');
    expect((await engine.lookupCaller('+14155552671'))?.recordUrl).toBe(
      'https://crm.zoho.com/crm/tab/Contacts/100',
    );
    expect((await engine.lookupCaller('+14155550199'))?.recordUrl).toBe(
      'https://crm.zoho.com/crm/tab/Leads/200',
    );
    region = REGIONS.EU;
    expect((await engine.lookupCaller('+14155552671'))?.recordUrl).toBe(
      'https://crm.zoho.eu/crm/tab/Contacts/100',
    );
  });

  it('found callers live ttlMs and misses negativeTtlMs on the injected clock', async () => {
    let now = 1_000_000;
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine } = engineOver(
      crm.http,
      { order: ['Contacts'], cache: { ttlMs: 10_000, negativeTtlMs: 2_000 } },
      { now: () => now },
    );
    await engine.lookupCaller('+14155552671');
    await engine.lookupCaller('+14155550000');
    expect(engine.cacheSize).toBe(2);
    now += 1_999;
    await engine.lookupCaller('+14155552671');
    await engine.lookupCaller('+14155550000');
    expect(crm.calls()).toHaveLength(2);
    now += 2;
    await engine.lookupCaller('+14155550000');
    expect(crm.calls()).toHaveLength(3);
    now += 8_000;
    await engine.lookupCaller('+14155552671');
    expect(crm.calls()).toHaveLength(4);
  });

  it('with negativeTtlMs 0 a miss is never remembered', async () => {
    const crm = stubCrm({});
    const { engine } = engineOver(crm.http, { order: ['Contacts'], cache: { negativeTtlMs: 0 } });
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(crm.calls()).toEqual(['Contacts', 'Contacts']);
    expect(engine.cacheSize).toBe(0);
  });

  it('remember() never caches a PBX contact: Zoho is still asked', async () => {
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine } = engineOver(crm.http, { order: ['Contacts'] });
    engine.remember({
      module: 'PBX',
      id: 'p1',
      name: 'Desk',
      phone: '+14155552671',
      field: 'PBX',
      source: 'pbx',
    });
    expect(engine.cacheSize).toBe(0);
    expect((await engine.lookupCaller('+14155552671'))?.source).toBe('zoho');
  });
});

describe('findByE164', () => {
  it('answers from the cache, and shares an in-flight lookup of the same number', async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    const ringing = engine.lookupCaller('+14155552671');
    const journaling = engine.findByE164('+14155552671');
    await vi.waitFor(() => expect(crm.heldCount()).toBe(1), { timeout: 15_000 });
    crm.release();
    expect((await ringing)?.id).toBe('100');
    expect((await journaling)?.id).toBe('100');
    expect(crm.calls()).toEqual(['Contacts']);
    expect((await engine.findByE164('+14155552671'))?.source).toBe('cache');
    expect(crm.calls()).toEqual(['Contacts']);
  });

  it('fresh asks Zoho again even while a lookup is in flight, and refreshes the cache', async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    const ringing = engine.lookupCaller('+14155552671');
    const fresh = engine.findByE164('+14155552671', { fresh: true });
    await vi.waitFor(() => expect(crm.heldCount()).toBe(2), { timeout: 15_000 });
    crm.release();
    await Promise.all([ringing, fresh]);
    expect(crm.calls()).toEqual(['Contacts', 'Contacts']);
  });
});

describe('search terms and methods', () => {
  it('tries the next number form when the first finds nothing (searchTermsPerModule)', async () => {
    // Stored with the country code: an exact-digits search finds it only by its international digits.
    const stored = { ...ADA, Phone: '1-415-555-2671' };
    const one = stubCrm({ Contacts: [stored] }, { phoneMatch: 'digits-exact' });
    expect(
      await engineOver(one.http, { order: ['Contacts'] }).engine.lookupCaller('+14155552671'),
    ).toBeNull();
    const two = stubCrm({ Contacts: [stored] }, { phoneMatch: 'digits-exact' });
    const { engine } = engineOver(two.http, { order: ['Contacts'], searchTermsPerModule: 2 });
    expect((await engine.lookupCaller('+14155552671'))?.id).toBe('100');
    expect(two.requests.map((r) => r.query?.phone)).toEqual(['4155552671', '14155552671']);
  });

  it('asks Zoho for the phone fields and the naming fields, 200 a page', async () => {
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine } = engineOver(crm.http, { order: ['Contacts'] });
    await engine.lookupCaller('+14155552671');
    const [search] = crm.requests;
    expect(String(search?.query?.fields).split(',')).toEqual(
      expect.arrayContaining([
        'Phone',
        'Mobile',
        'Home_Phone',
        'Full_Name',
        'Account_Name',
        'Owner',
        'Modified_Time',
      ]),
    );
    expect(search?.query?.per_page).toBe(200);
  });

  it('COQL asks for the naming fields too', async () => {
    const crm = stubCrm({ Contacts: [{ ...ADA, Phone: '+14155552671' }] });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], method: 'coql' });
    expect(await engine.lookupCaller('+14155552671')).toMatchObject({
      name: 'Ada Lovelace',
      account: { id: '900', name: 'Analytical Engines' },
      ownerId: '7',
    });
  });
});

describe('parallel strategy', () => {
  it('a match in the last module wins when the others find nothing', async () => {
    const crm = stubCrm({ Accounts: [ACCOUNT] });
    const { engine, events } = engineOver(crm.http, { strategy: 'parallel' });
    expect((await engine.lookupCaller('+14155550300'))?.module).toBe('Accounts');
    expect(events.at(-1)?.modules).toEqual(['Contacts', 'Leads', 'Accounts']);
  });

  it('a failing lower module does not spoil a higher match (and raises no unhandled rejection)', async () => {
    const crm = stubCrm(
      { Contacts: [ADA] },
      { fail: (r) => (r.path.startsWith('/Leads') ? down() : undefined) },
    );
    const { engine } = engineOver(crm.http, { strategy: 'parallel' });
    expect((await engine.lookupCaller('+14155552671'))?.module).toBe('Contacts');
  });

  it('a failing higher module does not hide a lower match', async () => {
    const crm = stubCrm(
      { Leads: [LEAD] },
      { fail: (r) => (r.path.startsWith('/Contacts') ? down() : undefined) },
    );
    const { engine } = engineOver(crm.http, { strategy: 'parallel' });
    expect((await engine.lookupCaller('+14155550199'))?.module).toBe('Leads');
  });

  it('a failure with no match anywhere answers null and is not remembered as "not found"', async () => {
    const crm = stubCrm({}, { fail: (r) => (r.path.startsWith('/Leads') ? down() : undefined) });
    const { engine } = engineOver(crm.http, { strategy: 'parallel' });
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(crm.calls()).toHaveLength(6);
  });

  it('no match and no failure answers null and is remembered', async () => {
    const crm = stubCrm({});
    const { engine } = engineOver(crm.http, { strategy: 'parallel' });
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(crm.calls()).toHaveLength(3);
  });
});

describe('phone field discovery', () => {
  it('asks for field metadata once per module and verifies the custom fields', async () => {
    const crm = stubCrm(
      { Contacts: [{ id: '5', Full_Name: 'Desk', Work_Phone: '415 555 0140' }] },
      { customPhoneFields: { Contacts: ['Phone', 'Work_Phone'] } },
    );
    const { engine } = engineOver(crm.http, { order: ['Contacts'], discoverPhoneFields: true });
    expect((await engine.lookupCaller('+14155550140'))?.field).toBe('Work_Phone');
    await engine.lookupCaller('+14155550141');
    expect(crm.calls()).toEqual(['fields:Contacts', 'Contacts', 'Contacts']);
    // The standard fields stay first and appear once.
    expect(String(crm.requests[1]?.query?.fields).split(',').slice(0, 6)).toEqual([
      'Phone',
      'Mobile',
      'Home_Phone',
      'Other_Phone',
      'Asst_Phone',
      'Work_Phone',
    ]);
  });

  it('a failed discovery falls back to the standard fields, logs why, and is tried again next time', async () => {
    let failing = true;
    const crm = stubCrm(
      { Contacts: [ADA] },
      { fail: (r) => (failing && r.path === '/settings/fields' ? zoho500() : undefined) },
    );
    const { logger, entries } = recordingLogger();
    const { engine } = engineOver(crm.http, { order: ['Contacts'], discoverPhoneFields: true }, { logger });
    expect((await engine.lookupCaller('+14155552671'))?.id).toBe('100');
    expect(entries).toContainEqual({
      level: 'warn',
      fields: { module: 'Contacts', code: 'ZOHO_API' },
      message: 'phone field discovery failed',
    });
    failing = false;
    await engine.lookupCaller('+14155550199');
    expect(crm.calls()).toEqual(['fields:Contacts', 'Contacts', 'fields:Contacts', 'Contacts']);
  });

  it('a discovery that got no answer fails the lookup (its search would fail alike), uncached', async () => {
    let failing = true;
    const crm = stubCrm({ Contacts: [ADA] }, { fail: () => (failing ? down() : undefined) });
    const { engine, events } = engineOver(crm.http, { order: ['Contacts'], discoverPhoneFields: true });
    expect(await engine.lookupCaller('+14155552671')).toBeNull();
    expect(events[0]).toMatchObject({ source: 'error', error: { code: 'NETWORK' } });
    expect(crm.calls()).toEqual(['fields:Contacts']);
    failing = false;
    expect((await engine.lookupCaller('+14155552671'))?.id).toBe('100');
  });

  it('an unexpected failure is logged with code UNEXPECTED', async () => {
    const crm = stubCrm({}, { fail: (r) => (r.path === '/settings/fields' ? new Error('boom') : undefined) });
    const { logger, entries } = recordingLogger();
    const { engine } = engineOver(crm.http, { order: ['Contacts'], discoverPhoneFields: true }, { logger });
    await engine.lookupCaller('+14155552671');
    expect(entries.find((e) => e.message === 'phone field discovery failed')?.fields.code).toBe('UNEXPECTED');
  });
});

describe('COQL refusals', () => {
  const refused = (status: number, zohoCode: string, details: Record<string, unknown> = {}) =>
    new ZohoApiError(`Zoho API error ${zohoCode}`, { status, zohoCode, details });

  it.each([
    ['a column the lookup did not name', refused(400, 'INVALID_QUERY', { column_name: 'Foo' })],
    ['an operator', refused(400, 'INVALID_QUERY', { column_name: 'Phone', operator: 'like' })],
    ['no permission', refused(403, 'NO_PERMISSION')],
  ])('%s: COQL is refused once, the search forms take over', async (_label, error) => {
    const crm = stubCrm({ Contacts: [ADA] }, { fail: (r) => (r.path === '/coql' ? error : undefined) });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], phoneSearch: 'exact' });
    expect((await engine.lookupCaller('+14155552671'))?.id).toBe('100');
    expect(await engine.lookupCaller('+14155550000')).toBeNull();
    expect(crm.calls().filter((c) => c === 'coql')).toEqual(['coql']);
  });

  it('a Zoho failure on COQL fails the lookup (not cached), like a failed search', async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { fail: (r) => (r.path === '/coql' ? zoho500() : undefined) });
    const { engine, events } = engineOver(crm.http, { order: ['Contacts'], phoneSearch: 'exact' });
    expect(await engine.lookupCaller('+14155552671')).toBeNull();
    expect(events[0]).toMatchObject({ source: 'error', error: { code: 'ZOHO_API' } });
    expect(engine.cacheSize).toBe(0);
  });
});

describe('events and logs', () => {
  it('extensions and anonymous callers: source none, no number, nothing logged', async () => {
    const crm = stubCrm({});
    const { logger, entries } = recordingLogger();
    const { engine, events } = engineOver(crm.http, {}, { logger });
    await engine.lookupCaller('201');
    expect(events).toEqual([{ number: undefined, match: null, source: 'none', modules: [], ms: 0 }]);
    expect(entries).toEqual([]);
  });

  it('a sequential miss reports every module asked; a cache hit none, with its duration', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(5_000);
    const crm = stubCrm({ Leads: [LEAD] });
    const { engine, events } = engineOver(crm.http);
    await engine.lookupCaller('+14155550199');
    await engine.lookupCaller('+14155550199');
    expect(events.map(({ source, modules, ms }) => ({ source, modules, ms }))).toEqual([
      { source: 'zoho', modules: ['Contacts', 'Leads'], ms: 0 },
      { source: 'cache', modules: [], ms: 0 },
    ]);
  });

  it('a PBX answer reports source pbx and no modules', async () => {
    const crm = stubCrm({});
    const { engine, events } = engineOver(
      crm.http,
      { query: 'whenNotFoundInPbx' },
      { pbxContacts: { lookup: () => ({ name: 'Reception' }) } },
    );
    expect(await engine.lookupCaller('+14155550100')).toMatchObject({ id: '+14155550100', source: 'pbx' });
    expect(events).toMatchObject([{ number: '+14155550100', source: 'pbx', modules: [] }]);
  });

  it('whenNotFoundInPbx: a number the PBX does not know is answered from the cache the second time', async () => {
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine, events } = engineOver(
      crm.http,
      { query: 'whenNotFoundInPbx' },
      { pbxContacts: { lookup: () => undefined } },
    );
    await engine.lookupCaller('+14155552671');
    expect((await engine.lookupCaller('+14155552671'))?.source).toBe('cache');
    expect(crm.calls()).toEqual(['Contacts']);
    expect(events.map((e) => [e.source, e.modules])).toEqual([
      ['zoho', ['Contacts']],
      ['cache', []],
    ]);
  });

  it('past the deadline: source timeout, and a debug line with the number masked', async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { logger, entries } = recordingLogger();
    const { engine, events } = engineOver(crm.http, {}, { logger });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ringing = engine.lookupCaller('+14155552671', { timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect(await ringing).toBeNull();
    expect(events).toMatchObject([{ number: '+14155552671', source: 'timeout', modules: [] }]);
    expect(entries).toEqual([
      {
        level: 'debug',
        fields: { number: '+1********71' },
        message: 'caller lookup passed its deadline; answering without a name',
      },
    ]);
    crm.release();
  });

  it('a failure: source error, and a warning with the masked number and the error code', async () => {
    const crm = stubCrm({}, { fail: down });
    const { logger, entries } = recordingLogger();
    const { engine, events } = engineOver(crm.http, {}, { logger });
    expect(await engine.lookupCaller('+14155552671')).toBeNull();
    expect(events).toMatchObject([
      { number: '+14155552671', match: null, source: 'error', modules: [], error: { code: 'NETWORK' } },
    ]);
    expect(entries).toEqual([
      {
        level: 'warn',
        fields: { number: '+1********71', code: 'NETWORK' },
        message: 'caller lookup failed; answering without a name',
      },
    ]);
  });

  it('works without an event listener', async () => {
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine } = engineOver(crm.http, {}, { events: false });
    expect((await engine.lookupCaller('+14155552671'))?.id).toBe('100');
    expect((await engine.lookupCaller('+14155552671'))?.source).toBe('cache');
    expect(await engine.lookupCaller('201')).toBeNull();
  });
});

describe("the caller's signal", () => {
  it('leaves no listener behind on a signal shared by many lookups', async () => {
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine } = engineOver(crm.http);
    const controller = new AbortController();
    await engine.lookupCaller('+14155552671', { signal: controller.signal });
    await engine.lookupCaller('+14155550000', { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an abort while waiting answers null and removes the listener', async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { engine } = engineOver(crm.http, { timeoutMs: 60_000 });
    const controller = new AbortController();
    const ringing = engine.lookupCaller('+14155552671', { signal: controller.signal });
    await vi.waitFor(() => expect(crm.heldCount()).toBe(1), { timeout: 15_000 });
    controller.abort();
    expect(await ringing).toBeNull();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    crm.release();
  });
});
