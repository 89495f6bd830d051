/**
 * The PostgreSQL stores' tables and their migrations: a versioned list of DDL steps applied in one
 * transaction under an advisory lock, so that several nodes starting at once migrate exactly once.
 *
 * @module
 */
import { ConfigError } from '../errors.js';

/**
 * The part of a node-postgres (`pg`) `Pool` the stores use. Pass your `pg.Pool`; the stores never open
 * or close connections of their own.
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PostgresPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 * @group Postgres stores
 */
export interface PostgresPool {
  /** Runs one statement on any pooled connection. */
  query(text: string, values?: unknown[]): Promise<PostgresResult>;
  /** Checks out a connection (migrations run in one transaction on it). */
  connect(): Promise<PostgresClient>;
}

/**
 * A pooled connection, as `pg.Pool#connect()` returns it.
 * @example
 * ```ts
 * const client: PostgresClient = await pool.connect();
 * try { await client.query('SELECT 1'); } finally { client.release(); }
 * ```
 * @group Postgres stores
 */
export interface PostgresClient {
  /** Runs one statement on this connection. */
  query(text: string, values?: unknown[]): Promise<PostgresResult>;
  /** Returns the connection to the pool. */
  release(error?: Error | boolean): void;
}

/**
 * What a statement returns (the fields the stores read).
 * @example
 * ```ts
 * const { rows, rowCount } = await pool.query('SELECT 1 AS one');
 * ```
 * @group Postgres stores
 */
export interface PostgresResult {
  /** The rows, as objects by column name. */
  rows: Record<string, unknown>[];
  /** Rows affected. */
  rowCount: number | null;
}

/**
 * Options of {@link migrate}.
 * @example
 * ```ts
 * const options: MigrateOptions = { schema: 'pbx' };
 * ```
 * @group Postgres stores
 */
export interface MigrateOptions {
  /**
   * The schema that holds the tables (created if missing). Lower-case letters, digits and `_`.
   * @default 'public'
   */
  schema?: string;
}

/**
 * Creates or upgrades the tables of the Postgres token and journal stores. Idempotent: applied
 * versions are recorded in `zcc_schema_migrations` and skipped; concurrent callers wait for each other
 * (an advisory lock), so every node may call it at start. Nothing is ever dropped.
 * @param pool - Your `pg.Pool` (the role needs CREATE on the schema).
 * @param options - See {@link MigrateOptions}.
 * @returns The versions applied by this call (empty when the schema was current).
 * @throws `ConfigError` for a bad schema name; the database's error when a statement fails (the
 *   transaction is rolled back).
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from 'zoho-crm-connector/stores/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool, { schema: 'pbx' });
 * ```
 * @group Postgres stores
 */
export async function migrate(pool: PostgresPool, options: MigrateOptions = {}): Promise<number[]> {
  const schema = quoteSchema(options.schema, 'migrate options');
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`zoho-crm-connector:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.zcc_schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query(`SELECT version FROM ${schema}.zcc_schema_migrations`);
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const step of MIGRATIONS) {
      if (done.has(step.version)) continue;
      for (const statement of step.statements(schema)) await client.query(statement);
      await client.query(`INSERT INTO ${schema}.zcc_schema_migrations (version, name) VALUES ($1, $2)`, [
        step.version,
        step.name,
      ]);
      applied.push(step.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    failed = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(failed);
  }
}

/**
 * A schema name, validated and double-quoted for SQL.
 * @throws `ConfigError` naming `schema`.
 * @internal
 */
export function quoteSchema(schema: unknown, context: string): string {
  const name = schema ?? 'public';
  if (typeof name !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new ConfigError(
      [{ path: 'schema', message: 'must be a lower-case SQL identifier (letters, digits, _; at most 63)' }],
      context,
    );
  }
  return `"${name}"`;
}

/** Postgres' `undefined_table`: the store's tables are missing. @internal */
export const UNDEFINED_TABLE = '42P01';

/** The database's clock in epoch ms, as SQL (leases and locks are judged by one clock). @internal */
export const NOW_MS = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

// --- Internal helpers ---

interface Migration {
  version: number;
  name: string;
  statements(schema: string): string[];
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'token and journal stores',
    statements: (s) => [
      `CREATE TABLE ${s}.zcc_tokens (
        connection_id text PRIMARY KEY, value text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE ${s}.zcc_token_locks (
        connection_id text PRIMARY KEY, owner text NOT NULL, expires_at bigint NOT NULL)`,
      `CREATE TABLE ${s}.zcc_journal_ledger (
        connection_id text NOT NULL, call_id text NOT NULL, zoho_call_id text NOT NULL, logged_at bigint NOT NULL,
        PRIMARY KEY (connection_id, call_id))`,
      `CREATE INDEX zcc_journal_ledger_age ON ${s}.zcc_journal_ledger (logged_at)`,
      `CREATE TABLE ${s}.zcc_journal_ops (
        connection_id text NOT NULL, op_id text NOT NULL, call_id text NOT NULL,
        next_attempt_at bigint NOT NULL, created_at bigint NOT NULL, lease_until bigint NOT NULL DEFAULT 0,
        op jsonb NOT NULL, PRIMARY KEY (connection_id, op_id))`,
      `CREATE INDEX zcc_journal_ops_due ON ${s}.zcc_journal_ops (connection_id, next_attempt_at, created_at)`,
      `CREATE INDEX zcc_journal_ops_call ON ${s}.zcc_journal_ops (connection_id, call_id)`,
      `CREATE TABLE ${s}.zcc_journal_dead (
        connection_id text NOT NULL, op_id text NOT NULL, failed_at bigint NOT NULL, letter jsonb NOT NULL,
        PRIMARY KEY (connection_id, op_id))`,
      `CREATE TABLE ${s}.zcc_journal_quarantine (
        id bigserial PRIMARY KEY, connection_id text NOT NULL, at bigint NOT NULL, reason text NOT NULL,
        preview text NOT NULL, source text NOT NULL, value text NOT NULL)`,
      `CREATE INDEX zcc_journal_quarantine_connection ON ${s}.zcc_journal_quarantine (connection_id, id)`,
    ],
  },
];
