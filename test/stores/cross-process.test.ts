import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from '../../src/stores/file.js';
import { createRedisStore } from '../../src/stores/redis.js';
import type { StoredTokens, TokenStore } from '../../src/stores/types.js';
import { runWorkers } from '../helpers/workers.js';

// Issue 4 acceptance (store side): separate Node processes sharing one store serialise their
// read-modify-writes under withLock, so no update is lost.
const REDIS_URL = process.env.REDIS_URL;
const WORKERS = 4;
const ITERATIONS = 50;
const worker = new URL('./fixtures/lock-worker.ts', import.meta.url);

const counter = (): StoredTokens => ({
  accessToken: 'counter',
  refreshToken: 'counter',
  expiresAt: 0,
  apiDomain: 'https://www.zohoapis.com',
  accountsServer: 'https://accounts.zoho.com',
  region: 'US',
  grantedAt: 0,
});

async function runLockWorkers(env: Record<string, string>): Promise<void> {
  const outputs = await runWorkers(worker, WORKERS, { ...env, ITERATIONS: String(ITERATIONS) });
  for (const output of outputs) expect(output).toContain('done\n');
}

async function expectNoLostUpdates(store: TokenStore, connectionId: string, env: Record<string, string>) {
  await store.set(connectionId, counter());
  await runLockWorkers({ ...env, CONNECTION_ID: connectionId });
  expect((await store.get(connectionId))?.grantedAt).toBe(WORKERS * ITERATIONS);
}

describe('withLock across processes: file store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zcc-cross-process-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`${WORKERS} processes × ${ITERATIONS} locked increments lose no update`, {
    timeout: 120_000,
  }, async () => {
    const key = randomBytes(32).toString('base64');
    const store = createFileStore({ path: dir, encryptionKey: key });
    await expectNoLostUpdates(store, 'tenant-42', { STORE: 'file', STORE_PATH: dir, STORE_KEY: key });
    await store.delete('tenant-42');
    expect(await readdir(dir)).toEqual([]); // no lock, guard or temp file left behind
  });
});

describe.skipIf(!REDIS_URL)(
  'withLock across processes: Redis store (skipped without REDIS_URL; .ci/run sets it)',
  () => {
    let client: Redis;
    const keyPrefix = `zcc-test:${process.pid}:${randomUUID()}`;
    beforeAll(() => {
      client = new Redis(REDIS_URL!);
    });
    afterAll(async () => {
      await client.del(`{${keyPrefix}:tenant-42}:tokens`, `{${keyPrefix}:tenant-42}:lock`);
      await client.quit();
    });

    it(`${WORKERS} processes × ${ITERATIONS} locked increments lose no update`, {
      timeout: 120_000,
    }, async () => {
      const store = createRedisStore({ client, keyPrefix });
      await expectNoLostUpdates(store, 'tenant-42', {
        STORE: 'redis',
        REDIS_URL: REDIS_URL!,
        KEY_PREFIX: keyPrefix,
      });
      expect(await client.exists(`{${keyPrefix}:tenant-42}:lock`)).toBe(0);
    });
  },
);
