import type { JournalStore } from '../../src/journal/store.js';
import type { TokenStore } from '../../src/stores/types.js';

/** A required environment variable of a worker fixture. */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`worker: ${name} is not set`);
  return value;
}

/**
 * The shared token store a worker process opens: STORE=file (STORE_PATH, STORE_KEY) or STORE=redis
 * (REDIS_URL, KEY_PREFIX), with a function that closes its connection.
 */
export async function storeFromEnv(): Promise<{ store: TokenStore; close: () => Promise<void> }> {
  if (env('STORE') === 'file') {
    const { createFileStore } = await import('../../src/stores/file.js');
    return {
      store: createFileStore({ path: env('STORE_PATH'), encryptionKey: env('STORE_KEY') }),
      close: async () => {},
    };
  }
  const { Redis } = await import('ioredis');
  const { createRedisStore } = await import('../../src/stores/redis.js');
  const client = new Redis(env('REDIS_URL'));
  return {
    store: createRedisStore({ client, keyPrefix: env('KEY_PREFIX') }),
    close: async () => {
      await client.quit();
    },
  };
}

/**
 * The shared journal store a worker process opens: STORE=file (STORE_PATH; no fsync: the faults here are
 * process kills, not power cuts) or STORE=redis (REDIS_URL, KEY_PREFIX), with a function that closes it.
 * Add a store here and in the chaos suite's store list to run the suite on it.
 */
export async function journalStoreFromEnv(): Promise<{ store: JournalStore; close: () => Promise<void> }> {
  const kind = env('STORE');
  if (kind === 'file') {
    const { createFileJournalStore } = await import('../../src/stores/journal-file.js');
    const store = createFileJournalStore({ path: env('STORE_PATH'), fsync: false });
    return { store, close: async () => store.close?.() };
  }
  if (kind === 'redis') {
    const { Redis } = await import('ioredis');
    const { createRedisJournalStore } = await import('../../src/stores/journal-redis.js');
    const client = new Redis(env('REDIS_URL'));
    return {
      store: createRedisJournalStore({ client, keyPrefix: env('KEY_PREFIX') }),
      close: async () => {
        await client.quit();
      },
    };
  }
  if (kind === 'postgres') {
    const pg = (await import('pg')).default;
    const { createPostgresJournalStore } = await import('../../src/stores/journal-postgres.js');
    const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 4 });
    return {
      store: createPostgresJournalStore({ pool, schema: env('PG_SCHEMA') }),
      close: async () => {
        await pool.end();
      },
    };
  }
  throw new Error(`worker: unknown STORE ${kind}`);
}
