/**
 * Zoho records → caller matches and directory entries (pure): names, verified fields, lookups that are
 * empty or odd, and which numbers a directory entry lists.
 */
import { describe, expect, it } from 'vitest';
import type { ZohoRecord } from '../../src/crm/schemas.js';
import { bracketPairwise, phoneEqualityQuery } from '../../src/lookup/coql.js';
import { recordName, toCallerMatch, toDirectoryEntry, verifiedField } from '../../src/lookup/to-match.js';
import { REGIONS } from '../../src/regions.js';

const record = (fields: Record<string, unknown>): ZohoRecord => ({ id: '42', ...fields }) as ZohoRecord;
const CONTEXT = {
  e164: '+14155552671',
  phoneFields: ['Phone', 'Mobile'],
  defaultCountry: 'US',
  region: REGIONS.US,
  policy: 'mostRecentlyModified' as const,
};
const DIRECTORY = {
  phoneFields: ['Phone', 'Mobile', 'Home_Phone'],
  defaultCountry: 'US',
  region: REGIONS.US,
};

describe('recordName', () => {
  it.each([
    ['Accounts', { Account_Name: ' Acme Inc ' }, 'Acme Inc'],
    ['Accounts', { Account_Name: '  ' }, 'Account 42'],
    ['Accounts', {}, 'Account 42'],
    ['Contacts', { Full_Name: ' Ada Lovelace ' }, 'Ada Lovelace'],
    ['Contacts', { Full_Name: ' ', First_Name: 'Ada', Last_Name: 'Lovelace' }, 'Ada Lovelace'],
    ['Contacts', { Full_Name: null, Last_Name: ' Lovelace ' }, 'Lovelace'],
    ['Contacts', { First_Name: 'Ada' }, 'Ada'],
    ['Contacts', {}, 'Contact 42'],
    ['Leads', { Last_Name: 7 }, 'Lead 42'],
    ['Leads', { Full_Name: 'Grace Hopper', Account_Name: 'Navy' }, 'Grace Hopper'],
  ] as const)('%s %j → %s', (module, fields, name) => {
    expect(recordName(module, record(fields))).toBe(name);
  });
});

describe('verifiedField', () => {
  it('names the first phone field, in the given order, that holds the number', () => {
    const both = record({ Phone: '415 555 2671', Mobile: '+1 415 555 2671' });
    expect(verifiedField(both, ['Mobile', 'Phone'], '+14155552671', 'US')).toBe('Mobile');
    expect(verifiedField(both, ['Phone', 'Mobile'], '+14155552671', 'US')).toBe('Phone');
    const odd = record({ Phone: '  ', Mobile: null, Home_Phone: '(415) 555-2671' });
    expect(verifiedField(odd, ['Phone', 'Mobile', 'Home_Phone'], '+14155552671', 'US')).toBe('Home_Phone');
    expect(verifiedField(record({ Phone: '415 555 2672' }), ['Phone'], '+14155552671', 'US')).toBeUndefined();
  });
});

describe('toCallerMatch', () => {
  it('only a contact carries an account; empty, id-less or null lookups are left out', () => {
    const contact = (Account_Name: unknown, Owner: unknown) =>
      toCallerMatch(
        'Contacts',
        [record({ Full_Name: 'Ada', Phone: '4155552671', Account_Name, Owner })],
        CONTEXT,
      );
    expect(contact({ id: '9', name: 'Acme' }, { id: '7' })).toStrictEqual({
      module: 'Contacts',
      id: '42',
      name: 'Ada',
      phone: '+14155552671',
      field: 'Phone',
      recordUrl: 'https://crm.zoho.com/crm/tab/Contacts/42',
      source: 'zoho',
      account: { id: '9', name: 'Acme' },
      ownerId: '7',
    });
    expect(contact({ id: '9' }, null)?.account).toEqual({ id: '9', name: '' });
    for (const empty of [null, undefined, 'Acme', { name: 'Acme' }, { id: 9, name: 'Acme' }]) {
      const match = contact(empty, empty);
      expect(match).not.toHaveProperty('account');
      expect(match).not.toHaveProperty('ownerId');
    }
    const lead = toCallerMatch(
      'Leads',
      [record({ Full_Name: 'Grace', Phone: '4155552671', Account_Name: { id: '9', name: 'Navy' } })],
      CONTEXT,
    );
    expect(lead).not.toHaveProperty('account');
  });

  it('several matches: newest first, records without a readable date last, in the order returned', () => {
    const rows = [
      record({ id: '1', Phone: '4155552671', Modified_Time: 'yesterday' }),
      record({ id: '2', Phone: '4155552671', Modified_Time: '2024-01-01T00:00:00Z' }),
      record({ id: '3', Phone: '4155552671' }),
      record({ id: '4', Phone: '4155552671', Modified_Time: '2025-01-01T00:00:00Z' }),
    ];
    const match = toCallerMatch('Contacts', rows, CONTEXT);
    expect([match?.id, ...(match?.alternatives ?? []).map((m) => m.id)]).toEqual(['4', '2', '1', '3']);
    const first = toCallerMatch('Contacts', rows, { ...CONTEXT, policy: 'firstReturned' });
    expect([first?.id, ...(first?.alternatives ?? []).map((m) => m.id)]).toEqual(['1', '2', '3', '4']);
  });

  it('a single match has no alternatives; records that do not hold the number are dropped', () => {
    const match = toCallerMatch(
      'Contacts',
      [record({ id: '1', Phone: '4155552672' }), record({ id: '2', Mobile: '4155552671' })],
      CONTEXT,
    );
    expect(match?.id).toBe('2');
    expect(match).not.toHaveProperty('alternatives');
    expect(toCallerMatch('Contacts', [record({ Phone: '4155552672' })], CONTEXT)).toBeUndefined();
  });
});

describe('toDirectoryEntry', () => {
  it('lists each usable number once, in E.164, with the first field that holds it', () => {
    const entry = toDirectoryEntry(
      'Contacts',
      record({
        Full_Name: 'Ada',
        Phone: '(415) 555-2671',
        Mobile: '+1 415 555 2671',
        Home_Phone: '415 555 0100',
      }),
      DIRECTORY,
    );
    expect(entry.phones).toEqual([
      { field: 'Phone', e164: '+14155552671' },
      { field: 'Home_Phone', e164: '+14155550100' },
    ]);
  });

  it('leaves out blanks, extensions and text that is not a number', () => {
    const entry = toDirectoryEntry(
      'Contacts',
      record({ Full_Name: 'Ada', Phone: '  ', Mobile: '201', Home_Phone: 'ask reception' }),
      DIRECTORY,
    );
    expect(entry.phones).toEqual([]);
  });

  it('company: a lead its Company, a contact its account, an account none; blank values are left out', () => {
    expect(toDirectoryEntry('Leads', record({ Full_Name: 'G', Company: 'Navy' }), DIRECTORY).company).toBe(
      'Navy',
    );
    expect(
      toDirectoryEntry(
        'Contacts',
        record({ Full_Name: 'A', Account_Name: { id: '9', name: 'Acme' } }),
        DIRECTORY,
      ).company,
    ).toBe('Acme');
    for (const entry of [
      toDirectoryEntry('Leads', record({ Full_Name: 'G', Company: '' }), DIRECTORY),
      toDirectoryEntry('Leads', record({ Full_Name: 'G' }), DIRECTORY),
      toDirectoryEntry('Contacts', record({ Full_Name: 'A', Account_Name: { id: '9' } }), DIRECTORY),
      toDirectoryEntry('Accounts', record({ Account_Name: 'Acme' }), DIRECTORY),
    ]) {
      expect(entry).not.toHaveProperty('company');
    }
  });

  it('e-mail only when the record has one', () => {
    expect(toDirectoryEntry('Leads', record({ Email: 'g@navy.example' }), DIRECTORY).email).toBe(
      'g@navy.example',
    );
    for (const Email of ['', null, undefined]) {
      expect(toDirectoryEntry('Leads', record({ Email }), DIRECTORY)).not.toHaveProperty('email');
    }
  });
});

describe('COQL builder', () => {
  it('selects every field asked for and at most 25 phone conditions', () => {
    const phoneFields = Array.from({ length: 30 }, (_, i) => `Phone_${i}`);
    const query = phoneEqualityQuery('Contacts', ['Full_Name', 'Owner'], phoneFields, '+14155552671');
    expect(query.startsWith('select Full_Name, Owner from Contacts where ')).toBe(true);
    expect(query.match(/ in \(/g)).toHaveLength(25);
    expect(query).toContain('Phone_24 in');
    expect(query).not.toContain('Phone_25 ');
  });

  it('refuses to bracket nothing, saying why', () => {
    expect(() => bracketPairwise([], 'or')).toThrow('at least one condition is required');
  });
});
