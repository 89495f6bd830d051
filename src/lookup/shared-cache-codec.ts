/**
 * What the shared caller-ID cache writes to Redis, and reads back without trusting it: a cached caller
 * as compact JSON (the fields of the in-process entry), a miss as `-`, and the notices of the
 * invalidation channel. Pure functions; anything malformed decodes to `undefined` (ignored).
 *
 * @internal
 * @module
 */
import type { CacheEntry } from './shared-cache.js';

/** A miss ("no record has this number") as stored. */
const MISS_VALUE = '-';
const MODULES: ReadonlySet<string> = new Set(['Contacts', 'Leads', 'Accounts']);

/** A notice on the invalidation channel: which node sent it, the numbers, and the record id if any. */
export interface ForgetNotice {
  from: string;
  numbers: string[];
  id?: string;
}

/** The stored form of an entry (`null` = a miss). */
export function encodeEntry(entry: CacheEntry | null): string {
  return entry === null ? MISS_VALUE : JSON.stringify(entry);
}

/** The entry a stored value holds, `null` for a miss, `undefined` when it is not one of ours. */
export function decodeEntry(text: string): CacheEntry | null | undefined {
  if (text === MISS_VALUE) return null;
  const value = parse(text);
  if (!isRecord(value)) return undefined;
  const { module, id, name, field, account, ownerId, alternatives } = value;
  if (typeof module !== 'string' || !MODULES.has(module)) return undefined;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof field !== 'string') return undefined;
  if (account !== undefined && !(isRecord(account) && isString(account.id) && isString(account.name)))
    return undefined;
  if (ownerId !== undefined && typeof ownerId !== 'string') return undefined;
  if (alternatives !== undefined && !Array.isArray(alternatives)) return undefined;
  return value as unknown as CacheEntry;
}

/** The channel message of a notice. */
export function encodeNotice(notice: ForgetNotice): string {
  return JSON.stringify(notice);
}

/** The notice a channel message holds, or `undefined` when it is not one. */
export function decodeNotice(text: string): ForgetNotice | undefined {
  const value = parse(text);
  if (!isRecord(value) || !isString(value.from) || !Array.isArray(value.numbers)) return undefined;
  if (!value.numbers.every(isString) || (value.id !== undefined && !isString(value.id))) return undefined;
  return value as unknown as ForgetNotice;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
