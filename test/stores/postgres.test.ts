/**
 * The PostgreSQL stores against the real server (DATABASE_URL; .ci/run sets it to the local one). Each
 * run works in its own schema and drops it at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { JournalQuarantineEvent } from '../../src/journal/store.js';
import { createPostgresJournalStore, createPostgresStore, migrate } from '../../src/stores/postgres.js';
import { assertJournalStoreContract } from '../../src/testing/journal-store-contract.js';
import { assertTokenStoreContract } from '../../src/testing/token-store-contract.js';
import { op, T } from '../journal/ops.js';

const DATABASE_URL = process.env.DATABASE_URL;

describe('Postgres store options (no database needed)', () => {
  const pool = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => ({}) } as never;
  it('name every bad option path, never a value', () => {
    const error = (() => {
      try {
        createPostgresStore({ pool: {} as never, schema: 'Bad-Name', lockTimeoutMs: -1, other: 1 } as never);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues.map((i) => i.path).sort()).toEqual(['lockTimeoutMs', 'other', 'pool']);
    expect(() => createPostgresStore({ pool, schema: 'Bad-Name' })).toThrow(
      /schema: must be a lower-case SQL identifier/,
    );
    expect(() => createPostgresJournalStore({ pool, encryptionKey: 'short', ledgerTtlMs: 0 })).toThrow(
      /encryptionKey.*|ledgerTtlMs/,
    );
    expect(() => createPostgresJournalStore(null as never)).toThrow(ConfigError);
  });
});

describe.skipIf(!DATABASE_URL)(
  'Postgres stores (needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test)',
  () => {
    let pool: pg.Pool;
    const schema = `zcc_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    beforeAll(async () => {
      pool = new pg.Pool({ connectionString: DATABASE_URL, max: 8 });
      expect(await migrate(pool, { schema })).toEqual([1]);
    });
    afterAll(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    });

    it('migrate is idempotent and safe to run from several nodes at once', async () => {
      const results = await Promise.all([
        migrate(pool, { schema }),
        migrate(pool, { schema }),
        migrate(pool, { schema }),
      ]);
      expect(results).toEqual([[], [], []]);
      const { rows } = await pool.query(`SELECT version FROM "${schema}".zcc_schema_migrations`);
      expect(rows).toEqual([{ version: 1 }]);
      const other = `${schema}_race`;
      try {
        const racing = await Promise.all([
          migrate(pool, { schema: other }),
          migrate(pool, { schema: other }),
        ]);
        expect(racing.flat()).toEqual([1]);
      } finally {
        await pool.query(`DROP SCHEMA IF EXISTS "${other}" CASCADE`);
      }
    });

    it('the token store meets the TokenStore contract, shared between two instances like two nodes', () =>
      assertTokenStoreContract(() => createPostgresStore({ pool, schema, lockTimeoutMs: 10_000 }), {
        shared: true,
      }));

    it('the encrypted token store meets the TokenStore contract', async () => {
      const encryptionKey = randomBytes(32);
      await assertTokenStoreContract(() => createPostgresStore({ pool, schema, encryptionKey }));
      await createPostgresStore({ pool, schema, encryptionKey }).set('sealed', {
        accessToken: '1000.aaaa.bbbb',
        refreshToken: '1000.cccc.dddd',
        expiresAt: 1,
        apiDomain: 'https://www.zohoapis.eu',
        accountsServer: 'https://accounts.zoho.eu',
        region: 'EU',
        grantedAt: 1,
      });
      const { rows } = await pool.query(
        `SELECT value FROM "${schema}".zcc_tokens WHERE connection_id = 'sealed'`,
      );
      expect(rows[0].value).not.toContain('1000.');
      await expect(createPostgresStore({ pool, schema }).get('sealed')).rejects.toThrow(
        /encrypted or not a token document/,
      );
    });

    it('the journal store meets the JournalStore contract, shared between two nodes', () =>
      assertJournalStoreContract(() => createPostgresJournalStore({ pool, schema }), { shared: true }));

    it('the encrypted journal store meets the JournalStore contract and keeps no plaintext', async () => {
      const encryptionKey = randomBytes(32);
      await assertJournalStoreContract(() => createPostgresJournalStore({ pool, schema, encryptionKey }), {
        shared: true,
      });
      // One operation of its own, read back by its connection: the table also holds the rows other tests
      // (the plaintext store's contract among them) left, in no guaranteed order.
      const connectionId = `sealed-${randomUUID()}`;
      const note = 'Caller asked for a refund, card ending 4242';
      await createPostgresJournalStore({ pool, schema, encryptionKey }).add(
        connectionId,
        op('note:sealed-1', 'sealed-1', { note }),
      );
      const { rows } = await pool.query(
        `SELECT op::text AS op FROM "${schema}".zcc_journal_ops WHERE connection_id = $1`,
        [connectionId],
      );
      expect(rows).toHaveLength(1);
      expect(String(rows[0].op)).toContain('sealed');
      expect(String(rows[0].op)).not.toContain('refund');
    });

    it('SKIP LOCKED: four nodes claiming at once share 200 operations, each claimed exactly once', async () => {
      const nodes = Array.from({ length: 4 }, () => createPostgresJournalStore({ pool, schema }));
      const cid = `skip-locked-${randomUUID()}`;
      for (let i = 0; i < 200; i++)
        await nodes[0]?.add(cid, op(`create:c${i}`, `c${i}`, { nextAttemptAt: T + i }));
      const claimed: string[] = [];
      await Promise.all(
        nodes.map(async (node) => {
          for (let round = 0; round < 20; round++) {
            const batch = await node.claimDue(cid, { now: T + 1_000, leaseMs: 60_000, limit: 7 });
            claimed.push(...batch.map((o) => o.id));
          }
        }),
      );
      expect(claimed).toHaveLength(200);
      expect(new Set(claimed).size).toBe(200);
    });

    it('keeps an operation holding a NUL character, and quarantines a bad row without blocking the queue', async () => {
      const events: JournalQuarantineEvent[] = [];
      const store = createPostgresJournalStore({ pool, schema, onQuarantine: (e) => events.push(e) });
      const cid = `bad-row-${randomUUID()}`;
      const nul = op('note:c1:nul', 'c1', { note: 'before\u0000after' });
      await store.add(cid, nul);
      await store.add(cid, op('create:c2', 'c2'));
      await store.add(cid, op('create:c3', 'c3'));
      await pool.query(
        `UPDATE "${schema}".zcc_journal_ops SET op = '{"id":"create:c2","kind":"create"}'::jsonb WHERE connection_id = $1 AND op_id = 'create:c2'`,
        [cid],
      );
      const claimed = await store.claimDue(cid, { now: T, leaseMs: 1, limit: 10 });
      expect(claimed.map((o) => o.id).sort()).toEqual(['create:c3', 'note:c1:nul']);
      expect(claimed.find((o) => o.id === 'note:c1:nul')?.note).toBe('before\u0000after');
      expect(events).toEqual([
        expect.objectContaining({
          connectionId: cid,
          store: 'journal-postgres',
          reason: expect.stringMatching(/^wrong shape: op.callId/),
        }),
      ]);
      expect(await store.quarantined?.(cid)).toMatchObject({
        count: 1,
        entries: [{ reason: events[0]?.reason }],
      });
      expect((await store.pending(cid)).count).toBe(2);
    });

    it('says to run migrate() when the tables are missing', async () => {
      const missing = `zcc_missing_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
      await expect(createPostgresJournalStore({ pool, schema: missing }).pending('t')).rejects.toMatchObject({
        name: 'JournalStoreError',
        retryable: false,
        message: expect.stringContaining('run migrate() first'),
      });
      await expect(createPostgresStore({ pool, schema: missing }).get('t')).rejects.toThrow(
        /run migrate\(\) first/,
      );
    });
  },
);
