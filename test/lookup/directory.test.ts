/**
 * Directory search over a scripted CRM: query cleaning, limits and paging, the short-lived cache, the
 * fields asked for, and the caller's signal.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { cleanDirectoryQuery } from '../../src/lookup/directory.js';
import { engineOver, stubCrm } from './stub-crm.js';

const people = (count: number, prefix = 'Smith') =>
  Array.from({ length: count }, (_, i) => ({
    id: String(1000 + i),
    Full_Name: `${prefix} ${i}`,
    Phone: `+1 415 555 ${String(1000 + i)}`,
  }));

describe('cleanDirectoryQuery', () => {
  it('turns special characters into word breaks', () => {
    expect(cleanDirectoryQuery('Smith&Co')).toEqual({ kind: 'word', value: 'Smith Co' });
    expect(cleanDirectoryQuery("O'Brien--Ltd")).toEqual({ kind: 'word', value: 'O Brien Ltd' });
  });

  it('accepts two-letter names', () => {
    expect(cleanDirectoryQuery(' Li ')).toEqual({ kind: 'word', value: 'Li' });
  });

  it('refuses a query with fewer than 2 usable characters, naming `query`', () => {
    for (const query of ['a', ' !? ', '']) {
      const error = (() => {
        try {
          cleanDirectoryQuery(query);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        { path: 'query', message: 'needs at least 2 letters or digits (special characters are ignored)' },
      ]);
      expect((error as ConfigError).message).toMatch(/^Invalid searchDirectory: query: /);
    }
  });
});

describe('searchDirectory', () => {
  it('returns at most `limit` entries and asks Zoho for no more than that', async () => {
    const crm = stubCrm({ Contacts: people(5), Leads: people(5) });
    const { engine } = engineOver(crm.http);
    const found = await engine.searchDirectory('smith', { limit: 2 });
    expect(found.map((p) => p.name)).toEqual(['Smith 0', 'Smith 1']);
    expect(crm.requests.map((r) => [r.path, r.query?.per_page])).toEqual([['/Contacts/search', 2]]);
  });

  it('fills the limit across modules in order, stopping as soon as it is reached', async () => {
    const crm = stubCrm({ Contacts: people(2), Leads: people(3, 'Smithers'), Accounts: people(3) });
    const { engine } = engineOver(crm.http);
    const found = await engine.searchDirectory('smith', { limit: 4 });
    expect(found.map((p) => `${p.module}:${p.name}`)).toEqual([
      'Contacts:Smith 0',
      'Contacts:Smith 1',
      'Leads:Smithers 0',
      'Leads:Smithers 1',
    ]);
    expect(crm.calls()).toEqual(['Contacts', 'Leads']);
  });

  it('does not even discover the fields of a module it will not search', async () => {
    const crm = stubCrm({ Contacts: people(3) });
    const { engine } = engineOver(crm.http, { discoverPhoneFields: true });
    await engine.searchDirectory('smith', { limit: 3 });
    expect(crm.calls()).toEqual(['fields:Contacts', 'Contacts']);
  });

  it('takes a limit from 1 to 200 and defaults to 20', async () => {
    const crm = stubCrm({ Contacts: people(250) });
    const { engine } = engineOver(crm.http, { order: ['Contacts'] });
    expect(await engine.searchDirectory('smith', { limit: 1 })).toHaveLength(1);
    expect(await engine.searchDirectory('smith')).toHaveLength(20);
    expect(await engine.searchDirectory('smith', { limit: 200 })).toHaveLength(200);
    expect(crm.requests.map((r) => r.query?.per_page)).toEqual([1, 20, 200]);
    await expect(engine.searchDirectory('smith', { limit: 201 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('follows more_records page by page until the limit', async () => {
    const crm = stubCrm({ Contacts: people(7) }, { pageSize: 3 });
    const { engine } = engineOver(crm.http, { order: ['Contacts'] });
    const found = await engine.searchDirectory('smith', { limit: 20 });
    expect(found).toHaveLength(7);
    expect(crm.requests.map((r) => r.query?.page)).toEqual([1, 2, 3]);
  });

  it('reads at most 10 pages per module (Zoho stops at 2,000 records)', async () => {
    const crm = stubCrm({ Contacts: people(30) }, { pageSize: 1, alwaysMore: true });
    const { engine } = engineOver(crm.http, { order: ['Contacts'] });
    expect(await engine.searchDirectory('smith', { limit: 30 })).toHaveLength(10);
    expect(crm.requests).toHaveLength(10);
  });

  it('asks for the phone and naming fields, so entries carry names, numbers, company and e-mail', async () => {
    const crm = stubCrm({
      Contacts: [
        {
          id: '1',
          First_Name: 'Ada',
          Last_Name: 'Smith',
          Mobile: '(415) 555-0101',
          Email: 'ada@example.com',
          Account_Name: { id: '9', name: 'Acme' },
        },
      ],
    });
    const { engine } = engineOver(crm.http, { order: ['Contacts'] });
    expect(await engine.searchDirectory('smith')).toStrictEqual([
      {
        module: 'Contacts',
        id: '1',
        name: 'Ada Smith',
        phones: [{ field: 'Mobile', e164: '+14155550101' }],
        recordUrl: 'https://crm.zoho.com/crm/tab/Contacts/1',
        email: 'ada@example.com',
        company: 'Acme',
      },
    ]);
  });

  it('remembers a result briefly, per query (any letter case) and limit', async () => {
    const crm = stubCrm({ Contacts: people(3), Leads: people(2, 'Jones') });
    const { engine } = engineOver(crm.http, { order: ['Contacts', 'Leads'] });
    const first = await engine.searchDirectory('smith');
    expect(await engine.searchDirectory('SMITH')).toBe(first);
    expect(crm.requests).toHaveLength(2);
    expect((await engine.searchDirectory('jones')).map((p) => p.name)).toEqual(['Jones 0', 'Jones 1']);
    expect(await engine.searchDirectory('smith', { limit: 2 })).toHaveLength(2);
    expect(await engine.searchDirectory('smith@example.com')).toEqual([]);
  });

  it("passes the caller's signal to Zoho", async () => {
    const crm = stubCrm({ Contacts: people(3) });
    const { engine } = engineOver(crm.http);
    const reason = new Error('closed the dialler');
    await expect(engine.searchDirectory('smith', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
