import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from '../../src/stores/file.js';
import { createRedisStore } from '../../src/stores/redis.js';
import type { TokenStore } from '../../src/stores/types.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { runWorkers } from '../helpers/workers.js';
import { authorize, CLIENT, connectorFor, registerClient } from './helpers.js';

// Issue 4 acceptance: N PBX nodes sharing one store refresh an expired token once between them.
const REDIS_URL = process.env.REDIS_URL;
const WORKERS = 4;
const CALLS = 100;
const worker = new URL('../oauth/fixtures/refresh-worker.ts', import.meta.url);

let emu: ZohoEmulator;
beforeAll(async () => {
  emu = await startZohoEmulator({ autoConsent: true });
  registerClient(emu);
});
afterAll(async () => {
  await emu.close();
});

/** Authorizes through the shared store, expires the access token, and races the workers. */
async function raceRefresh(store: TokenStore, connectionId: string, env: Record<string, string>) {
  const zoho = connectorFor(emu, { connectionId, tokenStore: store });
  await authorize(zoho);
  await zoho.close();
  const stored = await store.get(connectionId);
  if (!stored) throw new Error('authorization stored nothing');
  await store.set(connectionId, { ...stored, expiresAt: Date.now() - 1_000 });
  emu.expireAccessTokens();
  const before = emu.stats().refreshes;
  const outputs = await runWorkers(worker, WORKERS, {
    ...env,
    CONNECTION_ID: connectionId,
    CALLS: String(CALLS),
    CLIENT_ID: CLIENT.clientId,
    CLIENT_SECRET: CLIENT.clientSecret,
    ENDPOINTS: JSON.stringify({ regions: emu.regions }),
  });
  const tokens = new Set(
    outputs.flatMap((o) => JSON.parse(/tokens (.*)\n/.exec(o)?.[1] ?? '[]') as string[]),
  );
  return { refreshes: emu.stats().refreshes - before, tokens };
}

describe('cross-process refresh: file store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zcc-refresh-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`${WORKERS} processes × ${CALLS} concurrent calls on an expired token → exactly 1 refresh`, {
    timeout: 120_000,
  }, async () => {
    const key = randomBytes(32).toString('base64');
    const store = createFileStore({ path: dir, encryptionKey: key });
    const { refreshes, tokens } = await raceRefresh(store, 'tenant-file', {
      STORE: 'file',
      STORE_PATH: dir,
      STORE_KEY: key,
    });
    expect(refreshes).toBe(1);
    expect(tokens.size).toBe(1);
  });
});

describe.skipIf(!REDIS_URL)(
  'cross-process refresh: Redis store (skipped without REDIS_URL; .ci/run sets it)',
  () => {
    let client: Redis;
    const keyPrefix = `zcc-refresh:${process.pid}:${randomUUID()}`;
    beforeAll(() => {
      client = new Redis(REDIS_URL as string);
    });
    afterAll(async () => {
      await client.del(`{${keyPrefix}:tenant-redis}:tokens`, `{${keyPrefix}:tenant-redis}:lock`);
      await client.quit();
    });

    it(`${WORKERS} processes × ${CALLS} concurrent calls on an expired token → exactly 1 refresh`, {
      timeout: 120_000,
    }, async () => {
      const store = createRedisStore({ client, keyPrefix });
      const { refreshes, tokens } = await raceRefresh(store, 'tenant-redis', {
        STORE: 'redis',
        REDIS_URL: REDIS_URL as string,
        KEY_PREFIX: keyPrefix,
      });
      expect(refreshes).toBe(1);
      expect(tokens.size).toBe(1);
    });
  },
);
