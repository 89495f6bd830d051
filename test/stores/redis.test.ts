import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, TokenStoreError } from '../../src/errors.js';
import { createRedisStore } from '../../src/stores/redis.js';
import type { StoredTokens } from '../../src/stores/types.js';
import { assertTokenStoreContract } from '../../src/testing/token-store-contract.js';

const REDIS_URL = process.env.REDIS_URL;
const key = randomBytes(32).toString('base64');

function tokens(label = 'a'): StoredTokens {
  return {
    accessToken: `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`,
    refreshToken: `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`,
    expiresAt: Date.now() + 3_600_000,
    apiDomain: `https://www.zohoapis.eu/${label}`,
    accountsServer: 'https://accounts.zoho.eu',
    region: 'EU',
    scope: 'ZohoCRM.modules.contacts.READ',
    grantedAt: Date.now(),
  };
}

/** CRC16-XMODEM, as Redis Cluster uses it (cluster spec, appendix A). */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of a key, hash tags included (what `CLUSTER KEYSLOT` answers). */
function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf('{');
  if (open !== -1) {
    const close = bytes.indexOf('}', open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % 16384;
  }
  return crc16(bytes) % 16384;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

function expectNoSecrets(error: unknown, secrets: string[]): void {
  const text = [
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 9 }),
    String((error as Error).stack),
  ];
  for (const secret of secrets) expect(text.join('\n')).not.toContain(secret);
}

describe('keySlot (test helper)', () => {
  it('matches the Redis Cluster spec vectors', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // empty tag: whole key
    expect(keySlot('foo{{bar}}zap')).toBe(crc16(Buffer.from('{bar')) % 16384);
  });
});

describe('redis store options (no server needed)', () => {
  const client = new Redis({ lazyConnect: true });
  afterAll(() => client.disconnect());

  it.each([
    ['no client', {}, 'client'],
    ['something that is not a client', { client: { get: 1 } }, 'client'],
    ['an empty keyPrefix', { client, keyPrefix: '' }, 'keyPrefix'],
    ['a short key', { client, encryptionKey: 'c2hvcnQ=' }, 'encryptionKey'],
    ['previous keys without a key', { client, previousEncryptionKeys: [key] }, 'previousEncryptionKeys'],
    ['an unknown option', { client, prefix: 'x' }, 'prefix'],
    ['a bad lock timeout', { client, lockTimeoutMs: Number.NaN }, 'lockTimeoutMs'],
  ])('rejects %s with a ConfigError naming the option', (_, options, path) => {
    let error: unknown;
    try {
      createRedisStore(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toContain(path);
    expectNoSecrets(error, ['c2hvcnQ=', key]);
  });

  it('accepts a Cluster client and never connects at construction', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(() => createRedisStore({ client: cluster })).not.toThrow();
    expect(cluster.status).toBe('wait');
    cluster.disconnect();
  });

  it('turns Redis failures into TokenStoreError without tokens in them', async () => {
    const down = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const store = createRedisStore({ client: down });
    const saved = tokens();
    for (const [operation, run] of [
      ['get', () => store.get('tenant-42')],
      ['set', () => store.set('tenant-42', saved)],
      ['delete', () => store.delete('tenant-42')],
      ['lock', () => store.withLock('tenant-42', 1000, async () => 1)],
    ] as const) {
      const error = await rejection(run());
      expect(error).toBeInstanceOf(TokenStoreError);
      expect(error).toMatchObject({ store: 'redis', operation, retryable: true });
      expectNoSecrets(error, [saved.accessToken, saved.refreshToken]);
    }
    down.disconnect();
  });
});

describe.skipIf(!REDIS_URL)(
  'redis store (skipped without REDIS_URL; .ci/run sets it to the local Redis)',
  () => {
    let client: Redis;
    const prefix = `zcc-test:${process.pid}:${randomUUID()}`;
    let stores = 0;
    /** A fresh keyPrefix under this run's prefix, so tests never see each other's keys. */
    const freshPrefix = () => {
      stores += 1;
      return `${prefix}:${stores}`;
    };
    /** Every key this run created. */
    const ourKeys = async (under = prefix): Promise<string[]> => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `{${under}:*`, 'COUNT', 1000);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      return found.sort();
    };

    beforeAll(() => {
      client = new Redis(REDIS_URL!);
    });
    afterAll(async () => {
      const keys = await ourKeys();
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    });

    it('README example', async () => {
      const store = createRedisStore({ client, keyPrefix: freshPrefix() });
      const saved = tokens();
      await store.set('tenant-42', saved);
      expect(await store.get('tenant-42')).toEqual(saved);
      await store.delete('tenant-42');
    });

    it('meets the TokenStore contract, shared between two instances like two PBX nodes', async () => {
      const keyPrefix = freshPrefix();
      await assertTokenStoreContract(() => createRedisStore({ client, keyPrefix }), {
        shared: true,
        lockTtlMs: 200,
      });
      expect(await ourKeys(keyPrefix)).toEqual([]);
    });

    it('meets the TokenStore contract with encryption, over two connections', async () => {
      const keyPrefix = freshPrefix();
      const second = client.duplicate();
      let calls = 0;
      try {
        await assertTokenStoreContract(
          () => createRedisStore({ client: calls++ === 0 ? client : second, keyPrefix, encryptionKey: key }),
          { shared: true, lockTtlMs: 200 },
        );
      } finally {
        await second.quit();
      }
    });

    it('keeps the tokens key and the lock key of a connection in one cluster slot, braces escaped', async () => {
      const keyPrefix = freshPrefix();
      const store = createRedisStore({ client, keyPrefix });
      const ids = ['tenant-42', 'a{b}c', '{}', '}{', '{', 'a:b', '%7B', 'ünï 😀'];
      for (const id of ids) {
        await store.set(id, tokens(id));
        await store.withLock(id, 5_000, async () => {
          const keys = await ourKeys(keyPrefix);
          const lockKey = keys.find((k) => k.endsWith(':lock'));
          const tokensKey = lockKey!.replace(/:lock$/, ':tokens');
          expect(keys).toContain(tokensKey);
          expect(keySlot(lockKey!)).toBe(keySlot(tokensKey));
          // Exactly one hash tag, holding the prefix and the escaped id.
          expect(tokensKey.match(/[{}]/g)).toEqual(['{', '}']);
          expect(tokensKey.startsWith(`{${keyPrefix}:`)).toBe(true);
        });
        await store.delete(id);
      }
      expect(await ourKeys(keyPrefix)).toEqual([]);
      // Escaping is injective: ids that escape to look alike stay apart.
      await store.set('a{b', tokens('one'));
      await store.set('a%7Bb', tokens('two'));
      expect((await store.get('a{b'))?.apiDomain).toMatch(/one$/);
      expect((await store.get('a%7Bb'))?.apiDomain).toMatch(/two$/);
    });

    it('stores one value per connection, as JSON, with no expiry', async () => {
      const keyPrefix = freshPrefix();
      const store = createRedisStore({ client, keyPrefix });
      const saved = tokens();
      await store.set('tenant-42', saved);
      expect(await ourKeys(keyPrefix)).toEqual([`{${keyPrefix}:tenant-42}:tokens`]);
      expect(JSON.parse((await client.get(`{${keyPrefix}:tenant-42}:tokens`))!)).toEqual(saved);
      expect(await client.pttl(`{${keyPrefix}:tenant-42}:tokens`)).toBe(-1);
    });

    it('encrypts values when given a key: nothing readable is stored', async () => {
      const keyPrefix = freshPrefix();
      const store = createRedisStore({ client, keyPrefix, encryptionKey: key });
      const saved = tokens('encrypted-check');
      await store.set('tenant-42', saved);
      const raw = (await client.get(`{${keyPrefix}:tenant-42}:tokens`))!;
      for (const secret of [saved.accessToken, saved.refreshToken, saved.apiDomain, saved.scope!, '1000.']) {
        expect(raw).not.toContain(secret);
        expect(Buffer.from(raw, 'base64').includes(Buffer.from(secret))).toBe(false);
      }
      expect(Buffer.from(raw, 'base64').subarray(0, 4).toString('latin1')).toBe('ZCT\u0001');
      expect(await store.get('tenant-42')).toEqual(saved);
    });

    it('raises TokenStoreError for mismatched, wrong-key or corrupt values, without secrets', async () => {
      const keyPrefix = freshPrefix();
      const plain = createRedisStore({ client, keyPrefix });
      const encrypted = createRedisStore({ client, keyPrefix, encryptionKey: key });
      const otherKey = randomBytes(32).toString('base64');
      const wrongKey = createRedisStore({ client, keyPrefix, encryptionKey: otherKey });
      const saved = tokens();
      const secrets = [saved.accessToken, saved.refreshToken, key, otherKey];

      await plain.set('plain', saved);
      await encrypted.set('sealed', saved);
      await client.set(`{${keyPrefix}:garbage}:tokens`, '{"accessToken":"1000.aa.bb"');
      await client.set(`{${keyPrefix}:garbage-sealed}:tokens`, 'WkNUAQAAAAA=');

      const cases = [
        [encrypted.get('plain'), /are not encrypted, but this store has an encryptionKey/],
        [plain.get('sealed'), /are encrypted or not a token document/],
        [wrongKey.get('sealed'), /key that is not configured/],
        [plain.get('garbage'), /are not a valid token document \(not valid JSON\)/],
        [encrypted.get('garbage-sealed'), /are not an encrypted token document/],
      ] as const;
      for (const [promise, message] of cases) {
        const error = await rejection(promise);
        expect(error).toBeInstanceOf(TokenStoreError);
        expect(error).toMatchObject({ store: 'redis', operation: 'get' });
        expect((error as Error).message).toMatch(message);
        expectNoSecrets(error, [...secrets, '1000.aa.bb']);
      }
    });

    describe('withLock', () => {
      it('releases only its own lock (compare-and-delete)', async () => {
        const keyPrefix = freshPrefix();
        const store = createRedisStore({ client, keyPrefix });
        const lockKey = `{${keyPrefix}:tenant-42}:lock`;
        await store.withLock('tenant-42', 5_000, async () => {
          expect(await client.get(lockKey)).toMatch(/^[0-9a-f]{32}$/);
          const pttl = await client.pttl(lockKey);
          expect(pttl).toBeGreaterThan(0);
          expect(pttl).toBeLessThanOrEqual(5_000);
          // Simulate: our TTL ran out and another node took the lock.
          await client.set(lockKey, 'another-node', 'PX', 10_000);
        });
        expect(await client.get(lockKey)).toBe('another-node');
        await client.del(lockKey);
        await store.withLock('tenant-42', 5_000, async () => undefined);
        expect(await client.exists(lockKey)).toBe(0);
      });

      it('takes over a lock whose holder died once its TTL expires', async () => {
        const keyPrefix = freshPrefix();
        const store = createRedisStore({ client, keyPrefix, lockTimeoutMs: 10_000 });
        await client.set(`{${keyPrefix}:tenant-42}:lock`, 'dead-node', 'PX', 150);
        const started = Date.now();
        expect(await store.withLock('tenant-42', 5_000, async () => 'ran')).toBe('ran');
        expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      });

      it('fails with operation "lock" after lockTimeoutMs, leaving the holder alone', async () => {
        const keyPrefix = freshPrefix();
        const store = createRedisStore({ client, keyPrefix, lockTimeoutMs: 100 });
        const lockKey = `{${keyPrefix}:tenant-42}:lock`;
        await client.set(lockKey, 'alive-node', 'PX', 60_000);
        let ran = false;
        const error = await rejection(
          store.withLock('tenant-42', 1_000, async () => {
            ran = true;
          }),
        );
        expect(ran).toBe(false);
        expect(error).toBeInstanceOf(TokenStoreError);
        expect(error).toMatchObject({ store: 'redis', operation: 'lock', retryable: true });
        expect((error as Error).message).toMatch(/timed out after 100 ms/);
        expect(await client.get(lockKey)).toBe('alive-node');
      });

      it('rejects a ttl that is not a positive number (a programming error)', async () => {
        const store = createRedisStore({ client, keyPrefix: freshPrefix() });
        await expect(store.withLock('tenant-42', -5, async () => 1)).rejects.toThrow(RangeError);
      });
    });
  },
);
