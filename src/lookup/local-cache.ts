/**
 * A process's own cache of caller answers: E.164 → the record's {@link CacheEntry}, or {@link MISS} for a
 * number Zoho does not know. An LRU with a TTL, built on its first fill rather than at creation:
 * lru-cache preallocates its arrays for `maxEntries` (about 380 KB at the default 10,000), which an idle
 * tenant of a registry must not pay (docs/multi-tenant.md).
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { CacheEntry } from './cache-entry.js';

/** What the cache holds for a number Zoho does not know. @internal */
export const MISS = Object.freeze({ miss: true as const });

/** A cached answer: a record's entry or a miss. @internal */
export type Cached = CacheEntry | typeof MISS;

/** @internal */
export interface LocalCache {
  get(e164: string): Cached | undefined;
  has(e164: string): boolean;
  /** Caches an answer, for `ttl` ms when given (else the cache's TTL). */
  set(e164: string, value: Cached, options?: { ttl: number }): void;
  /** Drops these numbers and every number cached for a record with one of these ids (one walk for all). */
  drop(numbers: readonly string[], ids: readonly string[]): void;
  /** Drops every number cached as unknown. */
  dropMisses(): void;
  clear(): void;
  /** Numbers cached (answers and misses). */
  readonly size: number;
}

/** @internal */
export interface LocalCacheOptions {
  maxEntries: number;
  ttlMs: number;
  /** Clock for TTLs (tests); read on every check. */
  now?: (() => number) | undefined;
}

/** @internal */
export function createLocalCache(options: LocalCacheOptions): LocalCache {
  const clock = options.now ? { now: options.now } : undefined;
  let lru: LRUCache<string, Cached> | undefined;

  // Callers collect the numbers first: the cache is not changed while it is iterated.
  const deleteAll = (numbers: readonly string[]) => {
    for (const number of numbers) lru?.delete(number);
  };

  return {
    get: (e164) => lru?.get(e164),
    has: (e164) => lru?.has(e164) ?? false,
    set(e164, value, setOptions) {
      lru ??= new LRUCache<string, Cached>({
        max: options.maxEntries,
        ttl: options.ttlMs,
        ttlAutopurge: false,
        // An injected clock is read on every check: lru-cache otherwise reuses one reading for 1 ms of real time.
        ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
      });
      lru.set(e164, value, setOptions);
    },
    drop(numbers, ids) {
      const dropped = [...numbers];
      if (ids.length > 0) {
        const wanted = new Set(ids);
        for (const [number, value] of lru?.entries() ?? []) {
          if (value !== MISS && wanted.has((value as CacheEntry).id)) dropped.push(number);
        }
      }
      deleteAll(dropped);
    },
    dropMisses() {
      const misses: string[] = [];
      for (const [number, value] of lru?.entries() ?? []) if (value === MISS) misses.push(number);
      deleteAll(misses);
    },
    clear: () => lru?.clear(),
    get size() {
      return lru?.size ?? 0;
    },
  };
}
