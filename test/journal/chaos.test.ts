/**
 * The journal chaos suite (issue 11): 1,000 calls through cycles of 500s, 429s, answers lost after Zoho
 * stored the write (the client times out, or the connection drops) and dropped connections, with the
 * flushing process killed by SIGKILL twice and restarted on the same store → every call is in Zoho
 * exactly once (counted in the emulator by call id), with and without a dedupe field.
 *
 * Loopback only: the emulator over HTTP in this process, the journal in child processes. Nothing here
 * depends on speed: the faults are count-based (every n-th request), the phases and the kills follow
 * progress counters (requests answered, Calls stored), and every child's work is bounded.
 *
 * Stores: add one line to STORES (and a branch to test/helpers/store-from-env.ts) to run the suite on
 * another journal store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/stores/postgres.js';
import { type Faults, startZohoEmulator, type ZohoEmulator } from '../../src/testing/index.js';
import { spawnWorker, type Worker } from '../helpers/workers.js';

const CALLS = 1_000;
const START_MS = Date.parse('2025-01-10T08:00:00Z');
const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;
const worker = new URL('./fixtures/chaos-worker.ts', import.meta.url);

/** A journal store the child processes share: its environment for journalStoreFromEnv, and its cleanup. */
interface ChaosStore {
  name: string;
  /** Why it is skipped here (unset: it runs). */
  skip?: string | undefined;
  open(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

const STORES: ChaosStore[] = [
  {
    name: 'file store',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'zcc-chaos-'));
      return {
        env: { STORE: 'file', STORE_PATH: dir },
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'Redis store',
    skip: REDIS_URL ? undefined : 'REDIS_URL is not set (.ci/run sets it)',
    async open() {
      const keyPrefix = `zcc-chaos:${process.pid}:${randomUUID()}`;
      return {
        env: { STORE: 'redis', REDIS_URL: REDIS_URL as string, KEY_PREFIX: keyPrefix },
        async cleanup() {
          const client = new Redis(REDIS_URL as string);
          try {
            const keys = await client.keys(`{${keyPrefix}:*`);
            if (keys.length > 0) await client.del(...keys);
          } finally {
            await client.quit();
          }
        },
      };
    },
  },
  {
    name: 'PostgreSQL store',
    skip: DATABASE_URL ? undefined : 'DATABASE_URL is not set (.ci/run sets it)',
    async open() {
      const schema = `zcc_chaos_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const pool = new pg.Pool({ connectionString: DATABASE_URL as string, max: 2 });
      try {
        await migrate(pool, { schema });
      } finally {
        await pool.end();
      }
      return {
        env: { STORE: 'postgres', DATABASE_URL: DATABASE_URL as string, PG_SCHEMA: schema },
        async cleanup() {
          const admin = new pg.Pool({ connectionString: DATABASE_URL as string, max: 1 });
          try {
            await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          } finally {
            await admin.end();
          }
        },
      };
    },
  },
];

/** The fault cycle: each phase lasts PHASE_REQUESTS answered requests, then the next one starts. */
const PHASES: Array<Faults | null> = [
  { status: 500, every: 3, target: 'api' },
  { status: 429, every: 3, target: 'api' },
  { lostAnswer: 'timeout', every: 2, target: 'api' }, // stored; the answer comes after the client gave up
  { dropConnections: true, every: 3, target: 'api' },
  { lostAnswer: 'drop', every: 2, target: 'api' }, // stored; the connection drops before the answer
  null,
];
const PHASE_REQUESTS = 6;

let emu: ZohoEmulator;
let accessToken: string;

beforeAll(async () => {
  emu = await startZohoEmulator({ uniqueFields: { Calls: ['PBX_Call_ID'] }, requestLogSize: 0 });
});
afterAll(async () => {
  await emu?.close();
});

/** Calls per PBX call id in the emulator. */
function storedPerCall(dedupeField: string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of emu.records('Calls')) {
    const id = dedupeField
      ? String(record[dedupeField])
      : (/^PBX call ID: (\S+)$/m.exec(String(record.Description))?.[1] ?? 'unmarked');
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Drives the faults and the kills from progress counters: the phase follows the requests answered; a
 * worker is killed once Zoho holds `killAt` Calls. Resolves with the worker's outcome.
 */
async function runUntil(w: Worker, killAt: number | undefined): Promise<'killed' | string> {
  let phase = -1;
  let killed = false;
  const watch = setInterval(() => {
    const next = Math.floor(emu.stats().totalRequests / PHASE_REQUESTS) % PHASES.length;
    if (next !== phase) {
      phase = next;
      emu.faults(PHASES[phase] ?? null);
    }
    if (killAt !== undefined && !killed && emu.records('Calls').length >= killAt) {
      killed = true;
      w.child.kill('SIGKILL');
    }
  }, 2);
  try {
    return await w.exited;
  } catch (error) {
    if (killed) return 'killed';
    throw error;
  } finally {
    clearInterval(watch);
    emu.faults(null);
  }
}

describe.each(STORES)('journal chaos: $name', (store) => {
  describe.each([
    { mode: 'without a dedupe field', dedupeField: undefined },
    { mode: 'with a dedupe field', dedupeField: 'PBX_Call_ID' },
  ])('$mode', ({ dedupeField }) => {
    it.skipIf(store.skip !== undefined)(
      `${CALLS} calls, 500/429/lost answers/dropped connections, SIGKILL twice → 0 lost, 0 duplicated${store.skip ? ` (skipped: ${store.skip})` : ''}`,
      { timeout: 90_000 },
      async () => {
        emu.reset();
        emu.registerClient({
          clientId: '1000.CHAOS',
          clientSecret: 's',
          redirectUris: ['http://localhost/cb'],
        });
        accessToken = emu.issueTokens({ clientId: '1000.CHAOS' }).accessToken;
        const opened = await store.open();
        try {
          const env = {
            ...opened.env,
            API_URL: emu.apiUrl,
            ACCESS_TOKEN: accessToken,
            CALLS: String(CALLS),
            START_MS: String(START_MS),
            DEDUPE_FIELD: dedupeField ?? '',
          };
          // Two nodes killed in the middle of their work, then one that finishes.
          expect(await runUntil(spawnWorker(worker, env), 250)).toBe('killed');
          expect(await runUntil(spawnWorker(worker, env), 600)).toBe('killed');
          const output = await runUntil(spawnWorker(worker, env), undefined);
          expect(output).toContain('done 0 0\n'); // nothing pending, nothing dead-lettered

          const stats = emu.stats();
          expect(stats.faultsInjected).toBeGreaterThan(0);
          expect(Object.keys(stats.requests).filter((key) => key.endsWith('/upsert'))).toEqual([]);
          const perCall = storedPerCall(dedupeField);
          const expected = Array.from({ length: CALLS }, (_, i) => `chaos-${i}`);
          const lost = expected.filter((id) => !perCall.has(id));
          const duplicated = [...perCall].filter(([, n]) => n > 1).map(([id]) => id);
          expect({ lost, duplicated, stored: emu.records('Calls').length }).toEqual({
            lost: [],
            duplicated: [],
            stored: CALLS,
          });
        } finally {
          await opened.cleanup();
        }
      },
    );
  });
});
