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
import * as z from 'zod/mini';
import { JournalStoreError } from '../errors.js';
import { DEFAULT_LEDGER_TTL_MS } from '../journal/memory-store.js';
import { letterProblem, opProblem, previewOf } from '../journal/record-shape.js';
import type {
  DeadLetter,
  JournalOp,
  JournalQuarantineEvent,
  JournalStore,
  QuarantinedRecord,
} from '../journal/store.js';
import type { Logger } from '../logger.js';
import type { Keyring } from './crypto.js';
import { decodeJournalValue, quarantineListeners, unreadableValue } from './journal-codec.js';
import {
  ADD,
  BURY,
  CLAIM_CALLS,
  CLAIM_DUE,
  QUARANTINE,
  RELEASE,
  REMOVE,
  UNBURY,
} from './journal-redis-scripts.js';
import { quoteId } from './messages.js';
import {
  callback,
  keyOptions,
  keyPrefix,
  loggerOption,
  parseStoreOptions,
  positiveInteger,
} from './options.js';
import {
  checkPersistence,
  connectionTag,
  DEFAULT_PREFIX,
  escapePrefix,
  redisClient,
  warnIfQueuesForever,
} from './redis-client.js';

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
  /**
   * Where the store warns, once at creation, about settings that lose queued calls or hang them: a
   * Redis without AOF persistence (`CONFIG GET appendonly`; when `CONFIG` is refused it says it could
   * not check) and a client that queues commands forever while Redis is down.
   */
  logger?: Logger;
  /** Called for every stored value the store quarantines (see "Bad values" on {@link createRedisJournalStore}). */
  onQuarantine?: (event: JournalQuarantineEvent) => void;
}

const STORE = 'journal-redis';
/** Quarantined values `quarantined()` returns at most (the newest). */
const REPORT_LIMIT = 100;
const COMMANDS = ['get', 'set', 'eval', 'hgetall', 'zcard', 'zrange', 'llen', 'lrange'] as const;

const OptionsSchema = z.strictObject({
  client: redisClient<Redis | Cluster>(COMMANDS),
  keyPrefix: z.optional(keyPrefix),
  ...keyOptions,
  ledgerTtlMs: z.optional(positiveInteger),
  logger: z.optional(loggerOption),
  onQuarantine: z.optional(callback<(event: JournalQuarantineEvent) => void>()),
});

/**
 * A {@link JournalStore} in Redis (standalone, Sentinel or Cluster).
 *
 * - **Keys** per connection: `…:ledger:<callId>` (string, expires after `ledgerTtlMs`), `…:ops` (hash of
 *   operations), `…:due` (sorted set by next attempt), `…:lease` (sorted set of claims), `…:call:<callId>`
 *   (set of a call's operations) and `…:dead` (hash of dead letters).
 * - **Claims** are Lua scripts: an operation claimed by one node is invisible to the others until it is
 *   released, removed or its lease expires (a crashed node's work is picked up after the lease).
 * - **Errors**: every Redis failure becomes a `JournalStoreError` naming the operation.
 * - **Bad values**: an operation or dead letter that cannot be read (corrupt, tampered, the wrong
 *   shape) never blocks the queue: it is moved to `…:quarantine` (a list of `{ at, reason, preview, id,
 *   value }`), reported through `onQuarantine`, the connector's `journalQuarantine` event and
 *   `quarantined()`, and the claim returns the others. A value encrypted under a key that is not
 *   configured still fails the call (a configuration error, not corruption).
 * - **Durability**: Redis must persist with AOF (`appendonly yes`, `appendfsync everysec` or `always`);
 *   a Redis restarted without persistence comes back empty and the queue is lost. With `logger`, the
 *   store checks at creation and warns when it is off.
 * - **A dead Redis**: create the client with `maxRetriesPerRequest` set to a small number (or
 *   `enableOfflineQueue: false`) so that calls fail fast and the journal queues them in memory instead
 *   of hanging; with `maxRetriesPerRequest: null` the store warns at creation.
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
  const { redis, prefix, keyring, ledgerTtlMs, logger } = parseOptions(options);
  const listeners = quarantineListeners(options.onQuarantine);
  warnIfQueuesForever(options.client, logger, STORE);
  if (logger) void checkPersistence(options.client as never, logger, STORE);

  const keys = (connectionId: string) => {
    const base = `${connectionTag(prefix, connectionId)}:journal:`;
    return {
      ledger: (callId: string) => `${base}ledger:${callId}`,
      ops: `${base}ops`,
      due: `${base}due`,
      lease: `${base}lease`,
      call: (callId: string) => `${base}call:${callId}`,
      dead: `${base}dead`,
      quarantine: `${base}quarantine`,
    };
  };
  const encode = (connectionId: string, value: unknown): string => {
    const json = JSON.stringify(value);
    return keyring ? keyring.seal(connectionId, json).toString('base64') : json;
  };
  /** The value, or why it cannot be used; a key or configuration problem throws. */
  const decode = (connectionId: string, raw: string, check: (v: unknown) => string | undefined) => {
    const decoded = decodeJournalValue(raw, connectionId, keyring, check);
    if ('fatal' in decoded && decoded.fatal) {
      throw unreadableValue(STORE, connectionId, decoded.problem, keyring !== undefined, decoded.cause);
    }
    return decoded;
  };
  /** Moves a bad value out of the outbox (or the dead letters) into the quarantine list. */
  const quarantine = async (connectionId: string, id: string, value: string, reason: string) => {
    const k = keys(connectionId);
    const record: QuarantinedRecord = { at: Date.now(), reason, preview: previewOf(value) };
    await redis.eval(
      QUARANTINE,
      5,
      k.ops,
      k.due,
      k.lease,
      k.dead,
      k.quarantine,
      id,
      JSON.stringify({ ...record, id, value }),
    );
    const event = { ...record, connectionId, store: STORE, location: k.quarantine };
    listeners.emit(event);
  };
  /** Decodes `[id, value, id, value…]`, quarantining what cannot be read. */
  const readPairs = async <T>(
    connectionId: string,
    flat: unknown,
    check: (v: unknown) => string | undefined,
  ) => {
    const list = Array.isArray(flat) ? flat : [];
    const out: T[] = [];
    for (let i = 0; i + 1 < list.length; i += 2) {
      const id = String(list[i]);
      const raw = String(list[i + 1]);
      const decoded = decode(connectionId, raw, check);
      if ('value' in decoded) out.push(decoded.value as T);
      else await quarantine(connectionId, id, raw, decoded.problem);
    }
    return out;
  };
  const readOps = (connectionId: string, flat: unknown) =>
    readPairs<JournalOp>(connectionId, flat, (v) => opProblem(v));
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
        checkShape(opProblem(op), 'add');
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
        return readOps(connectionId, values);
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
          claimed.push(...(await readOps(connectionId, values)));
        }
        return claimed.sort((a, b) => a.createdAt - b.createdAt);
      });
    },
    release(connectionId, op) {
      return run(connectionId, 'release', async () => {
        checkShape(opProblem(op), 'release');
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
        checkShape(letterProblem(letter), 'bury');
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
        const all = await redis.hgetall(keys(connectionId).dead);
        const letters = await readPairs<DeadLetter>(connectionId, Object.entries(all).flat(), (v) =>
          letterProblem(v),
        );
        return letters.sort((a, b) => a.failedAt - b.failedAt);
      });
    },
    unbury(connectionId, opId) {
      return run(connectionId, 'unbury', async () => {
        const value = await redis.eval(UNBURY, 1, keys(connectionId).dead, opId);
        if (typeof value !== 'string') return undefined;
        const [letter] = await readPairs<DeadLetter>(connectionId, [opId, value], (v) => letterProblem(v));
        return letter;
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
    quarantined(connectionId) {
      return run(connectionId, 'quarantined', async () => {
        const k = keys(connectionId);
        const count = await redis.llen(k.quarantine);
        const rows = await redis.lrange(k.quarantine, -REPORT_LIMIT, -1);
        const entries = rows.map((row): QuarantinedRecord => {
          try {
            const { at, reason, preview } = JSON.parse(row) as QuarantinedRecord;
            return { at, reason, preview };
          } catch {
            return { at: 0, reason: 'an unreadable quarantine entry', preview: previewOf(row) };
          }
        });
        return { count, entries };
      });
    },
    onQuarantine: (listener) => listeners.subscribe(listener),
  };
}

// --- Internal helpers ---

/** The commands the store uses, typed once for both `Redis` and `Cluster`. */
interface Commands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  zcard(key: string): Promise<number>;
  zrange(key: string, start: number, stop: number, withScores: 'WITHSCORES'): Promise<string[]>;
  llen(key: string): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
}

function checkShape(problem: string | undefined, operation: string): void {
  if (problem) throw new JournalStoreError(STORE, operation, `not a journal record: ${problem}`);
}

function score(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+inf' : String(value);
}

function parseOptions(input: RedisJournalStoreOptions): {
  redis: Commands;
  prefix: string;
  keyring: Keyring | undefined;
  ledgerTtlMs: number;
  logger: Logger | undefined;
} {
  const { options, keyring } = parseStoreOptions(
    OptionsSchema,
    input,
    'createRedisJournalStore options',
    'Redis journal store',
    'optional',
  );
  return {
    redis: options.client as unknown as Commands,
    prefix: escapePrefix(options.keyPrefix ?? DEFAULT_PREFIX),
    keyring,
    ledgerTtlMs: options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS,
    logger: options.logger,
  };
}
