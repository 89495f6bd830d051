/**
 * Caller ID and directory behaviours end to end against the emulator: every phone field Zoho searches,
 * custom phone fields found by discovery, the multiple-match policies, record URLs on cache hits and
 * e-mail search in the directory.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrgCalibration } from '../../src/calibration/calibration.js';
import type { ZohoCrmConnector } from '../../src/connector.js';
import type { ConnectorOptions } from '../../src/options.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { authorize, CLIENT, connectorFor } from '../integration/helpers.js';

let emu: ZohoEmulator;
const open: ZohoCrmConnector[] = [];
beforeAll(async () => {
  emu = await startZohoEmulator({
    autoConsent: true,
    clients: [
      { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, redirectUris: [CLIENT.redirectUri] },
    ],
    fields: { Contacts: [{ apiName: 'Work_Phone', dataType: 'phone' }] },
  });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((zoho) => zoho.close()));
  emu.reset();
});
afterAll(() => emu.close());

let tenant = 0;
async function connector(lookup: ConnectorOptions['lookup'] = {}) {
  const zoho = connectorFor(emu, { connectionId: `behaviours-${++tenant}`, lookup });
  open.push(zoho);
  await authorize(zoho);
  return zoho;
}

describe('caller lookup through every phone field', () => {
  it.each([
    ['Home_Phone', '(415) 555-0131', '+14155550131'],
    ['Other_Phone', '415.555.0132', '+14155550132'],
    ['Asst_Phone', '+1 415 555 0133', '+14155550133'],
    ['Mobile', '415-555-0134', '+14155550134'],
  ])('finds a contact whose only number is in %s', async (field, stored, e164) => {
    const [id] = emu.seed('Contacts', [{ First_Name: 'Only', Last_Name: field, [field]: stored }]);
    const zoho = await connector({ order: ['Contacts'] });
    expect(await zoho.lookupCaller(e164)).toMatchObject({
      module: 'Contacts',
      id,
      name: `Only ${field}`,
      phone: e164,
      field,
      source: 'zoho',
    });
  });

  it('finds a number in a custom phone field by default, and not with discoverPhoneFields: false', async () => {
    const [id] = emu.seed('Contacts', [{ Last_Name: 'Desk', Work_Phone: '(415) 555-0140' }]);
    const plain = await connector({ order: ['Contacts'], discoverPhoneFields: false });
    expect(await plain.lookupCaller('+14155550140')).toBeNull();

    const discovering = await connector({ order: ['Contacts'] });
    expect(await discovering.lookupCaller('+14155550140')).toMatchObject({
      id,
      field: 'Work_Phone',
      phone: '+14155550140',
    });
    // The directory lists the custom field's number too.
    const [entry] = await discovering.searchDirectory('Desk');
    expect(entry?.phones).toEqual([{ field: 'Work_Phone', e164: '+14155550140' }]);
  });
});

describe('the reading learned from traffic', () => {
  it('is kept with the tokens, so the next process trusts its misses from the first one', async () => {
    const tokenStore = createMemoryStore();
    emu.seed('Contacts', [{ Last_Name: 'Intl', Phone: '+1 415 555 0170' }]);
    const first = connectorFor(emu, { connectionId: 'learner', tokenStore, lookup: { order: ['Contacts'] } });
    open.push(first);
    await authorize(first);
    expect(await first.lookupCaller('+14155550170')).not.toBeNull();
    await first.close();
    const stored = (await tokenStore.get('learner')) as { calibration?: OrgCalibration } | undefined;
    expect(stored?.calibration).toMatchObject({
      phoneSearch: 'digits-suffix',
      sources: { phoneSearch: 'traffic' },
    });

    const next = connectorFor(emu, { connectionId: 'learner', tokenStore, lookup: { order: ['Contacts'] } });
    open.push(next);
    const before = emu.stats().requests;
    expect(await next.lookupCaller('+14155550171')).toBeNull();
    const after = emu.stats().requests;
    const sent = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    expect([sent('GET /crm/v8/Contacts/search'), sent('POST /crm/v8/coql')]).toEqual([1, 0]);
  });
});

describe('a contact added in Zoho after its number was looked up', () => {
  it('stays unknown until the negative cache expires, or until invalidate() drops it', async () => {
    const zoho = await connector({ order: ['Contacts'] });
    expect(await zoho.lookupCaller('+14155550160')).toBeNull();
    const [id] = emu.seed('Contacts', [{ Last_Name: 'Just Added', Phone: '(415) 555-0160' }]);
    expect(await zoho.lookupCaller('+14155550160')).toBeNull(); // the miss is remembered (negativeTtlMs)
    await zoho.invalidate('415-555-0160');
    expect(await zoho.lookupCaller('+14155550160')).toMatchObject({ id, source: 'zoho' });
    await zoho.invalidate(id as string);
    expect(await zoho.lookupCaller('+14155550160')).toMatchObject({ id, source: 'zoho' });
    await expect(zoho.invalidate(42 as unknown as string)).rejects.toMatchObject({ name: 'ConfigError' });
  });
});

describe('several records with one number', () => {
  const seedTwins = () =>
    emu.seed('Contacts', [
      { Last_Name: 'Older', Phone: '(415) 555-0150', Modified_Time: '2020-01-01T00:00:00Z' },
      { Last_Name: 'Newer', Phone: '+1 415 555 0150', Modified_Time: '2026-01-01T00:00:00Z' },
    ]);

  it('mostRecentlyModified (default): the newer record wins, the older is an alternative', async () => {
    const [older, newer] = seedTwins();
    const match = await (await connector({ order: ['Contacts'] })).lookupCaller('+14155550150');
    expect(match?.id).toBe(newer);
    expect(match?.alternatives?.map((m) => m.id)).toEqual([older]);
  });

  it("firstReturned: Zoho's order wins even when a later record is newer", async () => {
    const [older, newer] = seedTwins();
    const zoho = await connector({ order: ['Contacts'], multipleMatches: 'firstReturned' });
    const match = await zoho.lookupCaller('+14155550150');
    expect(match?.id).toBe(older);
    expect(match?.alternatives?.map((m) => m.id)).toEqual([newer]);
  });
});

describe('cache hits', () => {
  it('carry the record URL and everything else the first answer had', async () => {
    const [id] = emu.seed('Contacts', [{ Last_Name: 'Cached', Phone: '(415) 555-0160' }]);
    const zoho = await connector({ order: ['Contacts'] });
    const first = await zoho.lookupCaller('+14155550160');
    expect(first?.recordUrl).toBe(`https://crm.zoho.com/crm/tab/Contacts/${id}`);
    const searches = emu.stats().requests['GET /crm/v8/Contacts/search'];

    const hit = await zoho.lookupCaller('(415) 555-0160');
    expect(hit).toEqual({ ...first, source: 'cache' });
    expect(emu.stats().requests['GET /crm/v8/Contacts/search']).toBe(searches);
  });
});

describe('directory search by e-mail', () => {
  it('finds exactly the person with that address, in any letter case, not everyone sharing its words', async () => {
    const [id] = emu.seed('Contacts', [
      { First_Name: 'Grace', Last_Name: 'Hopper', Email: 'grace@navy.example', Phone: '415 555 0170' },
      // Every word of the address, but another address: a word search would find her too.
      { First_Name: 'Grace', Last_Name: 'Navy', Email: 'grace.navy@example.org' },
    ]);
    const zoho = await connector();
    const people = await zoho.searchDirectory(' Grace@Navy.example ');
    expect(people).toEqual([
      {
        module: 'Contacts',
        id,
        name: 'Grace Hopper',
        email: 'grace@navy.example',
        phones: [{ field: 'Phone', e164: '+14155550170' }],
        recordUrl: `https://crm.zoho.com/crm/tab/Contacts/${id}`,
      },
    ]);
    // Zoho's own e-mail search, not a word search: real Zoho refuses `@` in `word` (the emulator is lenient).
    const searches = emu
      .requestLog()
      .filter((entry) => entry.endpoint.endsWith('/search'))
      .map((entry) => new URL(entry.url, 'http://emulator').searchParams);
    expect(searches.length).toBeGreaterThan(0);
    for (const query of searches) {
      expect(query.get('email')?.toLowerCase()).toBe('grace@navy.example');
      expect(query.has('word')).toBe(false);
    }
  });
});
