/**
 * The caller-ID cache shared by the nodes of a cluster (`lookup.sharedCache`): a second level in Redis
 * behind each process's LRU. One key per number holds a found caller (the same fields as the LRU's
 * entry) or a miss, with the TTL of the level it came from; a set per record id lists the numbers cached
 * for it, so that forgetting a record reaches numbers other nodes looked up; and a pub/sub channel per
 * connection tells every node to drop what its own LRU holds. Redis is an accelerator only: every call
 * here is bounded in time and never rejects, and while Redis fails it is left alone for a few seconds.
 *
 * Takes the host's ioredis client structurally (the core entry imports neither ioredis nor `node:`
 * modules); the subscriber is the client's `duplicate()`, one per client whatever the number of
 * connections using it, opened on first use and closed with the last of them.
 *
 * @module
 */
import type { Logger } from '../logger.js';
import type { LookupModule } from '../options.js';
import { connectionTag, DEFAULT_PREFIX, escapePrefix } from '../stores/redis-keys.js';
import { decodeEntry, decodeNotice, encodeEntry, encodeNotice } from './shared-cache-codec.js';
import { join, type Listener, type Membership } from './shared-cache-hub.js';
import type { CallerMatch } from './types.js';

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
  'pexpire',
  'publish',
  'duplicate',
] as const;

/**
 * What both cache levels keep per number: only what cannot be derived. The number is the key and the
 * record URL is rebuilt on a hit.
 * @internal
 */
export interface CacheEntry {
  readonly module: LookupModule;
  readonly id: string;
  readonly name: string;
  readonly field: string;
  readonly account?: { id: string; name: string };
  readonly ownerId?: string;
  readonly alternatives?: CallerMatch[];
}

/** An entry read from Redis: the caller (`null` for a miss) and how long it has left, in ms. @internal */
export interface SharedHit {
  entry: CacheEntry | null;
  ttlMs: number;
}

/** @internal */
export interface SharedCache {
  /** The entry for a number, or undefined when absent, unreadable, late (past `timeoutMs`) or failing. */
  get(e164: string): Promise<SharedHit | undefined>;
  /**
   * Stores a caller (replacing what is there) or a miss (only where nothing is), in the background.
   * `announce` tells the other nodes to drop the number from their LRU (a record this connector wrote).
   */
  put(e164: string, entry: CacheEntry | null, ttlMs: number, announce?: boolean): void;
  /** Deletes the numbers and those cached for the record id, then tells the other nodes. Never rejects. */
  forget(numbers: readonly string[], id: string | undefined): Promise<void>;
  /**
   * Hears what other nodes forget, and `onGap` when notices may have been missed (the subscriber
   * reconnected). The subscription starts on first use.
   */
  listen(onForget: (numbers: readonly string[], id: string | undefined) => void, onGap: () => void): void;
  /** Resolves once the background writes have finished (or given up). */
  settled(): Promise<void>;
  /** Waits for the writes, then leaves the channel (the last leaver closes the subscriber). */
  close(): Promise<void>;
}

/** @internal */
export interface SharedCacheOptions {
  client: SharedCacheClient;
  connectionId: string;
  keyPrefix?: string | undefined;
  /** Budget of a read at ring time, in ms. */
  timeoutMs: number;
  logger: Logger;
  now: () => number;
}

/** How long Redis is left alone after it failed or was late, in ms. */
export const SHARED_CACHE_RETRY_MS = 5_000;
/** The bound on a background write or an invalidation, in ms. */
export const SHARED_CACHE_WRITE_BOUND_MS = 2_000;
const LATE = Symbol('late');

/** @internal */
export function createSharedCache(options: SharedCacheOptions): SharedCache {
  const { client, logger, now } = options;
  const tag = connectionTag(escapePrefix(options.keyPrefix ?? DEFAULT_PREFIX), options.connectionId);
  const numberKey = (e164: string) => `${tag}:caller:${e164}`;
  const recordKey = (id: string) => `${tag}:record:${id}`;
  const channel = `${tag}:forget`;
  const self = globalThis.crypto.randomUUID();
  const pending = new Set<Promise<unknown>>();
  let downUntil = 0;
  let failing = false;
  // The subscriber's errors come once per reconnection attempt: one warning until it is back.
  let subscriberFailing = false;
  let membership: Membership | undefined;
  let listener: Listener | undefined;

  /** Logs once per outage; a failed command also pauses reads and writes (not a subscriber's error). */
  function failed(operation: string, error: unknown): void {
    if (operation === 'subscribe') {
      if (subscriberFailing) return;
      subscriberFailing = true;
    } else {
      downUntil = now() + SHARED_CACHE_RETRY_MS;
      if (failing) return;
      failing = true;
    }
    const reason = error === LATE ? 'too slow' : error instanceof Error ? error.message : String(error);
    if (operation === 'subscribe') {
      logger.warn(
        { operation, reason },
        "the shared caller-ID cache (Redis) cannot hear other nodes' invalidations; their entries stay here until their TTL",
      );
    } else {
      logger.warn(
        { operation, reason, retryInMs: SHARED_CACHE_RETRY_MS },
        'the shared caller-ID cache (Redis) failed; lookups ask Zoho without it for now',
      );
    }
  }

  function answered(): void {
    if (!failing) return;
    failing = false;
    logger.info({}, 'the shared caller-ID cache (Redis) answers again');
  }

  function subscribe(): void {
    if (listener && !membership) membership = join(client, channel, listener, failed);
  }

  /** `work`, bounded by `ms`; every failure is reported and turned into undefined. */
  async function bounded<T>(operation: string, ms: number, work: () => Promise<T>): Promise<T | undefined> {
    subscribe();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<typeof LATE>((resolve) => {
      timer = setTimeout(resolve, ms, LATE);
    });
    try {
      const result = await Promise.race([work(), late]);
      if (result === LATE) throw LATE;
      answered();
      return result;
    } catch (error) {
      failed(operation, error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  function background(work: Promise<unknown>): void {
    pending.add(work);
    work.finally(() => pending.delete(work));
  }

  async function settled(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  }

  return {
    async get(e164) {
      if (now() < downUntil) return undefined;
      const key = numberKey(e164);
      const read = await bounded('get', options.timeoutMs, () =>
        Promise.all([client.get(key), client.pttl(key)]),
      );
      if (!read || read[0] === null) return undefined;
      const entry = decodeEntry(read[0]);
      // A key without an expiry was not written by this module: not trusted to be fresh.
      if (entry === undefined || read[1] <= 0) return undefined;
      return { entry, ttlMs: read[1] };
    },

    put(e164, entry, ttlMs, announce = false) {
      if (ttlMs <= 0 || (now() < downUntil && !announce)) return;
      const key = numberKey(e164);
      const value = encodeEntry(entry);
      background(
        bounded('set', SHARED_CACHE_WRITE_BOUND_MS, async () => {
          if (entry === null) {
            await client.set(key, value, 'PX', ttlMs, 'NX');
          } else {
            // The record's set lives as long as its longest-lived number (every hit has the same TTL).
            await Promise.all([
              client.set(key, value, 'PX', ttlMs),
              client.sadd(recordKey(entry.id), e164),
              client.pexpire(recordKey(entry.id), ttlMs),
            ]);
          }
          if (announce) await client.publish(channel, encodeNotice({ from: self, numbers: [e164] }));
        }),
      );
    },

    async forget(numbers, id) {
      const work = bounded('forget', SHARED_CACHE_WRITE_BOUND_MS, async () => {
        const all = new Set(numbers);
        if (id !== undefined) for (const number of await client.smembers(recordKey(id))) all.add(number);
        const keys = [...all].map(numberKey);
        if (id !== undefined) keys.push(recordKey(id));
        if (keys.length > 0) await client.del(...keys);
        // Deleted first: a node that drops its LRU entry on this notice reads the fresh state.
        const notice = { from: self, numbers: [...all], ...(id === undefined ? {} : { id }) };
        await client.publish(channel, encodeNotice(notice));
      });
      background(work);
      await work;
    },

    listen(onForget, onGap) {
      listener = {
        message: (text) => {
          const notice = decodeNotice(text);
          if (notice && notice.from !== self) onForget(notice.numbers, notice.id);
        },
        gap: () => {
          subscriberFailing = false;
          onGap();
        },
      };
    },

    settled,

    async close() {
      await settled();
      const leaving = membership;
      listener = undefined;
      membership = undefined;
      await leaving?.leave();
    },
  };
}
