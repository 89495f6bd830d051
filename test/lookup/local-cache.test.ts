import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../src/lookup/cache-entry.js';
import { createLocalCache, MISS } from '../../src/lookup/local-cache.js';

const entry = (id: string): CacheEntry => ({ module: 'Contacts', id, name: `Caller ${id}`, field: 'Phone' });

describe('local cache', () => {
  it('answers nothing before its first fill, and every call is safe', () => {
    const cache = createLocalCache({ maxEntries: 10, ttlMs: 1_000 });
    expect(cache.get('+14155550100')).toBeUndefined();
    expect(cache.has('+14155550100')).toBe(false);
    expect(cache.size).toBe(0);
    cache.drop(['+14155550100'], ['rec-1']);
    cache.dropMisses();
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps answers and misses until their TTL passes on the injected clock', () => {
    let now = 10_000; // lru-cache reads a start time of 0 as "no TTL"
    const cache = createLocalCache({ maxEntries: 10, ttlMs: 1_000, now: () => now });
    cache.set('+14155550100', entry('rec-1'));
    cache.set('+14155550101', MISS, { ttl: 100 });
    expect(cache.has('+14155550100')).toBe(true);
    expect(cache.get('+14155550100')).toEqual(entry('rec-1'));
    expect(cache.get('+14155550101')).toBe(MISS);
    expect(cache.size).toBe(2);
    now += 100;
    expect(cache.get('+14155550101')).toBe(MISS); // stale only once more than the TTL has passed
    now += 1;
    expect(cache.get('+14155550101')).toBeUndefined();
    expect(cache.get('+14155550100')).toEqual(entry('rec-1'));
    now += 900;
    expect(cache.get('+14155550100')).toBeUndefined();
  });

  it('evicts the least recently used number past maxEntries', () => {
    const cache = createLocalCache({ maxEntries: 2, ttlMs: 60_000 });
    cache.set('a', entry('1'));
    cache.set('b', entry('2'));
    cache.get('a');
    cache.set('c', entry('3'));
    expect(cache.has('a')).toBe(true);
    expect(cache.has('b')).toBe(false);
    expect(cache.size).toBe(2);
  });

  it('drop() forgets the numbers given and every number of the records given; misses stay', () => {
    const cache = createLocalCache({ maxEntries: 10, ttlMs: 60_000 });
    cache.set('a', entry('rec-1'));
    cache.set('b', entry('rec-1'));
    cache.set('c', entry('rec-2'));
    cache.set('d', entry('rec-3'));
    cache.set('e', MISS);
    cache.drop(['d'], ['rec-1']);
    expect(['a', 'b', 'c', 'd', 'e'].filter((n) => cache.has(n))).toEqual(['c', 'e']);
    cache.drop(['c'], []);
    expect(cache.has('c')).toBe(false);
    expect(cache.has('e')).toBe(true);
  });

  it('dropMisses() forgets the misses only; clear() forgets everything', () => {
    const cache = createLocalCache({ maxEntries: 10, ttlMs: 60_000 });
    cache.set('a', entry('rec-1'));
    cache.set('b', MISS);
    cache.set('c', MISS);
    cache.dropMisses();
    expect(['a', 'b', 'c'].filter((n) => cache.has(n))).toEqual(['a']);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
  });
});
