/**
 * Directory search: a softphone searches by name (or part of one, or an email) and gets CRM people with
 * their phone numbers in E.164. Zoho's `word` search needs at least 2 characters and no special
 * characters (docs/zoho-facts.md §2.2), so the query is cleaned first and refused clearly when nothing is left.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { optionalInteger, optionalSignal, optionsArgument, requireString } from '../args.js';
import { searchRecords } from '../crm/records.js';
import { ConfigError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import type { LookupModule, ResolvedConnectorOptions } from '../options.js';
import type { Region } from '../regions.js';
import { MODULE_FIELDS } from './modules.js';
import { toDirectoryEntry } from './to-match.js';
import type { DirectoryEntry } from './types.js';

/** @internal */
export interface DirectoryContext {
  http: ZohoHttp;
  lookup: ResolvedConnectorOptions['lookup'];
  region: Region;
  fieldsOf: (module: LookupModule, signal?: AbortSignal) => Promise<readonly string[]>;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** Most entries one directory search returns. */
const MAX_LIMIT = 200;
const cacheByHttp = new WeakMap<ZohoHttp, LRUCache<string, DirectoryEntry[]>>();

/**
 * Turns what an agent typed into something Zoho's `word` search accepts: letters, digits and spaces,
 * at least 2 characters. Emails are kept as they are (they go to the `email` search).
 * @throws {@link ConfigError} when fewer than 2 usable characters remain.
 * @internal
 */
export function cleanDirectoryQuery(query: string): { kind: 'word' | 'email'; value: string } {
  const trimmed = requireString(query, 'searchDirectory', 'query').trim();
  if (EMAIL.test(trimmed)) return { kind: 'email', value: trimmed };
  const word = trimmed
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (word.length < 2) {
    throw new ConfigError(
      [{ path: 'query', message: 'needs at least 2 letters or digits (special characters are ignored)' }],
      'searchDirectory',
    );
  }
  return { kind: 'word', value: word };
}

/**
 * Searches the lookup modules in order and returns up to `limit` entries (an integer from 1 to 200,
 * default 20), cached briefly.
 * @throws {@link ConfigError} for a query that is not a string or too short, or an invalid option.
 * @internal
 */
export async function searchDirectory(
  context: DirectoryContext,
  query: string,
  options?: { signal?: AbortSignal; limit?: number },
): Promise<DirectoryEntry[]> {
  const cleaned = cleanDirectoryQuery(query);
  const bag = optionsArgument(options, 'searchDirectory', ['signal', 'limit']);
  const signal = optionalSignal(bag.signal, 'searchDirectory', 'options.signal');
  const limit = optionalInteger(bag.limit, 'searchDirectory', 'options.limit', 1, MAX_LIMIT) ?? 20;
  let cache = cacheByHttp.get(context.http);
  if (!cache) {
    cache = new LRUCache<string, DirectoryEntry[]>({ max: 500, ttl: 30_000 });
    cacheByHttp.set(context.http, cache);
  }
  const key = `${cleaned.kind}:${cleaned.value.toLowerCase()}:${limit}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const entries: DirectoryEntry[] = [];
  for (const module of context.lookup.order) {
    const phone = await context.fieldsOf(module, signal);
    const fields = [...phone, ...MODULE_FIELDS[module].other];
    for (let page = 1; entries.length < limit && page <= 10; page++) {
      const result = await searchRecords(
        context.http,
        module,
        cleaned.kind === 'email' ? { email: cleaned.value } : { word: cleaned.value },
        {
          fields,
          page,
          perPage: Math.min(200, limit),
          ...(signal ? { signal } : {}),
        },
      );
      for (const record of result.records) {
        if (entries.length >= limit) break;
        entries.push(
          toDirectoryEntry(module, record, {
            phoneFields: phone,
            defaultCountry: context.lookup.defaultCountry,
            region: context.region,
          }),
        );
      }
      if (!result.more) break;
    }
    if (entries.length >= limit) break;
  }
  cache.set(key, entries);
  return entries;
}
