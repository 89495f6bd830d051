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
import { createPendingWork } from '../pending-work.js';
import { connectionTag, DEFAULT_PREFIX, escapePrefix } from '../stores/redis-keys.js';
import {
  decodeEntry,
  decodeNotice,
  encodeEntry,
  encodeNotice,
  type ForgetNotice,
} from './shared-cache-codec.js';
import { join, type Listener, type Membership } from './shared-cache-hub.js';
import type { CacheEntry, SharedCacheClient, SharedHit } from './shared-cache-types.js';

/** @internal */
export interface SharedCache {
  /** The entry for a number, or undefined when absent, unreadable, late (past `timeoutMs`) or failing. */
  get(e164: string): Promise<SharedHit | undefined>;
  /**
   * Stores a caller (replacing what is there) or a miss (only where nothing is), in the background.
   * `announce` tells the other nodes to drop the number from their LRU (a record this connector wrote).
   */
  put(e164: string, entry: CacheEntry | null, ttlMs: number, announce?: boolean): void;
  /** Deletes the numbers and those cached for the record ids, then tells the other nodes (one notice). Never rejects. */
  forget(numbers: readonly string[], ids: readonly string[]): Promise<void>;
  /** Deletes every miss, then tells the other nodes. Never rejects. */
  forgetMisses(): Promise<void>;
  /**
   * Hears what other nodes forget (numbers and record ids, or every miss), and `onGap` when notices may
   * have been missed (the subscriber reconnected). The subscription starts on first use.
   */
  listen(
    onForget: (numbers: readonly string[], ids: readonly string[]) => void,
    onForgetMisses: () => void,
    onGap: () => void,
  ): void;
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
  /** The longest a miss is kept, in ms (the lifetime of the set listing the misses). */
  missTtlMs: number;
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
  const missesKey = `${tag}:misses`;
  const channel = `${tag}:forget`;
  const self = globalThis.crypto.randomUUID();
  const pending = createPendingWork();
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

  /**
   * Deletes the numbers and those `index` lists at `indexKeys` (and the indexes), then publishes the
   * notice. Deleted first: a node that drops its own entry on the notice reads the fresh state.
   */
  async function deleteAndTell(
    operation: string,
    numbers: readonly string[],
    indexKeys: readonly string[],
    notice: ForgetNotice,
    index: (key: string) => Promise<string[]> = (key) => client.smembers(key),
  ): Promise<void> {
    const work = bounded(operation, SHARED_CACHE_WRITE_BOUND_MS, async () => {
      const all = new Set(numbers);
      for (const listed of await Promise.all(indexKeys.map(index))) for (const n of listed) all.add(n);
      const keys = [...all].map(numberKey);
      keys.push(...indexKeys);
      if (keys.length > 0) await client.del(...keys);
      if (notice.ids !== undefined) notice.numbers = [...all];
      await client.publish(channel, encodeNotice(notice));
    });
    pending.track(work);
    await work;
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
      pending.track(
        bounded('set', SHARED_CACHE_WRITE_BOUND_MS, async () => {
          if (entry === null) {
            // Scored by expiry and trimmed of the lapsed ones: the index holds the live misses only, not
            // every unknown number seen while misses keep coming (its own TTL never runs out then).
            const at = now();
            await Promise.all([
              client.set(key, value, 'PX', ttlMs, 'NX'),
              client.zadd(missesKey, at + ttlMs, e164),
              client.zremrangebyscore(missesKey, '-inf', at),
              client.pexpire(missesKey, options.missTtlMs),
            ]);
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

    forget(numbers, ids) {
      const notice = { from: self, numbers: [...numbers], ...(ids.length === 0 ? {} : { ids: [...ids] }) };
      return deleteAndTell('forget', numbers, ids.map(recordKey), notice);
    },

    forgetMisses() {
      // A number of the set that holds a caller by now is deleted too: one more Redis read, no harm.
      const notice = { from: self, numbers: [], misses: true as const };
      return deleteAndTell('forgetMisses', [], [missesKey], notice, (key) =>
        client.zrangebyscore(key, now(), '+inf'),
      );
    },

    listen(onForget, onForgetMisses, onGap) {
      listener = {
        message: (text) => {
          const notice = decodeNotice(text);
          if (!notice || notice.from === self) return;
          if (notice.misses) onForgetMisses();
          else onForget(notice.numbers, notice.ids ?? []);
        },
        gap: () => {
          subscriberFailing = false;
          onGap();
        },
      };
    },

    settled: () => pending.settled(),

    async close() {
      await pending.settled();
      const leaving = membership;
      listener = undefined;
      membership = undefined;
      await leaving?.leave();
    },
  };
}
