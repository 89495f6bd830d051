/**
 * The PostgreSQL journal store: the call ledger, the outbox and the dead letters of every connection
 * in tables, with `SELECT … FOR UPDATE SKIP LOCKED` claims so that several PBX nodes share one outbox
 * without writing a call twice. Takes your node-postgres pool (`pg` is an optional peer dependency).
 *
 * @module
 */
import * as z from 'zod/mini';
import { JournalStoreError } from '../errors.js';
import { DEFAULT_LEDGER_TTL_MS } from '../journal/memory-store.js';
import { letterProblem, opProblem, previewOf } from '../journal/record-shape.js';
import type {
  ClaimCallsOptions,
  ClaimDueOptions,
  DeadLetter,
  JournalOp,
  JournalQuarantineEvent,
  JournalStore,
  QuarantinedRecord,
} from '../journal/store.js';
import type { Keyring } from './crypto.js';
import { decodeJournalValue, quarantineListeners, unreadableValue } from './journal-codec.js';
import { quoteId } from './messages.js';
import { callback, keyOptions, parseStoreOptions, positiveInteger, withMethods } from './options.js';
import { type PostgresPool, quoteSchema, UNDEFINED_TABLE } from './postgres-schema.js';

/**
 * Options of {@link createPostgresJournalStore}.
 * @example
 * ```ts
 * import pg from 'pg';
 * const options: PostgresJournalStoreOptions = {
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   schema: 'pbx',
 *   encryptionKey: process.env.ZOHO_JOURNAL_KEY, // optional
 * };
 * ```
 * @group Postgres stores
 */
export interface PostgresJournalStoreOptions {
  /** Your `pg.Pool` (see {@link PostgresPool}); the store never opens or closes connections. */
  pool: PostgresPool;
  /** The schema {@link migrate} created the tables in. @default 'public' */
  schema?: string;
  /**
   * Encrypts queued operations and dead letters with AES-256-GCM (32 bytes, `Uint8Array` or base64);
   * the indexed columns (ids, times) stay readable.
   */
  encryptionKey?: Uint8Array | string;
  /** Keys that values may still be encrypted with, for reading only (rotation). Requires `encryptionKey`. */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
  /**
   * How long a logged call is remembered (the redelivery guard), in ms.
   * @default 2592000000 (30 days)
   */
  ledgerTtlMs?: number;
  /** Called for every stored value the store quarantines. */
  onQuarantine?: (event: JournalQuarantineEvent) => void;
}

const STORE = 'journal-postgres';
const REPORT_LIMIT = 100;
/** Expired ledger rows are deleted after this many `setLogged` calls of one store instance. */
const LEDGER_SWEEP_EVERY = 500;

const OptionsSchema = z.strictObject({
  pool: withMethods<PostgresPool>(['query', 'connect'], 'must be a pg Pool'),
  schema: z.optional(z.string()),
  ...keyOptions,
  ledgerTtlMs: z.optional(positiveInteger),
  onQuarantine: z.optional(callback<(event: JournalQuarantineEvent) => void>()),
});

/**
 * A {@link JournalStore} in PostgreSQL, for PBX clusters whose hosts already run it.
 *
 * - **Tables** (create them with {@link migrate}): `zcc_journal_ops` (each operation as JSONB, plus
 *   indexed `call_id`, `next_attempt_at`, `created_at` and `lease_until` columns), `zcc_journal_ledger`,
 *   `zcc_journal_dead` and `zcc_journal_quarantine`.
 * - **Claims**: one statement each, `SELECT … FOR UPDATE SKIP LOCKED` then `UPDATE … SET lease_until`:
 *   nodes claiming at the same moment skip each other's rows instead of waiting, and a claimed
 *   operation stays invisible until released, removed, buried or its lease (judged by the database's
 *   clock) runs out.
 * - **Durable** as the database is: every call is one committed statement.
 * - **Bad values** (the wrong shape, a tampered ciphertext) are moved to `zcc_journal_quarantine` and
 *   never block the queue; a value under a key that is not configured fails the call instead.
 * - **Errors**: every database failure becomes a retryable `JournalStoreError`; missing tables say to
 *   run `migrate()`.
 * @param options - See {@link PostgresJournalStoreOptions}.
 * @returns A {@link JournalStore}.
 * @throws `ConfigError` when an option is invalid.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { ZohoCrmConnector } from 'zoho-crm-connector';
 * import { createPostgresJournalStore, createPostgresStore, migrate } from 'zoho-crm-connector/stores/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const zoho = new ZohoCrmConnector({
 *   ...options,
 *   tokenStore: createPostgresStore({ pool }),
 *   journal: { store: createPostgresJournalStore({ pool }) },
 * });
 * ```
 * @group Postgres stores
 */
export function createPostgresJournalStore(options: PostgresJournalStoreOptions): JournalStore {
  const parsed = parseStoreOptions(
    OptionsSchema,
    options,
    'createPostgresJournalStore options',
    'Postgres journal store',
    'optional',
  );
  const { pool } = parsed.options;
  const keyring: Keyring | undefined = parsed.keyring;
  const s = quoteSchema(parsed.options.schema, 'createPostgresJournalStore options');
  const ttl = parsed.options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
  const listeners = quarantineListeners(options.onQuarantine);
  let ledgerWrites = 0;

  const sql = async (connectionId: string, operation: string, text: string, values: unknown[]) => {
    try {
      return await pool.query(text, values);
    } catch (error) {
      const missing = (error as { code?: unknown }).code === UNDEFINED_TABLE;
      throw new JournalStoreError(
        STORE,
        operation,
        missing
          ? `the journal tables are missing in schema ${s}: run migrate() first`
          : `PostgreSQL failed (${operation}) for connection ${quoteId(connectionId)}`,
        { cause: error, retryable: !missing },
      );
    }
  };
  /** JSONB as stored: the value, `{ sealed }` when encrypted, `{ b64 }` when it holds a NUL (JSONB cannot). */
  const encode = (connectionId: string, value: unknown): unknown => {
    const json = JSON.stringify(value);
    if (keyring) return { sealed: keyring.seal(connectionId, json).toString('base64') };
    return json.includes('\\u0000') ? { b64: Buffer.from(json, 'utf8').toString('base64') } : value;
  };
  const rawOf = (stored: unknown): string => {
    const wrapped = stored as { sealed?: unknown; b64?: unknown } | null;
    if (keyring && typeof wrapped?.sealed === 'string') return wrapped.sealed;
    if (typeof wrapped?.b64 === 'string' && Object.keys(wrapped).length === 1) {
      return Buffer.from(wrapped.b64, 'base64').toString('utf8');
    }
    return JSON.stringify(stored);
  };
  /** Decodes stored values; what cannot be read is moved to the quarantine. */
  const decode = async <T>(
    connectionId: string,
    source: 'ops' | 'dead',
    rows: Record<string, unknown>[],
    column: string,
    check: (value: unknown) => string | undefined,
  ): Promise<T[]> => {
    const out: T[] = [];
    for (const row of rows) {
      const raw = rawOf(row[column]);
      const decoded = decodeJournalValue(raw, connectionId, keyring, check);
      if ('value' in decoded) {
        out.push(decoded.value as T);
      } else if (decoded.fatal) {
        throw unreadableValue(STORE, connectionId, decoded.problem, keyring !== undefined, decoded.cause);
      } else {
        await quarantine(connectionId, source, String(row.op_id), raw, decoded.problem);
      }
    }
    return out;
  };
  const quarantine = async (
    connectionId: string,
    source: 'ops' | 'dead',
    opId: string,
    raw: string,
    reason: string,
  ) => {
    const record: QuarantinedRecord = { at: Date.now(), reason, preview: previewOf(raw) };
    await sql(
      connectionId,
      'quarantine',
      `WITH gone AS (DELETE FROM ${s}.zcc_journal_${source} WHERE connection_id = $1 AND op_id = $2)
       INSERT INTO ${s}.zcc_journal_quarantine (connection_id, at, reason, preview, source, value)
       VALUES ($1, $3, $4, $5, $6, $7)`,
      [connectionId, opId, record.at, record.reason, record.preview, source, raw],
    );
    const event = { ...record, connectionId, store: STORE, location: `${s}.zcc_journal_quarantine` };
    listeners.emit(event);
  };
  const check = (problem: string | undefined, operation: string) => {
    if (problem) throw new JournalStoreError(STORE, operation, `not a journal record: ${problem}`);
  };
  const readOps = async (connectionId: string, rows: Record<string, unknown>[]) =>
    decode<JournalOp>(connectionId, 'ops', rows, 'op', (v) => opProblem(v));
  const claim = async (
    connectionId: string,
    operation: string,
    where: string,
    order: string,
    values: unknown[],
    request: ClaimDueOptions | ClaimCallsOptions,
    limit: number | null,
  ) => {
    const { rows } = await sql(
      connectionId,
      operation,
      `WITH chosen AS (
         SELECT op_id FROM ${s}.zcc_journal_ops
         WHERE connection_id = $1 AND lease_until <= $2 AND ($3::bigint IS NULL OR next_attempt_at <= $3) AND ${where}
         ORDER BY ${order} LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE ${s}.zcc_journal_ops o SET lease_until = $5 FROM chosen
       WHERE o.connection_id = $1 AND o.op_id = chosen.op_id
       RETURNING o.op_id, o.op, o.next_attempt_at, o.created_at`,
      [connectionId, request.now, values[0], limit, request.now + request.leaseMs, ...values.slice(1)],
    );
    return rows;
  };
  const finite = (value: number | undefined) =>
    value === undefined || value === Number.POSITIVE_INFINITY ? null : value;

  return {
    async getLogged(connectionId, callId) {
      const { rows } = await sql(
        connectionId,
        'getLogged',
        `SELECT zoho_call_id FROM ${s}.zcc_journal_ledger WHERE connection_id = $1 AND call_id = $2 AND logged_at > $3`,
        [connectionId, callId, Date.now() - ttl],
      );
      return rows[0] ? String(rows[0].zoho_call_id) : undefined;
    },
    async setLogged(connectionId, callId, zohoCallId) {
      await sql(
        connectionId,
        'setLogged',
        `INSERT INTO ${s}.zcc_journal_ledger (connection_id, call_id, zoho_call_id, logged_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (connection_id, call_id) DO UPDATE SET zoho_call_id = EXCLUDED.zoho_call_id, logged_at = EXCLUDED.logged_at`,
        [connectionId, callId, zohoCallId, Date.now()],
      );
      if (++ledgerWrites % LEDGER_SWEEP_EVERY === 0) {
        await sql(connectionId, 'setLogged', `DELETE FROM ${s}.zcc_journal_ledger WHERE logged_at <= $1`, [
          Date.now() - ttl,
        ]);
      }
    },
    async add(connectionId, op) {
      check(opProblem(op), 'add');
      const { rowCount } = await sql(
        connectionId,
        'add',
        `INSERT INTO ${s}.zcc_journal_ops (connection_id, op_id, call_id, next_attempt_at, created_at, op)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (connection_id, op_id) DO NOTHING`,
        [connectionId, op.id, op.callId, op.nextAttemptAt, op.createdAt, encode(connectionId, op)],
      );
      return rowCount === 1;
    },
    async claimDue(connectionId, request) {
      const limit = Math.max(0, Math.floor(request.limit));
      const rows = await claim(
        connectionId,
        'claimDue',
        'TRUE',
        'next_attempt_at, created_at',
        [finite(request.dueBefore ?? request.now)],
        request,
        limit,
      );
      rows.sort(
        (a, b) =>
          Number(a.next_attempt_at) - Number(b.next_attempt_at) ||
          Number(a.created_at) - Number(b.created_at),
      );
      return readOps(connectionId, rows);
    },
    async claimCalls(connectionId, callIds, request) {
      const rows = await claim(
        connectionId,
        'claimCalls',
        'call_id = ANY($6::text[])',
        'created_at',
        [finite(request.dueBefore), [...new Set(callIds)]],
        request,
        null,
      );
      rows.sort((a, b) => Number(a.created_at) - Number(b.created_at));
      return readOps(connectionId, rows);
    },
    async release(connectionId, op) {
      check(opProblem(op), 'release');
      await sql(
        connectionId,
        'release',
        `UPDATE ${s}.zcc_journal_ops SET op = $3, next_attempt_at = $4, lease_until = 0 WHERE connection_id = $1 AND op_id = $2`,
        [connectionId, op.id, encode(connectionId, op), op.nextAttemptAt],
      );
    },
    async remove(connectionId, op) {
      await sql(
        connectionId,
        'remove',
        `DELETE FROM ${s}.zcc_journal_ops WHERE connection_id = $1 AND op_id = $2`,
        [connectionId, op.id],
      );
    },
    async bury(connectionId, letter) {
      check(letterProblem(letter), 'bury');
      await sql(
        connectionId,
        'bury',
        `WITH gone AS (DELETE FROM ${s}.zcc_journal_ops WHERE connection_id = $1 AND op_id = $2)
         INSERT INTO ${s}.zcc_journal_dead (connection_id, op_id, failed_at, letter) VALUES ($1, $2, $3, $4)
         ON CONFLICT (connection_id, op_id) DO UPDATE SET failed_at = EXCLUDED.failed_at, letter = EXCLUDED.letter`,
        [connectionId, letter.op.id, letter.failedAt, encode(connectionId, letter)],
      );
    },
    async deadLetters(connectionId) {
      const { rows } = await sql(
        connectionId,
        'deadLetters',
        `SELECT op_id, letter FROM ${s}.zcc_journal_dead WHERE connection_id = $1 ORDER BY failed_at, op_id`,
        [connectionId],
      );
      return decode<DeadLetter>(connectionId, 'dead', rows, 'letter', (v) => letterProblem(v));
    },
    async unbury(connectionId, opId) {
      const { rows } = await sql(
        connectionId,
        'unbury',
        `DELETE FROM ${s}.zcc_journal_dead WHERE connection_id = $1 AND op_id = $2 RETURNING op_id, letter`,
        [connectionId, opId],
      );
      const [letter] = await decode<DeadLetter>(connectionId, 'dead', rows, 'letter', (v) =>
        letterProblem(v),
      );
      return letter;
    },
    async pending(connectionId) {
      const { rows } = await sql(
        connectionId,
        'pending',
        `SELECT count(*) AS count, min(greatest(next_attempt_at, lease_until)) AS next FROM ${s}.zcc_journal_ops WHERE connection_id = $1`,
        [connectionId],
      );
      const count = Number(rows[0]?.count ?? 0);
      return count === 0 ? { count: 0 } : { count, nextAttemptAt: Number(rows[0]?.next) };
    },
    async quarantined(connectionId) {
      const { rows } = await sql(
        connectionId,
        'quarantined',
        `SELECT at, reason, preview, count(*) OVER () AS total FROM ${s}.zcc_journal_quarantine
         WHERE connection_id = $1 ORDER BY id DESC LIMIT ${REPORT_LIMIT}`,
        [connectionId],
      );
      const entries = rows
        .map(
          (row): QuarantinedRecord => ({
            at: Number(row.at),
            reason: String(row.reason),
            preview: String(row.preview),
          }),
        )
        .reverse();
      return { count: Number(rows[0]?.total ?? 0), entries };
    },
    onQuarantine: (listener) => listeners.subscribe(listener),
  };
}
