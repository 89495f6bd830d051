import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from '../../src/stores/file.js';
import { createRedisStore } from '../../src/stores/redis.js';
import type { StoredTokens, TokenStore } from '../../src/stores/types.js';

// Issue 4 acceptance (store side): separate Node processes sharing one store serialise their
// read-modify-writes under withLock, so no update is lost.
const REDIS_URL = process.env.REDIS_URL;
const WORKERS = 4;
const ITERATIONS = 50;
const repo = fileURLToPath(new URL('../../', import.meta.url));
const worker = fileURLToPath(new URL('./fixtures/lock-worker.ts', import.meta.url));

const counter = (): StoredTokens => ({
  accessToken: 'counter',
  refreshToken: 'counter',
  expiresAt: 0,
  apiDomain: 'https://www.zohoapis.com',
  accountsServer: 'https://accounts.zoho.com',
  region: 'US',
  grantedAt: 0,
});

/** Spawns the workers, starts them together once all are ready, and waits for every one to exit 0. */
async function runWorkers(env: Record<string, string>): Promise<void> {
  const children: ChildProcess[] = [];
  const outcomes = Array.from({ length: WORKERS }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], {
      cwd: repo,
      env: { ...process.env, ...env, ITERATIONS: String(ITERATIONS) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    const ready = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready\n')) resolve();
      });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0 && stdout.includes('done\n')) resolve();
        else reject(new Error(`worker ${child.pid} exited with ${code}: ${stderr || stdout}`));
      });
    });
    return { ready, exited };
  });
  try {
    await Promise.race([
      Promise.all(outcomes.map((o) => o.ready)),
      Promise.all(outcomes.map((o) => o.exited)), // a worker that dies before "ready" fails fast
    ]);
    for (const child of children) child.stdin!.write('go\n');
    await Promise.all(outcomes.map((o) => o.exited));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

async function expectNoLostUpdates(store: TokenStore, connectionId: string, env: Record<string, string>) {
  await store.set(connectionId, counter());
  await runWorkers({ ...env, CONNECTION_ID: connectionId });
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
