/**
 * The Redis token store: tokens shared by every PBX node of a cluster, with a Redis lock so that the
 * nodes refresh one at a time. Takes your ioredis client (ioredis is an optional peer dependency; this
 * module only imports its types).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisStore } from 'zoho-crm-connector/stores/redis';
 * const tokenStore = createRedisStore({ client: new Redis(process.env.REDIS_URL!) });
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import * as z from 'zod/mini';
import { TokenStoreError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Keyring } from './crypto.js';
import { checkTtl, lockWaiter } from './lock-wait.js';
import { quoteId } from './messages.js';
import { keyOptions, keyPrefix, loggerOption, nonNegativeMs, parseStoreOptions } from './options.js';
import {
  connectionTag,
  DEFAULT_PREFIX,
  escapePrefix,
  redisClient,
  warnIfQueuesForever,
} from './redis-client.js';
import { decodeTokenValue, encodeTokenValue } from './token-document.js';
import type { TokenStore } from './types.js';

/**
 * Options of {@link createRedisStore}.
 * @example
 * ```ts
 * const options: RedisStoreOptions = {
 *   client: new Redis(process.env.REDIS_URL!),
 *   keyPrefix: 'pbx:zoho',
 *   encryptionKey: process.env.ZOHO_TOKEN_KEY, // optional: encrypt tokens at rest
 *   lockTimeoutMs: 40_000,
 * };
 * ```
 * @group Token stores
 */
export interface RedisStoreOptions {
  /**
   * An ioredis client, `Redis` or `Cluster`, that you create, connect and close. The store never
   * creates a connection of its own. A `keyPrefix` configured on the client itself is applied as well.
   */
  client: Redis | Cluster;
  /**
   * Namespace of the keys. A connection's tokens live at `{<keyPrefix>:<id>}:tokens` and its lock at
   * `{<keyPrefix>:<id>}:lock`; the braces are a Redis Cluster hash tag, so both keys of one connection
   * are always in the same slot. `{`, `}`, `%` (and `:` in ids) are percent-escaped.
   * @default 'zoho-crm-connector'
   */
  keyPrefix?: string;
  /**
   * Encrypts tokens at rest with AES-256-GCM (the same format as the file store): 32 bytes as a
   * `Uint8Array`/`Buffer` or a base64 string. Without it values are stored as plain JSON, so protect
   * the Redis server (AUTH/ACL, TLS, no public port). A store with a key refuses to read unencrypted
   * values and a store without one refuses encrypted values: both raise a {@link TokenStoreError}.
   */
  encryptionKey?: Uint8Array | string;
  /**
   * Keys that values may still be encrypted with, accepted for reading only (key rotation). Requires
   * `encryptionKey`.
   * @default []
   */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
  /**
   * How long `withLock` waits for another holder (on any node) before failing with a
   * {@link TokenStoreError} (operation `lock`). Keep it above the `ttlMs` callers pass (the connector's
   * token manager uses 30 s), so that a crashed holder's lock expires before waiters give up.
   * @default 40000
   */
  lockTimeoutMs?: number;
  /**
   * Where the store warns, once at creation, when the client would queue commands forever while Redis
   * is down (`maxRetriesPerRequest: null` with the offline queue on): every token read would hang.
   */
  logger?: Logger;
}

const STORE = 'redis';
const COMMANDS = ['get', 'set', 'del', 'pttl', 'eval'] as const;
const OptionsSchema = z.strictObject({
  client: redisClient<Redis | Cluster>(COMMANDS),
  keyPrefix: z.optional(keyPrefix),
  ...keyOptions,
  lockTimeoutMs: z.optional(nonNegativeMs),
  logger: z.optional(loggerOption),
});
const DEFAULT_LOCK_TIMEOUT_MS = 40_000;

/** Deletes the lock only if it still holds our token (compare-and-delete). */
const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** The commands the store uses, typed once for both `Redis` and `Cluster`. */
interface Commands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  del(key: string): Promise<number>;
  pttl(key: string): Promise<number>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/**
 * A token store in Redis (standalone, Sentinel or Cluster), for PBX deployments with several nodes.
 *
 * - **Values**: one string per connection: JSON, or with `encryptionKey` an AES-256-GCM envelope in
 *   base64. No expiry is set: the refresh token lives until revoked.
 * - **withLock**: `SET <lock> <random token> NX PX <ttlMs>`; waiters poll with a short backoff (bounded
 *   by the lock's remaining TTL) until `lockTimeoutMs`; release is compare-and-delete in Lua, so a
 *   holder whose lock expired never removes someone else's. A crashed holder blocks others for at most
 *   `ttlMs`. `ttlMs` bounds the work: the lock is not extended while `fn` runs, so pass a `ttlMs`
 *   comfortably above how long `fn` takes (a token refresh takes about a second).
 * - **Cluster**: both keys of a connection share a hash tag, so the Lua script runs on one slot.
 * - **Errors**: every Redis failure becomes a {@link TokenStoreError} with the operation; the message and
 *   cause carry no token, key or stored value.
 * - **A dead Redis**: create the client with `maxRetriesPerRequest` set to a small number (or
 *   `enableOfflineQueue: false`), so that a call fails fast with a retryable error instead of waiting in
 *   ioredis' offline queue; with `maxRetriesPerRequest: null` the store warns through `logger`.
 *
 * @param options - See {@link RedisStoreOptions}.
 * @returns A {@link TokenStore} with `withLock`.
 * @throws `ConfigError` when an option is invalid.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { ZohoCrmConnector } from 'zoho-crm-connector';
 * import { createRedisStore } from 'zoho-crm-connector/stores/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const zoho = new ZohoCrmConnector({
 *   ...options,
 *   tokenStore: createRedisStore({ client: redis, keyPrefix: 'pbx:zoho', encryptionKey: process.env.ZOHO_TOKEN_KEY }),
 * });
 * ```
 * @group Token stores
 */
export function createRedisStore(
  options: RedisStoreOptions,
): TokenStore & Required<Pick<TokenStore, 'withLock'>> {
  const { redis, prefix, keyring, lockTimeoutMs } = parseOptions(options);
  warnIfQueuesForever(options.client, options.logger, STORE);
  const keys = (connectionId: string) => {
    const tag = connectionTag(prefix, connectionId);
    return { tokens: `${tag}:tokens`, lock: `${tag}:lock` };
  };

  const call = async <T>(operation: string, connectionId: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new TokenStoreError(
        STORE,
        operation,
        `Redis ${operation} failed for connection ${quoteId(connectionId)}`,
        { cause: error, retryable: true },
      );
    }
  };

  return {
    async get(connectionId) {
      const value = await call('get', connectionId, () => redis.get(keys(connectionId).tokens));
      if (value === null) return undefined;
      return decodeTokenValue(STORE, keyring, connectionId, value);
    },

    async set(connectionId, tokens) {
      const value = encodeTokenValue(STORE, keyring, connectionId, tokens);
      await call('set', connectionId, () => redis.set(keys(connectionId).tokens, value));
    },

    async delete(connectionId) {
      await call('delete', connectionId, () => redis.del(keys(connectionId).tokens));
    },

    async withLock<T>(connectionId: string, ttlMs: number, fn: () => Promise<T>): Promise<T> {
      const ttl = checkTtl(ttlMs);
      const lockKey = keys(connectionId).lock;
      const token = randomBytes(16).toString('hex');
      const waiter = lockWaiter(STORE, connectionId, lockTimeoutMs);
      for (;;) {
        const taken = await call('lock', connectionId, () => redis.set(lockKey, token, 'PX', ttl, 'NX'));
        if (taken === 'OK') break;
        const remaining = await call('lock', connectionId, () => redis.pttl(lockKey));
        if (remaining === -2) continue; // released in between: try again at once
        // Never sleep much past the holder's expiry: a crashed holder frees the lock at its TTL.
        await waiter.wait(remaining > 0 ? remaining + 2 : undefined);
      }
      try {
        return await fn();
      } finally {
        // Compare-and-delete; if Redis is unreachable the lock simply expires after ttlMs.
        await redis.eval(RELEASE_SCRIPT, 1, lockKey, token).catch(() => undefined);
      }
    },
  };
}

// --- Internal helpers ---

function parseOptions(input: RedisStoreOptions): {
  redis: Commands;
  prefix: string;
  keyring: Keyring | undefined;
  lockTimeoutMs: number;
} {
  const { options, keyring } = parseStoreOptions(
    OptionsSchema,
    input,
    'createRedisStore options',
    'Redis store',
    'optional',
  );
  return {
    redis: options.client as unknown as Commands,
    prefix: escapePrefix(options.keyPrefix ?? DEFAULT_PREFIX),
    keyring,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  };
}

// The journal store of the same kind ships in this entry too.
export { createRedisJournalStore, type RedisJournalStoreOptions } from './journal-redis.js';
export { createRedisSettingsStore, type RedisSettingsStoreOptions } from './settings-redis.js';
