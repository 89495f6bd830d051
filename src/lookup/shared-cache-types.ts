/**
 * The shapes of the shared caller-ID cache (`lookup.sharedCache`): the Redis commands it needs from the
 * host's client (structurally, so the core entry imports no ioredis), and the entry both cache levels
 * keep per number.
 *
 * @module
 */
import type { CacheEntry } from './cache-entry.js';

/**
 * The Redis commands the shared caller-ID cache uses: an ioredis `Redis` or `Cluster` has them all.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: SharedCacheClient = new Redis(process.env.REDIS_URL!);
 * ```
 * @group Caller ID
 */
export interface SharedCacheClient {
  /** `GET`: a number's entry. */
  get(key: string): Promise<string | null>;
  /** `SET … PX`: a found caller, replacing what is there. */
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  /** `SET … PX … NX`: a miss, only where nothing is. */
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>;
  /** `PTTL`: how long an entry has left (the process's cache keeps it no longer). */
  pttl(key: string): Promise<number>;
  /** `DEL`: invalidation. */
  del(...keys: string[]): Promise<number>;
  /** `SADD`: a number joins its record's set. */
  sadd(key: string, ...members: string[]): Promise<number>;
  /** `SMEMBERS`: the numbers cached for a record. */
  smembers(key: string): Promise<string[]>;
  /** `ZADD`: a miss joins the index of the misses, scored by when it expires. */
  zadd(key: string, score: number, member: string): Promise<unknown>;
  /** `ZREMRANGEBYSCORE`: lapsed misses leave the index (it holds the live ones only). */
  zremrangebyscore(key: string, min: number | string, max: number | string): Promise<number>;
  /** `ZRANGEBYSCORE`: the live misses, to forget them. */
  zrangebyscore(key: string, min: number | string, max: number | string): Promise<string[]>;
  /** `PEXPIRE`: a record's set expires with its numbers. */
  pexpire(key: string, ms: number): Promise<number>;
  /** `PUBLISH`: tells the other nodes what to forget. */
  publish(channel: string, message: string): Promise<number>;
  /** A second connection for the invalidation channel (a connection that subscribes can do nothing else). */
  duplicate(): SharedCacheSubscriber;
}

/**
 * The subscriber connection made with `client.duplicate()`.
 * @example
 * ```ts
 * const subscriber: SharedCacheSubscriber = new Redis(process.env.REDIS_URL!).duplicate();
 * ```
 * @group Caller ID
 */
export interface SharedCacheSubscriber {
  /** `SUBSCRIBE` to a connection's invalidation channel. */
  subscribe(channel: string): Promise<unknown>;
  /** `UNSUBSCRIBE` when the connection's last connector closes. */
  unsubscribe(channel: string): Promise<unknown>;
  /** Listens to `message`, `ready` (a reconnection) and `error`. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Closes the subscriber (when the client's last connector closes). */
  disconnect(): void;
}

/** The commands `lookup.sharedCache.client` must have (checked at construction). @internal */
export const SHARED_CACHE_COMMANDS = [
  'get',
  'set',
  'pttl',
  'del',
  'sadd',
  'smembers',
  'zadd',
  'zremrangebyscore',
  'zrangebyscore',
  'pexpire',
  'publish',
  'duplicate',
] as const;

/** What both cache levels keep per number (built by `createCacheEntries`). @internal */
export type { CacheEntry };

/** An entry read from Redis: the caller (`null` for a miss) and how long it has left, in ms. @internal */
export interface SharedHit {
  entry: CacheEntry | null;
  ttlMs: number;
}
