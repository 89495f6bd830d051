/**
 * What the shared caller-ID cache writes to Redis, and reads back without trusting it: a cached caller
 * as compact JSON (the fields of the in-process entry), a miss as `-`, and the notices of the
 * invalidation channel. Pure functions; anything malformed decodes to `undefined` (ignored).
 *
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import type { CacheEntry } from './shared-cache-types.js';

/** A miss ("no record has this number") as stored. */
const MISS_VALUE = '-';

const moduleName = () => z.enum(['Contacts', 'Leads', 'Accounts']);
const account = () => z.object({ id: z.string(), name: z.string() });

/** An alternative is handed to the host as a `CallerMatch`: checked as one (another version's is refused). */
const AlternativeSchema = z.lazy(() =>
  z.object({
    module: moduleName(),
    id: z.string(),
    name: z.string(),
    phone: z.string(),
    field: z.string(),
    account: z.optional(account()),
    ownerId: z.optional(z.string()),
    recordUrl: z.optional(z.string()),
    source: z.enum(['zoho', 'pbx', 'cache']),
  }),
);

const EntrySchema = z.lazy(() =>
  z.object({
    module: moduleName(),
    id: z.string(),
    name: z.string(),
    field: z.string(),
    account: z.optional(account()),
    ownerId: z.optional(z.string()),
    alternatives: z.optional(z.array(AlternativeSchema)),
  }),
);

const NoticeSchema = z.lazy(() =>
  z.object({
    from: z.string(),
    numbers: z.array(z.string()),
    ids: z.optional(z.array(z.string())),
    /** Every miss is to be forgotten. */
    misses: z.optional(z.literal(true)),
  }),
);

/**
 * A notice on the invalidation channel: which node sent it, the numbers, and the record ids if any (or
 * `misses`: every miss).
 */
export type ForgetNotice = z.infer<typeof NoticeSchema>;

/** The stored form of an entry (`null` = a miss). */
export function encodeEntry(entry: CacheEntry | null): string {
  return entry === null ? MISS_VALUE : JSON.stringify(entry);
}

/** The entry a stored value holds, `null` for a miss, `undefined` when it is not one of ours. */
export function decodeEntry(text: string): CacheEntry | null | undefined {
  if (text === MISS_VALUE) return null;
  const parsed = EntrySchema.safeParse(parse(text));
  return parsed.success ? (parsed.data as CacheEntry) : undefined;
}

/** The channel message of a notice. */
export function encodeNotice(notice: ForgetNotice): string {
  return JSON.stringify(notice);
}

/** The notice a channel message holds, or `undefined` when it is not one. */
export function decodeNotice(text: string): ForgetNotice | undefined {
  const parsed = NoticeSchema.safeParse(parse(text));
  return parsed.success ? parsed.data : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
