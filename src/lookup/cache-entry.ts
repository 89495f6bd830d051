/**
 * What the lookup cache keeps per number, built compactly: only what cannot be derived (the number is
 * the key, the record URL is rebuilt on a hit), every property in the object literal (one added later
 * would allocate a second store), and each owner's id kept once (Zoho's JSON gives every record its own
 * copy of the few users' ids). This keeps 100,000 cached callers under 300 bytes each.
 *
 * @module
 */
import type { LookupModule } from '../options.js';
import { type Region, recordUrl } from '../regions.js';
import type { CallerMatch } from './types.js';

/** @internal */
export interface CacheEntry {
  readonly module: LookupModule;
  readonly id: string;
  readonly name: string;
  readonly field: string;
  readonly account?: { id: string; name: string } | undefined;
  readonly ownerId?: string | undefined;
  readonly alternatives?: CallerMatch[] | undefined;
}

/** What an entry is built from: a Zoho match, or an entry read from the shared cache. @internal */
export type EntrySource = Pick<CallerMatch, 'id' | 'name' | 'field' | 'account' | 'ownerId' | 'alternatives'>;

/**
 * Builds the cache entry of a Zoho match (or of an entry from the shared cache, so both have one shape) (`module`: the match's, once known not to be `PBX`); keeps at
 * most `maxOwners` distinct owner ids (past that, ids are kept as they come).
 * @internal
 */
export function createCacheEntries(
  maxOwners: number,
): (module: LookupModule, match: EntrySource) => CacheEntry {
  const owners = new Map<string, string>();
  const owner = (id: string): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    if (owners.size < maxOwners) owners.set(id, id);
    return id;
  };
  return (module, match) =>
    match.account || match.ownerId || match.alternatives
      ? {
          module,
          id: match.id,
          name: match.name,
          field: match.field,
          account: match.account,
          ownerId: match.ownerId === undefined ? undefined : owner(match.ownerId),
          alternatives: match.alternatives,
        }
      : { module, id: match.id, name: match.name, field: match.field };
}

/**
 * Reads an entry back as the match it was built from (`source: 'cache'`), its record URL rebuilt for the
 * connection's current data centre (`region()`); the URL prefix of each region and module is kept.
 * @internal
 */
export function createEntryReader(region: () => Region): (e164: string, entry: CacheEntry) => CallerMatch {
  const urlPrefixes = new Map<string, string>();
  const urlOf = (module: LookupModule, id: string): string => {
    const current = region();
    const key = `${current.code}:${module}`;
    let prefix = urlPrefixes.get(key);
    if (prefix === undefined) {
      prefix = recordUrl(current, module, '');
      urlPrefixes.set(key, prefix);
    }
    return prefix + encodeURIComponent(id);
  };
  return (e164, entry) => {
    const match: CallerMatch = {
      module: entry.module,
      id: entry.id,
      name: entry.name,
      phone: e164,
      field: entry.field,
      recordUrl: urlOf(entry.module, entry.id),
      source: 'cache',
    };
    if (entry.account) match.account = entry.account;
    if (entry.ownerId) match.ownerId = entry.ownerId;
    if (entry.alternatives) match.alternatives = entry.alternatives;
    return match;
  };
}
