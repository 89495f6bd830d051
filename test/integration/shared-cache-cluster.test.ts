import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { spawnWorker, type Worker } from '../helpers/workers.js';
import { authorize, CLIENT, closeConnectors, connectorFor, registerClient } from './helpers.js';

// Issue 16, item 8: PBX nodes in separate processes share one caller-ID cache through Redis.
const REDIS_URL = process.env.REDIS_URL;
const ADA = '+14155550101';
const TTL_MS = 120_000;
const CHANNEL_TOKEN = 'shared-cache-test-token';
const fixture = new URL('./fixtures/shared-cache-node.ts', import.meta.url);

let emu: ZohoEmulator;
let adaId: string;
beforeAll(async () => {
  emu = await startZohoEmulator({ autoConsent: true });
  registerClient(emu);
  [adaId] = emu.seed('Contacts', [
    { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+1 415 555 0101' },
  ]) as [string];
});
afterEach(async () => {
  await closeConnectors();
});
afterAll(async () => {
  await emu.close();
});

const zohoRequests = () => emu.stats().totalRequests;

describe('Redis unreachable', () => {
  it('lookups still answer from Zoho', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    const zoho = connectorFor(emu, {
      connectionId: 'tenant-redis-down',
      tokenStore: createMemoryStore(),
      lookup: { sharedCache: { client } },
    });
    await authorize(zoho);
    const sources: string[] = [];
    zoho.on('lookup', (event) => sources.push(event.source));
    expect((await zoho.lookupCaller(ADA))?.name).toBe('Ada Lovelace');
    expect((await zoho.lookupCaller(ADA))?.name).toBe('Ada Lovelace');
    await zoho.invalidate(ADA);
    expect(sources).toEqual(['zoho', 'cache']);
    await zoho.close();
    client.disconnect();
  });
});

describe.skipIf(!REDIS_URL)('two processes, one Redis (skipped without REDIS_URL; .ci/run sets it)', () => {
  const connectionId = 'tenant-shared-cache';
  const keyPrefix = `zcc-cluster:${randomUUID()}`;
  const tag = `{${keyPrefix}:${connectionId}}`;
  let admin: Redis;
  const workers: Worker[] = [];

  beforeAll(async () => {
    admin = new Redis(REDIS_URL as string);
    // The admin authorizes once; both nodes read the grant from the Redis token store.
    const zoho = connectorFor(emu, {
      connectionId,
      tokenStore: createRedisStore({ client: admin, keyPrefix }),
    });
    await authorize(zoho);
    await zoho.close();
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill();
    const keys = await admin.keys(`${tag}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  async function node(): Promise<(command: string) => Promise<Record<string, unknown>>> {
    const worker = spawnWorker(fixture, {
      REDIS_URL: REDIS_URL as string,
      KEY_PREFIX: keyPrefix,
      TTL_MS: String(TTL_MS),
      CHANNEL_TOKEN,
      CONNECTION_ID: connectionId,
      CLIENT_ID: CLIENT.clientId,
      CLIENT_SECRET: CLIENT.clientSecret,
      REDIRECT_URI: CLIENT.redirectUri,
      ENDPOINTS: JSON.stringify({ regions: emu.regions }),
    });
    workers.push(worker);
    await Promise.race([worker.printed('ready'), worker.exited]);
    let sent = 0;
    return async (command) => {
      const n = ++sent;
      const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
        const listen = () => {
          const line = worker
            .stdout()
            .split('\n')
            .find((l) => l.startsWith(`${n} `));
          if (!line) return;
          worker.child.stdout?.off('data', listen);
          resolve(JSON.parse(line.slice(String(n).length + 1)) as Record<string, unknown>);
        };
        worker.child.stdout?.on('data', listen);
        worker.exited.then(() => reject(new Error('the node exited')), reject);
      });
      worker.child.stdin?.write(`${n} ${command}\n`);
      return answered;
    };
  }

  /** Waits until both nodes listen on the connection's invalidation channel (subscribed on first use). */
  async function bothListening() {
    const channel = `${tag}:forget`;
    await vi.waitFor(async () => expect(await admin.pubsub('NUMSUB', channel)).toEqual([channel, 2]), {
      timeout: 10_000,
      interval: 10,
    });
  }

  /** Waits until a node's answer is in Redis (written in the background after Zoho answered). */
  async function inRedis() {
    await vi.waitFor(async () => expect(await admin.exists(`${tag}:caller:${ADA}`)).toBe(1), {
      timeout: 10_000,
      interval: 10,
    });
  }

  it('a lookup in A answers B without Zoho; an invalidation in A (by number, record id or change notification) reaches B', {
    timeout: 120_000,
  }, async () => {
    const [a, b] = await Promise.all([node(), node()]);

    expect(await a(`lookup ${ADA}`)).toEqual({ name: 'Ada Lovelace', source: 'zoho' });
    await inRedis();
    const before = zohoRequests();
    expect(await b(`lookup ${ADA}`)).toEqual({ name: 'Ada Lovelace', source: 'cache' });
    expect(zohoRequests()).toBe(before);

    // The keys carry the prefix and the connection; their TTL is the configured one at most.
    const keys = await admin.keys(`${tag}*`);
    expect(keys).toEqual(expect.arrayContaining([`${tag}:caller:${ADA}`, `${tag}:record:${adaId}`]));
    for (const key of keys.filter((k) => !k.endsWith(':tokens') && !k.endsWith(':calibration'))) {
      const ttl = await admin.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(TTL_MS);
    }

    await bothListening();
    for (const invalidation of ['(415) 555-0101', adaId]) {
      expect(await a(`invalidate ${invalidation}`)).toEqual({ ok: true });
      expect(await admin.exists(`${tag}:caller:${ADA}`)).toBe(0);
      const asked = zohoRequests();
      // B answers from its own cache until the notice arrives, then asks Zoho (Redis was emptied first).
      await expect
        .poll(async () => (await b(`lookup ${ADA}`)).source, { timeout: 10_000, interval: 10 })
        .toBe('zoho');
      expect(zohoRequests()).toBeGreaterThan(asked);
      await inRedis(); // B's fresh answer is shared again before the next invalidation
    }

    // A change notification handled by A (a record created in Zoho) drops the misses in Redis and in B.
    const UNKNOWN = '+14155550199';
    expect(await a(`lookup ${UNKNOWN}`)).toEqual({ name: null, source: 'zoho' });
    await vi.waitFor(async () => expect(await admin.get(`${tag}:caller:${UNKNOWN}`)).toBe('-'), {
      timeout: 10_000,
      interval: 10,
    });
    expect(await b(`lookup ${UNKNOWN}`)).toEqual({ name: null, source: 'cache' });
    const insert = {
      module: 'Contacts',
      ids: ['1'],
      operation: 'insert',
      channel_id: '1',
      token: CHANNEL_TOKEN,
    };
    expect(await a(`notify ${JSON.stringify(insert)}`)).toMatchObject({ operation: 'insert' });
    expect(await admin.exists(`${tag}:caller:${UNKNOWN}`)).toBe(0);
    await expect
      .poll(async () => (await b(`lookup ${UNKNOWN}`)).source, { timeout: 10_000, interval: 10 })
      .toBe('zoho');

    await Promise.all([a('quit').catch(() => undefined), b('quit').catch(() => undefined)]);
    await Promise.all(workers.map((w) => w.exited));
  });
});
