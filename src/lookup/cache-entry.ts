/**
 * What the lookup cache keeps per number, built compactly: only what cannot be derived (the number is
 * the key, the record URL is rebuilt on a hit), every property in the object literal (one added later
 * would allocate a second store), and each owner's id kept once (Zoho's JSON gives every record its own
 * copy of the few users' ids). This keeps 100,000 cached callers under 300 bytes each.
 *
 * @module
 */
import type { LookupModule } from '../options.js';
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
