/**
 * The Redis journal store: a bad value never blocks the queue, and the store says what it needs to be
 * durable and to fail fast when Redis is down.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JournalQuarantineEvent } from '../../src/journal/store.js';
import type { Logger } from '../../src/logger.js';
import { createRedisJournalStore } from '../../src/stores/journal-redis.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { queuesForever } from '../../src/stores/redis-client.js';
import { op, T } from '../journal/ops.js';

const REDIS_URL = process.env.REDIS_URL;

function spyLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

describe.skipIf(!REDIS_URL)(
  'Redis journal store faults (needs REDIS_URL, e.g. redis://127.0.0.1:6379)',
  () => {
    let client: Redis;
    const prefixes: string[] = [];
    beforeAll(() => {
      client = new Redis(REDIS_URL as string, { maxRetriesPerRequest: 1 });
    });
    afterAll(async () => {
      for (const prefix of prefixes) {
        const keys = await client.keys(`{${prefix}:*`);
        if (keys.length > 0) await client.del(...keys);
      }
      await client.quit();
    });
    const fresh = () => {
      const keyPrefix = `test-journal-faults-${randomUUID()}`;
      prefixes.push(keyPrefix);
      return keyPrefix;
    };

    it.each([
      ['garbage', () => 'garbage'],
      [
        'valid JSON of the wrong shape',
        () => JSON.stringify({ id: 'note:c3:x', callId: 'c3', kind: 'note', attempts: 'many' }),
      ],
    ])('quarantines %s in the outbox; every other operation is still claimed', async (_, bad) => {
      const keyPrefix = fresh();
      const events: JournalQuarantineEvent[] = [];
      const store = createRedisJournalStore({ client, keyPrefix, onQuarantine: (e) => events.push(e) });
      for (const i of [1, 2, 4]) await store.add('t', op(`create:c${i}`, `c${i}`));
      const base = `{${keyPrefix}:t}:journal:`;
      await client.hset(`${base}ops`, 'note:c3:x', bad());
      await client.zadd(`${base}due`, T - 1, 'note:c3:x');
      await client.sadd(`${base}call:c3`, 'note:c3:x');

      const claimed = await store.claimDue('t', { now: T, leaseMs: 1_000, limit: 10 });
      expect(claimed.map((o) => o.id).sort()).toEqual(['create:c1', 'create:c2', 'create:c4']);
      expect(events).toEqual([
        expect.objectContaining({ connectionId: 't', store: 'journal-redis', location: `${base}quarantine` }),
      ]);
      expect(await store.pending('t')).toMatchObject({ count: 3 });
      const report = await store.quarantined?.('t');
      expect(report?.count).toBe(1);
      expect(report?.entries[0]?.reason).toMatch(/not valid JSON|wrong shape: op\./);
      // Kept verbatim for the operator, out of the way of every later claim ("restart": a new instance).
      const kept = JSON.parse((await client.lindex(`${base}quarantine`, 0)) as string) as {
        id: string;
        value: string;
      };
      expect(kept).toMatchObject({ id: 'note:c3:x', value: bad() });
      const restarted = createRedisJournalStore({ client, keyPrefix });
      expect(await restarted.claimCalls('t', ['c3'], { now: T + 5_000, leaseMs: 1 })).toEqual([]);
      expect((await restarted.claimDue('t', { now: T + 5_000, leaseMs: 1, limit: 10 })).length).toBe(3);
    });

    it('quarantines a tampered encrypted value and a bad dead letter, but fails on a key it does not have', async () => {
      const keyPrefix = fresh();
      const key = randomBytes(32);
      const store = createRedisJournalStore({ client, keyPrefix, encryptionKey: key });
      await store.add('t', op('create:c1', 'c1'));
      await store.add('t', op('create:c2', 'c2'));
      await store.bury('t', {
        op: op('create:c9', 'c9'),
        error: { code: 'ZOHO_API', message: 'no' },
        failedAt: 1,
      });
      const base = `{${keyPrefix}:t}:journal:`;
      const sealed = (await client.hget(`${base}ops`, 'create:c2')) as string;
      const bytes = Buffer.from(sealed, 'base64');
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
      await client.hset(`${base}ops`, 'create:c2', bytes.toString('base64'));
      await client.hset(`${base}dead`, 'create:c8', 'not a letter');

      expect((await store.claimDue('t', { now: T, leaseMs: 1, limit: 10 })).map((o) => o.id)).toEqual([
        'create:c1',
      ]);
      expect((await store.deadLetters('t')).map((l) => l.op.id)).toEqual(['create:c9']);
      expect((await store.quarantined?.('t'))?.count).toBe(2);

      const wrongKey = createRedisJournalStore({ client, keyPrefix, encryptionKey: randomBytes(32) });
      await expect(wrongKey.claimDue('t', { now: T + 10, leaseMs: 1, limit: 10 })).rejects.toThrow(
        /key that is not configured \(wrong key, or corrupt\)/,
      );
      expect((await store.quarantined?.('t'))?.count).toBe(2);
    });

    it('warns at creation when Redis runs without AOF, or when CONFIG is refused', async () => {
      const logger = spyLogger();
      const config = vi.fn(async (_get: string, name: string) => [
        name,
        name === 'appendonly' ? 'no' : 'everysec',
      ]);
      createRedisJournalStore({ client: Object.assign(Object.create(client) as Redis, { config }), logger });
      await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(1), { timeout: 15_000 });
      expect(logger.warn.mock.calls[0]?.[1]).toMatch(/without AOF persistence/);

      const refused = spyLogger();
      const deny = vi.fn(async () => {
        throw new Error("ERR unknown command 'config'");
      });
      createRedisJournalStore({
        client: Object.assign(Object.create(client) as Redis, { config: deny }),
        logger: refused,
      });
      await vi.waitFor(() => expect(refused.warn).toHaveBeenCalledTimes(1), { timeout: 15_000 });
      expect(refused.warn.mock.calls[0]?.[1]).toMatch(/could not check/);

      const durable = spyLogger();
      const yes = vi.fn(async (_get: string, name: string) => [
        name,
        name === 'appendonly' ? 'yes' : 'everysec',
      ]);
      createRedisJournalStore({
        client: Object.assign(Object.create(client) as Redis, { config: yes }),
        logger: durable,
      });
      await vi.waitFor(() => expect(yes).toHaveBeenCalledTimes(2), { timeout: 15_000 });
      await Promise.resolve();
      expect(durable.warn).not.toHaveBeenCalled();
    });
  },
);

describe('Redis stores and a dead Redis', () => {
  let port: number;
  beforeAll(async () => {
    // A port nothing listens on: bind one, note it, close it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('warns at creation when the client would queue commands forever', () => {
    const endless = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: null });
    const bounded = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
    expect(queuesForever(endless)).toBe(true);
    expect(queuesForever(bounded)).toBe(false);
    expect(
      queuesForever(
        new Redis({ port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: null }),
      ),
    ).toBe(false);
    const logger = spyLogger();
    createRedisStore({ client: endless, logger });
    createRedisJournalStore({ client: bounded, logger });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[1]).toMatch(/queues commands forever/);
    endless.disconnect();
    bounded.disconnect();
  });

  it('with the documented client options, a dead Redis fails the call with a retryable store error', async () => {
    const client = new Redis({
      port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await expect(createRedisStore({ client }).get('t')).rejects.toMatchObject({
        name: 'TokenStoreError',
        retryable: true,
      });
      await expect(createRedisJournalStore({ client }).pending('t')).rejects.toMatchObject({
        name: 'JournalStoreError',
        retryable: true,
      });
    } finally {
      client.disconnect();
    }
  });
});
