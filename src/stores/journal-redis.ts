/**
 * The Redis journal store: one call ledger, outbox and dead-letter list shared by every PBX node of a
 * cluster, with atomic claims so that no two nodes write the same call. Takes your ioredis client
 * (ioredis is an optional peer dependency; this module only imports its types).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisJournalStore } from 'zoho-crm-connector/stores/redis';
 * const store = createRedisJournalStore({ client: new Redis(process.env.REDIS_URL!) });
 * ```
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { ConfigError, JournalStoreError } from '../errors.js';
import { DEFAULT_LEDGER_TTL_MS } from '../journal/memory-store.js';
import type { DeadLetter, JournalOp, JournalStore } from '../journal/store.js';
import { type Keyring, optionalKeyring, quoteId } from './crypto.js';

/**
 * Options of {@link createRedisJournalStore}.
 * @example
 * ```ts
 * const options: RedisJournalStoreOptions = {
 *   client: new Redis(process.env.REDIS_URL!),
 *   keyPrefix: 'pbx:zoho',
 *   encryptionKey: process.env.ZOHO_JOURNAL_KEY, // optional
 * };
 * ```
 * @group Journal stores
 */
export interface RedisJournalStoreOptions {
  /** An ioredis client, `Redis` or `Cluster`, that you create, connect and close. */
  client: Redis | Cluster;
  /**
   * Namespace of the keys. A connection's keys all start with `{<keyPrefix>:<id>}:journal:`; the braces
   * are a Redis Cluster hash tag, so its scripts run on one slot. `{`, `}`, `%` (and `:` in ids) are
   * percent-escaped.
   * @default 'zoho-crm-connector'
   */
  keyPrefix?: string;
  /** Encrypts queued operations and dead letters with AES-256-GCM (32 bytes, `Uint8Array` or base64). */
  encryptionKey?: Uint8Array | string;
  /** Keys that values may still be encrypted with, for reading only (rotation). Requires `encryptionKey`. */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
  /**
   * How long a logged call is remembered (the redelivery guard), in ms; Redis expires the entry then.
   * @default 2592000000 (30 days)
   */
  ledgerTtlMs?: number;
}

const STORE = 'journal-redis';
const DEFAULT_PREFIX = 'zoho-crm-connector';
const OPTION_KEYS = new Set([
  'client',
  'keyPrefix',
  'encryptionKey',
  'previousEncryptionKeys',
  'ledgerTtlMs',
]);

/**
 * A {@link JournalStore} in Redis (standalone, Sentinel or Cluster).
 *
 * - **Keys** per connection: `…:ledger:<callId>` (string, expires after `ledgerTtlMs`), `…:ops` (hash of
 *   operations), `…:due` (sorted set by next attempt), `…:lease` (sorted set of claims), `…:call:<callId>`
 *   (set of a call's operations) and `…:dead` (hash of dead letters).
 * - **Claims** are Lua scripts: an operation claimed by one node is invisible to the others until it is
 *   released, removed or its lease expires (a crashed node's work is picked up after the lease).
 * - **Errors**: every Redis failure becomes a `JournalStoreError` naming the operation.
 * @param options - See {@link RedisJournalStoreOptions}.
 * @returns A {@link JournalStore}.
 * @throws `ConfigError` when an option is invalid.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { ZohoCrmConnector } from 'zoho-crm-connector';
 * import { createRedisJournalStore, createRedisStore } from 'zoho-crm-connector/stores/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const zoho = new ZohoCrmConnector({
 *   ...options,
 *   tokenStore: createRedisStore({ client: redis }),
 *   journal: { store: createRedisJournalStore({ client: redis }) },
 * });
 * ```
 * @group Journal stores
 */
export function createRedisJournalStore(options: RedisJournalStoreOptions): JournalStore {
  const { redis, prefix, keyring, ledgerTtlMs } = parseOptions(options);
  const keys = (connectionId: string) => {
    const base = `{${prefix}:${escapeId(connectionId)}}:journal:`;
    return {
      ledger: (callId: string) => `${base}ledger:${callId}`,
      ops: `${base}ops`,
      due: `${base}due`,
      lease: `${base}lease`,
      call: (callId: string) => `${base}call:${callId}`,
      dead: `${base}dead`,
    };
  };
  const encode = (connectionId: string, value: unknown): string => {
    const json = JSON.stringify(value);
    return keyring ? keyring.seal(connectionId, json).toString('base64') : json;
  };
  const decode = <T>(connectionId: string, value: string): T => {
    try {
      return JSON.parse(keyring ? keyring.open(connectionId, Buffer.from(value, 'base64')) : value) as T;
    } catch (error) {
      throw new JournalStoreError(
        STORE,
        'read',
        `a journal value of connection ${quoteId(connectionId)} cannot be read (${
          keyring ? 'wrong key, or corrupt' : 'corrupt, or encrypted: configure encryptionKey'
        })`,
        { cause: error },
      );
    }
  };
  const run = async <T>(connectionId: string, operation: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof JournalStoreError) throw error;
      throw new JournalStoreError(
        STORE,
        operation,
        `Redis failed (${operation}) for connection ${quoteId(connectionId)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  };
  const ops = (connectionId: string, values: unknown): JournalOp[] =>
    (Array.isArray(values) ? values : [])
      .filter((value): value is string => typeof value === 'string')
      .map((value) => decode<JournalOp>(connectionId, value));

  return {
    getLogged(connectionId, callId) {
      return run(connectionId, 'getLogged', async () => {
        const value = await redis.get(keys(connectionId).ledger(callId));
        return value ?? undefined;
      });
    },
    setLogged(connectionId, callId, zohoCallId) {
      return run(connectionId, 'setLogged', async () => {
        await redis.set(keys(connectionId).ledger(callId), zohoCallId, 'PX', ledgerTtlMs);
      });
    },
    add(connectionId, op) {
      return run(connectionId, 'add', async () => {
        const k = keys(connectionId);
        const added = await redis.eval(
          ADD,
          3,
          k.ops,
          k.due,
          k.call(op.callId),
          op.id,
          encode(connectionId, op),
          String(op.nextAttemptAt),
        );
        return added === 1;
      });
    },
    claimDue(connectionId, claim) {
      return run(connectionId, 'claimDue', async () => {
        const k = keys(connectionId);
        const values = await redis.eval(
          CLAIM_DUE,
          3,
          k.ops,
          k.due,
          k.lease,
          String(claim.now),
          score(claim.dueBefore ?? claim.now),
          String(Math.max(0, Math.floor(claim.limit))),
          String(claim.now + claim.leaseMs),
        );
        return ops(connectionId, values);
      });
    },
    claimCalls(connectionId, callIds, claim) {
      return run(connectionId, 'claimCalls', async () => {
        const k = keys(connectionId);
        const unique = [...new Set(callIds)];
        const claimed: JournalOp[] = [];
        for (let i = 0; i < unique.length; i += 500) {
          const slice = unique.slice(i, i + 500);
          const values = await redis.eval(
            CLAIM_CALLS,
            3 + slice.length,
            k.ops,
            k.due,
            k.lease,
            ...slice.map((callId) => k.call(callId)),
            String(claim.now),
            score(claim.dueBefore ?? Number.POSITIVE_INFINITY),
            String(claim.now + claim.leaseMs),
          );
          claimed.push(...ops(connectionId, values));
        }
        return claimed.sort((a, b) => a.createdAt - b.createdAt);
      });
    },
    release(connectionId, op) {
      return run(connectionId, 'release', async () => {
        const k = keys(connectionId);
        await redis.eval(
          RELEASE,
          3,
          k.ops,
          k.due,
          k.lease,
          op.id,
          encode(connectionId, op),
          String(op.nextAttemptAt),
        );
      });
    },
    remove(connectionId, op) {
      return run(connectionId, 'remove', async () => {
        const k = keys(connectionId);
        await redis.eval(REMOVE, 4, k.ops, k.due, k.lease, k.call(op.callId), op.id);
      });
    },
    bury(connectionId, letter) {
      return run(connectionId, 'bury', async () => {
        const k = keys(connectionId);
        await redis.eval(
          BURY,
          5,
          k.ops,
          k.due,
          k.lease,
          k.call(letter.op.callId),
          k.dead,
          letter.op.id,
          encode(connectionId, letter),
        );
      });
    },
    deadLetters(connectionId) {
      return run(connectionId, 'deadLetters', async () => {
        const values = await redis.hvals(keys(connectionId).dead);
        return values
          .map((value) => decode<DeadLetter>(connectionId, value))
          .sort((a, b) => a.failedAt - b.failedAt);
      });
    },
    unbury(connectionId, opId) {
      return run(connectionId, 'unbury', async () => {
        const value = await redis.eval(UNBURY, 1, keys(connectionId).dead, opId);
        return typeof value === 'string' ? decode<DeadLetter>(connectionId, value) : undefined;
      });
    },
    pending(connectionId) {
      return run(connectionId, 'pending', async () => {
        const k = keys(connectionId);
        const count = await redis.zcard(k.due);
        if (count === 0) return { count: 0 };
        const first = await redis.zrange(k.due, 0, 0, 'WITHSCORES');
        return { count, nextAttemptAt: Number(first[1]) };
      });
    },
  };
}

// --- Internal helpers ---

/** The commands the store uses, typed once for both `Redis` and `Cluster`. */
interface Commands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
  hvals(key: string): Promise<string[]>;
  zcard(key: string): Promise<number>;
  zrange(key: string, start: number, stop: number, withScores: 'WITHSCORES'): Promise<string[]>;
}

/** KEYS: ops, due, call set. ARGV: id, value, due. Adds unless the id exists. */
const ADD = `
if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
redis.call('sadd', KEYS[3], ARGV[1])
return 1`;

/**
 * KEYS: ops, due, lease. ARGV: now, dueBefore, limit, leaseUntil. Collects due, unleased operations in
 * due order, then leases them: the due score moves to the lease's end, so ordinary claims skip them.
 */
const CLAIM_DUE = `
local limit = tonumber(ARGV[3])
local now = tonumber(ARGV[1])
local chosen = {}
local offset = 0
local page = limit * 2 + 16
while #chosen < limit do
  local ids = redis.call('zrangebyscore', KEYS[2], '-inf', ARGV[2], 'LIMIT', offset, page)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local leased = redis.call('zscore', KEYS[3], id)
    if (not leased) or tonumber(leased) <= now then
      chosen[#chosen + 1] = id
      if #chosen >= limit then break end
    end
  end
  offset = offset + page
end
local out = {}
for _, id in ipairs(chosen) do
  redis.call('zadd', KEYS[2], ARGV[4], id)
  redis.call('zadd', KEYS[3], ARGV[4], id)
  out[#out + 1] = redis.call('hget', KEYS[1], id)
end
return out`;

/** KEYS: ops, due, lease, call sets…. ARGV: now, dueBefore, leaseUntil. */
const CLAIM_CALLS = `
local now = tonumber(ARGV[1])
local before = ARGV[2]
local out = {}
for i = 4, #KEYS do
  for _, id in ipairs(redis.call('smembers', KEYS[i])) do
    local due = redis.call('zscore', KEYS[2], id)
    local leased = redis.call('zscore', KEYS[3], id)
    if due and ((not leased) or tonumber(leased) <= now) and (before == '+inf' or tonumber(due) <= tonumber(before)) then
      redis.call('zadd', KEYS[2], ARGV[3], id)
      redis.call('zadd', KEYS[3], ARGV[3], id)
      out[#out + 1] = redis.call('hget', KEYS[1], id)
    end
  end
end
return out`;

/** KEYS: ops, due, lease. ARGV: id, value, due. Ignored when the operation is gone. */
const RELEASE = `
if redis.call('hexists', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
return 1`;

/** KEYS: ops, due, lease, call set. ARGV: id. */
const REMOVE = `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
redis.call('srem', KEYS[4], ARGV[1])
return 1`;

/** KEYS: ops, due, lease, call set, dead. ARGV: id, letter. */
const BURY = `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
redis.call('srem', KEYS[4], ARGV[1])
redis.call('hset', KEYS[5], ARGV[1], ARGV[2])
return 1`;

/** KEYS: dead. ARGV: id. Returns and deletes the letter. */
const UNBURY = `
local value = redis.call('hget', KEYS[1], ARGV[1])
if value then redis.call('hdel', KEYS[1], ARGV[1]) end
return value`;

function score(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+inf' : String(value);
}

function parseOptions(options: RedisJournalStoreOptions): {
  redis: Commands;
  prefix: string;
  keyring: Keyring | undefined;
  ledgerTtlMs: number;
} {
  const context = 'createRedisJournalStore options';
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: '', message: 'must be an object with a client' }], context);
  }
  const issues: { path: string; message: string }[] = [];
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) issues.push({ path: key, message: 'is not a Redis journal store option' });
  }
  const client = options.client as unknown as Partial<Record<keyof Commands, unknown>> | undefined;
  const commands: (keyof Commands)[] = ['get', 'set', 'eval', 'hvals', 'zcard', 'zrange'];
  if (
    typeof client !== 'object' ||
    client === null ||
    commands.some((name) => typeof client[name] !== 'function')
  ) {
    issues.push({ path: 'client', message: 'must be an ioredis Redis or Cluster instance' });
  }
  const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') {
    issues.push({ path: 'keyPrefix', message: 'must be a non-empty string' });
  }
  const ttl = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0) {
    issues.push({ path: 'ledgerTtlMs', message: 'must be a positive integer' });
  }
  const keyring = optionalKeyring(options, context, issues);
  if (issues.length > 0) throw new ConfigError(issues, context);
  return {
    redis: options.client as unknown as Commands,
    prefix: prefix.replace(/[%{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`),
    keyring,
    ledgerTtlMs: ttl,
  };
}

/** Also escapes `:`, so that the last `:` in a tag always separates prefix and id (no collisions). */
function escapeId(connectionId: string): string {
  return connectionId.replace(/[%{}:]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
