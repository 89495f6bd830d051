/**
 * `zoho-crm-connector/stores/postgres`: token and journal stores in PostgreSQL, for PBX hosts that run
 * it already. Takes your node-postgres pool (`pg` is an optional peer dependency; this module imports
 * nothing from it). Create the tables with {@link migrate} first.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresJournalStore, createPostgresStore, migrate } from 'zoho-crm-connector/stores/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const tokenStore = createPostgresStore({ pool });
 * const journalStore = createPostgresJournalStore({ pool });
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { TokenStoreError } from '../errors.js';
import { checkTtl, lockWaiter } from './lock-wait.js';
import { quoteId } from './messages.js';
import { keyOptions, nonNegativeMs, parseStoreOptions, withMethods } from './options.js';
import { NOW_MS, type PostgresPool, quoteSchema, UNDEFINED_TABLE } from './postgres-schema.js';
import { decodeTokenValue, encodeTokenValue } from './token-document.js';
import type { TokenStore } from './types.js';

/**
 * Options of {@link createPostgresStore}.
 * @example
 * ```ts
 * import pg from 'pg';
 * const options: PostgresStoreOptions = {
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   schema: 'pbx',
 *   encryptionKey: process.env.ZOHO_TOKEN_KEY, // optional: encrypt tokens at rest
 * };
 * ```
 * @group Postgres stores
 */
export interface PostgresStoreOptions {
  /** Your `pg.Pool` (see {@link PostgresPool}); the store never opens or closes connections. */
  pool: PostgresPool;
  /** The schema {@link migrate} created the tables in. @default 'public' */
  schema?: string;
  /**
   * Encrypts tokens at rest with AES-256-GCM (the file store's format): 32 bytes as a
   * `Uint8Array`/`Buffer` or a base64 string. Without it tokens are stored as plain JSON.
   */
  encryptionKey?: Uint8Array | string;
  /** Keys that values may still be encrypted with, for reading only (rotation). Requires `encryptionKey`. */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
  /**
   * How long `withLock` waits for another holder (on any node) before failing with a
   * {@link TokenStoreError} (operation `lock`). Keep it above the `ttlMs` callers pass (30 s).
   * @default 40000
   */
  lockTimeoutMs?: number;
}

const STORE = 'postgres';
const DEFAULT_LOCK_TIMEOUT_MS = 40_000;
const OptionsSchema = z.strictObject({
  pool: withMethods<PostgresPool>(['query', 'connect'], 'must be a pg Pool'),
  schema: z.optional(z.string()),
  ...keyOptions,
  lockTimeoutMs: z.optional(nonNegativeMs),
});

/**
 * A token store in PostgreSQL (table `zcc_tokens`, created by {@link migrate}).
 *
 * - **Values**: one row per connection: the token document as JSON, or with `encryptionKey` an
 *   AES-256-GCM envelope in base64.
 * - **withLock**: a row in `zcc_token_locks` taken with one `INSERT … ON CONFLICT DO UPDATE … WHERE
 *   expires_at <= now` (the database's clock), so exactly one node holds it; waiters poll with a short
 *   backoff until `lockTimeoutMs`; release deletes the row only if it still holds our random owner
 *   token. A crashed holder blocks others for at most `ttlMs`.
 * - **Errors**: every database failure becomes a retryable {@link TokenStoreError}; no token, key or
 *   stored value is in it. Missing tables say to run `migrate()`.
 * @param options - See {@link PostgresStoreOptions}.
 * @returns A {@link TokenStore} with `withLock`.
 * @throws `ConfigError` when an option is invalid.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { ZohoCrmConnector } from 'zoho-crm-connector';
 * import { createPostgresStore, migrate } from 'zoho-crm-connector/stores/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const zoho = new ZohoCrmConnector({ ...options, tokenStore: createPostgresStore({ pool }) });
 * ```
 * @group Postgres stores
 */
export function createPostgresStore(
  options: PostgresStoreOptions,
): TokenStore & Required<Pick<TokenStore, 'withLock'>> {
  const parsed = parseStoreOptions(
    OptionsSchema,
    options,
    'createPostgresStore options',
    'Postgres store',
    'optional',
  );
  const { pool } = parsed.options;
  const keyring = parsed.keyring;
  const s = quoteSchema(parsed.options.schema, 'createPostgresStore options');
  const lockTimeoutMs = parsed.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;

  const sql = async (operation: string, connectionId: string, text: string, values: unknown[]) => {
    try {
      return await pool.query(text, values);
    } catch (error) {
      const missing = (error as { code?: unknown }).code === UNDEFINED_TABLE;
      throw new TokenStoreError(
        STORE,
        operation,
        missing
          ? `the token tables are missing in schema ${s}: run migrate() first`
          : `PostgreSQL ${operation} failed for connection ${quoteId(connectionId)}`,
        { cause: error, retryable: !missing },
      );
    }
  };

  return {
    async get(connectionId) {
      const { rows } = await sql(
        'get',
        connectionId,
        `SELECT value FROM ${s}.zcc_tokens WHERE connection_id = $1`,
        [connectionId],
      );
      const value = rows[0]?.value;
      return typeof value === 'string' ? decodeTokenValue(STORE, keyring, connectionId, value) : undefined;
    },

    async set(connectionId, tokens) {
      const value = encodeTokenValue(STORE, keyring, connectionId, tokens);
      await sql(
        'set',
        connectionId,
        `INSERT INTO ${s}.zcc_tokens (connection_id, value) VALUES ($1, $2)
         ON CONFLICT (connection_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [connectionId, value],
      );
    },

    async delete(connectionId) {
      await sql('delete', connectionId, `DELETE FROM ${s}.zcc_tokens WHERE connection_id = $1`, [
        connectionId,
      ]);
    },

    async withLock<T>(connectionId: string, ttlMs: number, fn: () => Promise<T>): Promise<T> {
      const ttl = checkTtl(ttlMs);
      const owner = randomBytes(16).toString('hex');
      const waiter = lockWaiter(STORE, connectionId, lockTimeoutMs);
      for (;;) {
        const { rows } = await sql(
          'lock',
          connectionId,
          `INSERT INTO ${s}.zcc_token_locks AS l (connection_id, owner, expires_at) VALUES ($1, $2, ${NOW_MS} + $3)
           ON CONFLICT (connection_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
           WHERE l.expires_at <= ${NOW_MS}
           RETURNING owner`,
          [connectionId, owner, ttl],
        );
        if (rows[0]?.owner === owner) break;
        await waiter.wait();
      }
      try {
        return await fn();
      } finally {
        // Compare-and-delete; if the database is unreachable the lock simply expires after ttlMs.
        await pool
          .query(`DELETE FROM ${s}.zcc_token_locks WHERE connection_id = $1 AND owner = $2`, [
            connectionId,
            owner,
          ])
          .catch(() => undefined);
      }
    },
  };
}

// --- Internal helpers ---

export {
  createPostgresJournalStore,
  type PostgresJournalStoreOptions,
} from './journal-postgres.js';
export {
  type MigrateOptions,
  migrate,
  type PostgresClient,
  type PostgresPool,
  type PostgresResult,
} from './postgres-schema.js';
