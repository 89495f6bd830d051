import { randomBytes, randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, JournalStoreError } from '../../src/errors.js';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import { isJournalStore } from '../../src/journal/store.js';
import { createFileJournalStore } from '../../src/stores/journal-file.js';
import { createRedisJournalStore } from '../../src/stores/journal-redis.js';
import { assertJournalStoreContract } from '../../src/testing/journal-store-contract.js';
import { op } from './ops.js';

const REDIS_URL = process.env.REDIS_URL;

describe('the JournalStore contract', () => {
  it('holds for the memory store', () => assertJournalStoreContract(() => createMemoryJournalStore()));

  it.each([
    ['file store', {}],
    ['encrypted file store', { encryptionKey: randomBytes(32), fsync: false }],
  ])('holds for the %s', async (_, extra) => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    const store = createFileJournalStore({ path: dir, ...extra });
    try {
      await assertJournalStoreContract(() => store);
    } finally {
      await store.close?.();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!REDIS_URL)('Redis journal store (needs REDIS_URL, e.g. redis://127.0.0.1:6379)', () => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(REDIS_URL as string, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await client.quit();
  });
  it.each([
    ['Redis store', undefined],
    ['encrypted Redis store', randomBytes(32)],
  ])('the JournalStore contract holds for the %s, shared by two instances', async (_, encryptionKey) => {
    const keyPrefix = `test-journal-${randomUUID()}`;
    try {
      await assertJournalStoreContract(
        () => createRedisJournalStore({ client, keyPrefix, ...(encryptionKey ? { encryptionKey } : {}) }),
        { shared: true },
      );
    } finally {
      const keys = await client.keys(`{${keyPrefix}:*`);
      if (keys.length > 0) await client.del(...keys);
    }
  });

  it('expires ledger entries after ledgerTtlMs and keeps every key of a connection in one cluster slot', async () => {
    const keyPrefix = `test-journal-${randomUUID()}`;
    const store = createRedisJournalStore({ client, keyPrefix, ledgerTtlMs: 60_000 });
    await store.setLogged('tenant:{42}', 'c1', 'z1');
    await store.add('tenant:{42}', op('create:c1', 'c1'));
    const keys = await client.keys(`{${keyPrefix}:*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(new Set(keys.map((k) => k.slice(0, k.indexOf('}') + 1)))).toEqual(
      new Set([`{${keyPrefix}:tenant%3A%7B42%7D}`]),
    );
    const ttl = await client.pttl(keys.find((k) => k.includes(':ledger:')) as string);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await client.del(...keys);
  });

  it('turns Redis failures and unreadable values into JournalStoreErrors', async () => {
    const keyPrefix = `test-journal-${randomUUID()}`;
    const plain = createRedisJournalStore({ client, keyPrefix });
    await plain.add('t', op('create:c1', 'c1'));
    const encrypted = createRedisJournalStore({ client, keyPrefix, encryptionKey: randomBytes(32) });
    const error = await encrypted
      .claimDue('t', { now: Date.now(), leaseMs: 1, limit: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalStoreError);
    expect((error as JournalStoreError).message).toContain('wrong key, or corrupt');
    const broken = createRedisJournalStore({
      client: {
        ...client,
        get: () => Promise.reject(new Error('ECONNRESET')),
        set() {},
        eval() {},
        hgetall() {},
        zcard() {},
        zrange() {},
        llen() {},
        lrange() {},
      } as never,
    });
    await expect(broken.getLogged('t', 'c1')).rejects.toMatchObject({
      code: ErrorCode.JOURNAL_STORE,
      store: 'journal-redis',
      operation: 'getLogged',
      retryable: true,
    });
    const keys = await client.keys(`{${keyPrefix}:*`);
    if (keys.length > 0) await client.del(...keys);
  });
});

describe('store options', () => {
  it('checks file store options, naming paths and never values', () => {
    const secret = 'c2VjcmV0LWtleS10aGF0LWlzLXRvby1zaG9ydA==';
    const error = (() => {
      try {
        createFileJournalStore({
          path: '',
          encryptionKey: secret,
          fsync: 'yes' as never,
          ledgerTtlMs: -1,
          extra: 1,
        } as never);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'encryptionKey',
      'extra',
      'fsync',
      'ledgerTtlMs',
      'path',
    ]);
    expect(error.message).not.toContain(secret);
    expect(() => createFileJournalStore(null as never)).toThrow(ConfigError);
    expect(() => createFileJournalStore({ path: '/tmp/x', previousEncryptionKeys: [] })).toThrow(
      /requires encryptionKey/,
    );
  });

  it('checks Redis store options', () => {
    expect(() => createRedisJournalStore({ client: {} as never, keyPrefix: '', ledgerTtlMs: 0 })).toThrow(
      /client.*keyPrefix.*ledgerTtlMs/,
    );
    expect(() => createRedisJournalStore(null as never)).toThrow(ConfigError);
    expect(() =>
      createRedisJournalStore({ client: {} as never, encryptionKey: 'short', other: 1 } as never),
    ).toThrow(/encryptionKey/);
    expect(() => createRedisJournalStore({ client: {} as never, previousEncryptionKeys: [] })).toThrow(
      /requires encryptionKey/,
    );
  });

  it('recognises a store by its methods', () => {
    expect(isJournalStore(createMemoryJournalStore())).toBe(true);
    expect(isJournalStore({ getLogged() {} })).toBe(false);
    expect(isJournalStore(null)).toBe(false);
  });
});

describe('file journal store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const fresh = async () => mkdtemp(join(dir, 'case-'));

  it('survives a restart: ledger, queued operations (unleased) and dead letters', async () => {
    const path = await fresh();
    const first = createFileJournalStore({ path });
    await first.setLogged('t', 'c0', 'z0');
    await first.add('t', op('create:c1', 'c1'));
    await first.add('t', op('note:c1:a', 'c1'));
    await first.add('t', op('create:c2', 'c2'));
    await first.claimDue('t', { now: Date.now(), leaseMs: 60_000, limit: 10 });
    await first.release('t', op('create:c2', 'c2', { attempts: 3, nextAttemptAt: 5 }));
    await first.bury('t', {
      op: op('create:c3', 'c3'),
      error: { code: 'ZOHO_API', message: 'no' },
      failedAt: 7,
    });
    await first.remove('t', op('note:c1:a', 'c1'));
    // No close(): the process "dies" with everything acknowledged on disk.
    const second = createFileJournalStore({ path });
    expect(await second.getLogged('t', 'c0')).toBe('z0');
    expect(await second.pending('t')).toEqual({ count: 2, nextAttemptAt: 5 });
    const claimed = await second.claimDue('t', { now: Date.now(), leaseMs: 1_000, limit: 10 });
    expect(claimed.map((o) => [o.id, o.attempts])).toEqual([
      ['create:c2', 3],
      ['create:c1', 0],
    ]);
    expect((await second.deadLetters('t')).map((l) => l.op.id)).toEqual(['create:c3']);
    expect(await second.unbury('t', 'create:c3')).toBeDefined();
    const third = createFileJournalStore({ path });
    expect(await third.deadLetters('t')).toEqual([]);
    await Promise.all([first.close?.(), second.close?.(), third.close?.()]);
  });

  it('writes one file per connection, named by hash, mode 0600, in a 0700 directory', async () => {
    const path = join(await fresh(), 'nested', 'journal');
    const store = createFileJournalStore({ path });
    await store.add('../../etc/passwd', op('create:c1', 'c1'));
    await store.add('tenant-2', op('create:c1', 'c1'));
    const files = await readdir(path);
    expect(files).toHaveLength(2);
    for (const file of files) expect(file).toMatch(/^[0-9a-f]{64}\.journal$/);
    expect((await stat(join(path, files[0] as string))).mode & 0o777).toBe(0o600);
    expect((await stat(path)).mode & 0o777).toBe(0o700);
    await store.close?.();
  });

  it('drops a last line cut short by a crash, and quarantines a corrupt line in the middle', async () => {
    const path = await fresh();
    const store = createFileJournalStore({ path });
    await store.add('t', op('create:c1', 'c1'));
    await store.close?.();
    const [file] = await readdir(path);
    const full = join(path, file as string);
    await appendFile(full, '{"t":"O","o":{"id":"create:c2"');
    const reopened = createFileJournalStore({ path });
    expect((await reopened.pending('t')).count).toBe(1);
    await reopened.add('t', op('create:c3', 'c3'));
    await reopened.close?.();
    // The cut line was removed, so the next line started cleanly.
    const lines = (await readFile(full, 'utf8')).split('\n').filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { o: { id: string } }).o.id)).toEqual([
      'create:c1',
      'create:c3',
    ]);
    expect((await createFileJournalStore({ path }).pending('t')).count).toBe(2);

    // A bad line followed by good ones is corruption, not a crash: quarantined, the rest goes on.
    await writeFile(full, `${lines[0]}\nnot json\n${lines[1]}\n`);
    const again = createFileJournalStore({ path });
    expect((await again.pending('t')).count).toBe(2);
    expect(await again.quarantined?.('t')).toMatchObject({
      count: 1,
      entries: [{ reason: 'line 2: not valid JSON' }],
    });
    await again.close?.();
  });

  it('encrypts lines at rest and refuses the wrong key', async () => {
    const path = await fresh();
    const key = randomBytes(32);
    const store = createFileJournalStore({ path, encryptionKey: key });
    await store.add('t', op('create:c1', 'c1', { note: '+14155552671' }));
    await store.close?.();
    const [file] = await readdir(path);
    const text = await readFile(join(path, file as string), 'utf8');
    expect(text).not.toContain('4155552671');
    expect(text).not.toContain('create:c1');
    const rotated = createFileJournalStore({
      path,
      encryptionKey: randomBytes(32),
      previousEncryptionKeys: [key],
    });
    expect((await rotated.pending('t')).count).toBe(1);
    await rotated.close?.();
    const wrong = createFileJournalStore({ path, encryptionKey: randomBytes(32) });
    await expect(wrong.pending('t')).rejects.toThrow(/wrong key, or corrupt/);
    const plain = createFileJournalStore({ path });
    await expect(plain.pending('t')).rejects.toThrow(/configure encryptionKey/);
  });

  it('compacts the log when it grows, keeping the state and dropping expired ledger entries', async () => {
    const path = await fresh();
    const store = createFileJournalStore({ path, compactAfterLines: 50, fsync: false });
    for (let i = 0; i < 200; i++) {
      const o = op(`create:c${i}`, `c${i}`);
      await store.add('t', o);
      await store.setLogged('t', `c${i}`, `z${i}`);
      if (i % 10 !== 0) await store.remove('t', o);
    }
    await store.close?.();
    const [file] = await readdir(path);
    const lines = (await readFile(join(path, file as string), 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThan(400);
    const reopened = createFileJournalStore({ path });
    expect((await reopened.pending('t')).count).toBe(20);
    expect(await reopened.getLogged('t', 'c199')).toBe('z199');
    expect(await reopened.getLogged('t', 'c0')).toBe('z0');
    await reopened.close?.();
    const short = createFileJournalStore({ path, ledgerTtlMs: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await short.getLogged('t', 'c0')).toBeUndefined();
    await short.close?.();
  });

  it('groups concurrent writes, refuses use after close, and reports a log it cannot read', async () => {
    const path = await fresh();
    const store = createFileJournalStore({ path });
    await Promise.all(Array.from({ length: 500 }, (_, i) => store.add('t', op(`create:c${i}`, `c${i}`))));
    await store.close?.();
    await expect(store.add('t', op('create:late', 'late'))).rejects.toThrow(/closed/);
    const reopened = createFileJournalStore({ path });
    expect((await reopened.pending('t')).count).toBe(500);
    await reopened.close?.();

    // A directory where the log file should be: every write fails, and says so.
    const blocked = await fresh();
    const name = (await readdir(path))[0] as string;
    await writeFile(join(blocked, 'placeholder'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(blocked, name));
    const failing = createFileJournalStore({ path: blocked });
    await expect(failing.add('t', op('create:x', 'x'))).rejects.toMatchObject({ operation: 'load' });
  });
});
