/**
 * The lookup cache's entries (src/lookup/cache-entry.ts): one object shape per kind of match, and owner
 * ids kept once, for at most `maxOwners` distinct owners. Interning cannot be seen on the strings
 * themselves (=== compares values), so the tests count the ids the interning table records.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCacheEntries } from '../../src/lookup/cache-entry.js';
import type { CallerMatch } from '../../src/lookup/types.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const BASE = { id: '1', name: 'Ada Lovelace', field: 'Phone' };

describe('createCacheEntries', () => {
  it('a bare match keeps only module, id, name and field', () => {
    const entry = createCacheEntries(10)('Contacts', BASE);
    expect(Object.keys(entry)).toEqual(['module', 'id', 'name', 'field']);
    expect(entry).toEqual({ module: 'Contacts', ...BASE });
  });

  it('a match with any of account, owner or alternatives has every property, in one order', () => {
    const entries = createCacheEntries(10);
    const account = { id: 'a1', name: 'Acme' };
    const alternatives = [
      { module: 'Leads', id: '2', name: 'Ada', field: 'Mobile' },
    ] as unknown as CallerMatch[];
    for (const extra of [{ account }, { ownerId: 'o1' }, { alternatives }]) {
      const entry = entries('Contacts', { ...BASE, ...extra });
      expect(Object.keys(entry), JSON.stringify(extra)).toEqual([
        'module',
        'id',
        'name',
        'field',
        'account',
        'ownerId',
        'alternatives',
      ]);
      expect(entry).toEqual({
        module: 'Contacts',
        ...BASE,
        account: undefined,
        ownerId: undefined,
        alternatives: undefined,
        ...extra,
      });
    }
  });

  it('owner ids are recorded once each, for at most maxOwners distinct owners; an absent owner is not recorded', () => {
    const entries = createCacheEntries(2);
    const recorded: unknown[] = [];
    const set = Map.prototype.set;
    vi.spyOn(Map.prototype, 'set').mockImplementation(function (this: Map<unknown, unknown>, key, value) {
      // Only owner ids: any other Map written meanwhile (the runner's, an instrumenter's) is not counted.
      if ((typeof key === 'string' && key.startsWith('owner-')) || key === undefined) recorded.push(key);
      return set.call(this, key, value);
    });
    entries('Contacts', { ...BASE, account: { id: 'a1', name: 'Acme' } });
    const owners = ['owner-1', 'owner-1', 'owner-2', 'owner-1', 'owner-3', 'owner-2', 'owner-3'];
    const got = owners.map((ownerId) => entries('Contacts', { ...BASE, ownerId }).ownerId);
    expect(got).toEqual(owners); // past the limit, ids are kept as they come
    expect(recorded).toEqual(['owner-1', 'owner-2']);
  });
});
