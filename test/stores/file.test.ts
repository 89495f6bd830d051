import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, TokenStoreError } from '../../src/errors.js';
import { createFileStore } from '../../src/stores/file.js';
import type { StoredTokens } from '../../src/stores/types.js';
import { assertTokenStoreContract } from '../../src/testing/token-store-contract.js';

let root: string;
const key = randomBytes(32);
const keyBase64 = key.toString('base64');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'zcc-file-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
/** A fresh directory path (not created yet) under the test root. */
function freshDir(): string {
  dirs += 1;
  return join(root, `store-${dirs}`, 'tokens');
}

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

const fileName = (connectionId: string) => createHash('sha256').update(connectionId, 'utf8').digest('hex');

/** The error a promise rejects with (fails the test when it resolves). */
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
  ].join('\n');
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('file store', () => {
  it('README example', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: keyBase64 });
    const saved = tokens();
    await store.set('tenant-42', saved);
    expect(await store.get('tenant-42')).toEqual(saved);
  });

  it('meets the TokenStore contract, shared between two instances like two processes', async () => {
    const path = freshDir();
    await assertTokenStoreContract(() => createFileStore({ path, encryptionKey: key }), {
      shared: true,
      lockTtlMs: 200,
    });
    expect(await readdir(path)).toEqual([]);
  });

  it('creates the directory with mode 0700 and each file with mode 0600', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    await expect(stat(path)).rejects.toThrow(); // nothing happens at construction
    await store.set('tenant-42', tokens());
    expect((await stat(path)).mode & 0o777).toBe(0o700);
    const file = join(path, `${fileName('tenant-42')}.tokens`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps no token, domain or scope in plaintext on disk', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    const saved = tokens('plaintext-check');
    await store.set('tenant-42', saved);
    await store.withLock('tenant-42', 1000, async () => {
      for (const name of await readdir(path)) {
        const bytes = await readFile(join(path, name));
        for (const secret of [
          saved.accessToken,
          saved.refreshToken,
          saved.apiDomain,
          saved.scope!,
          '1000.',
        ]) {
          expect(bytes.includes(Buffer.from(secret))).toBe(false);
        }
      }
    });
  });

  it('writes a fresh IV every time: the same tokens never encrypt to the same bytes', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    const saved = tokens();
    const file = join(path, `${fileName('tenant-42')}.tokens`);
    await store.set('tenant-42', saved);
    const first = await readFile(file);
    await store.set('tenant-42', saved);
    const second = await readFile(file);
    expect(first.subarray(0, 4).toString('latin1')).toBe('ZCT\u0001');
    expect(first.equals(second)).toBe(false);
  });

  it('names files after the SHA-256 of the id, so no id can reach outside the directory', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    const ids = ['../../escape', '/etc/passwd', 'a/b/c', '..', '.', 'C:\\Windows', 'nul', '\u0000'];
    for (const id of ids) await store.set(id, tokens());
    for (const id of ids) await store.withLock(id, 1000, async () => undefined);
    expect((await readdir(path)).sort()).toEqual(ids.map((id) => `${fileName(id)}.tokens`).sort());
    expect(await readdir(join(path, '..'))).toEqual(['tokens']);
  });

  it('leaves no temp files behind after many concurrent writes', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    const last = tokens('last');
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.set('tenant-42', i === 39 ? last : tokens())),
    );
    await store.set('tenant-42', last);
    expect(await readdir(path)).toEqual([`${fileName('tenant-42')}.tokens`]);
    expect(await store.get('tenant-42')).toEqual(last);
  });

  it('removes its temp file when the write fails, and says so with a TokenStoreError', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    await store.set('other', tokens());
    // A directory where the file should go makes the final rename fail.
    await mkdir(join(path, `${fileName('tenant-42')}.tokens`));
    const saved = tokens();
    const error = await rejection(store.set('tenant-42', saved));
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ store: 'file', operation: 'set', code: 'TOKEN_STORE' });
    expectNoSecrets(error, [saved.accessToken, saved.refreshToken]);
    expect((await readdir(path)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('raises TokenStoreError for a corrupt file, never partial data or file contents', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    const saved = tokens();
    await store.set('tenant-42', saved);
    const file = join(path, `${fileName('tenant-42')}.tokens`);
    const good = await readFile(file);

    const variants: [string, Buffer, RegExp][] = [
      ['garbage', Buffer.from('{"accessToken":"1000.x.y"}'), /not an encrypted token document/],
      ['empty', Buffer.alloc(0), /not an encrypted token document/],
      ['truncated', good.subarray(0, good.length - 20), /failed authentication/],
      [
        'one flipped bit',
        Buffer.from(good.map((byte, i) => (i === 30 ? byte ^ 1 : byte))),
        /failed authentication/,
      ],
      [
        'unknown version',
        Buffer.from(good.map((byte, i) => (i === 3 ? 9 : byte))),
        /not an encrypted token document/,
      ],
    ];
    for (const [, bytes, message] of variants) {
      await writeFile(file, bytes);
      const error = await rejection(store.get('tenant-42'));
      expect(error).toBeInstanceOf(TokenStoreError);
      expect(error).toMatchObject({ store: 'file', operation: 'get' });
      expect((error as Error).message).toMatch(message);
      expectNoSecrets(error, [saved.accessToken, saved.refreshToken, keyBase64, '1000.x.y']);
    }
  });

  it('raises TokenStoreError for the wrong key, without the key or the tokens in it', async () => {
    const path = freshDir();
    const saved = tokens();
    await createFileStore({ path, encryptionKey: key }).set('tenant-42', saved);
    const otherKey = randomBytes(32).toString('base64');
    const error = await rejection(createFileStore({ path, encryptionKey: otherKey }).get('tenant-42'));
    expect(error).toBeInstanceOf(TokenStoreError);
    expect((error as Error).message).toMatch(/key that is not configured/);
    expectNoSecrets(error, [saved.accessToken, saved.refreshToken, keyBase64, otherKey]);
  });

  it('refuses a file copied from another connection (the id is authenticated)', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    await store.set('tenant-a', tokens('a'));
    await store.set('tenant-b', tokens('b'));
    const fileA = join(path, `${fileName('tenant-a')}.tokens`);
    const fileB = join(path, `${fileName('tenant-b')}.tokens`);
    await writeFile(fileB, await readFile(fileA));
    await expect(store.get('tenant-b')).rejects.toThrow(/failed authentication/);
  });

  it('rotates keys: previous keys decrypt, the next write uses the new key', async () => {
    const path = freshDir();
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32).toString('base64url');
    const saved = tokens();
    await createFileStore({ path, encryptionKey: oldKey }).set('tenant-42', saved);
    const rotated = createFileStore({ path, encryptionKey: newKey, previousEncryptionKeys: [oldKey] });
    expect(await rotated.get('tenant-42')).toEqual(saved);
    await rotated.set('tenant-42', saved);
    await expect(createFileStore({ path, encryptionKey: oldKey }).get('tenant-42')).rejects.toThrow(
      TokenStoreError,
    );
    expect(await createFileStore({ path, encryptionKey: newKey }).get('tenant-42')).toEqual(saved);
  });

  it.each([
    ['a 31-byte key', { encryptionKey: randomBytes(31) }, 'encryptionKey'],
    ['a base64 key of 33 bytes', { encryptionKey: randomBytes(33).toString('base64') }, 'encryptionKey'],
    ['a hex key', { encryptionKey: randomBytes(32).toString('hex') }, 'encryptionKey'],
    ['a passphrase', { encryptionKey: 'correct horse battery staple' }, 'encryptionKey'],
    ['a number', { encryptionKey: 42 }, 'encryptionKey'],
    ['no key', {}, 'encryptionKey'],
    [
      'a bad previous key',
      { encryptionKey: key, previousEncryptionKeys: ['short'] },
      'previousEncryptionKeys[0]',
    ],
    ['no path', { path: '', encryptionKey: key }, 'path'],
    ['a negative lock timeout', { encryptionKey: key, lockTimeoutMs: -1 }, 'lockTimeoutMs'],
    ['an unknown option', { encryptionKey: key, encryption: 'x' }, 'encryption'],
  ])('rejects %s with a ConfigError naming the option, not its value', (_, options, path) => {
    const error = (() => {
      try {
        createFileStore({ path: freshDir(), ...options } as never);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toContain(path);
    const value = (options as Record<string, unknown>).encryptionKey;
    const shown =
      typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('base64') : undefined;
    if (shown) expectNoSecrets(error, [shown]);
  });

  it('accepts a base64 key with surrounding whitespace (an env file with a newline)', async () => {
    const path = freshDir();
    const saved = tokens();
    await createFileStore({ path, encryptionKey: `${keyBase64}\n` }).set('tenant-42', saved);
    expect(await createFileStore({ path, encryptionKey: key }).get('tenant-42')).toEqual(saved);
  });

  it('rejects tokens that could not be read back, before touching the disk', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    const error = await rejection(store.set('tenant-42', { ...tokens(), expiresAt: Number.NaN }));
    expect(error).toMatchObject({ store: 'file', operation: 'set' });
    expect((error as Error).message).toMatch(/expiresAt must be a finite number/);
    await expect(stat(path)).rejects.toThrow();
  });

  it('reports I/O failures as TokenStoreError with the operation', async () => {
    const file = join(root, `not-a-dir-${randomBytes(4).toString('hex')}`);
    await writeFile(file, 'x');
    const store = createFileStore({ path: join(file, 'tokens'), encryptionKey: key });
    await expect(store.set('tenant-42', tokens())).rejects.toMatchObject({ store: 'file', operation: 'set' });
    await expect(store.get('tenant-42')).rejects.toMatchObject({ store: 'file', operation: 'get' });
    await expect(store.withLock('tenant-42', 100, async () => 1)).rejects.toMatchObject({
      operation: 'lock',
    });
  });

  describe('withLock', () => {
    const lockFile = (path: string, id: string) => join(path, `${fileName(id)}.lock`);

    it('breaks a lock whose holder died (expired) without waiting for lockTimeoutMs', async () => {
      const path = freshDir();
      await mkdir(path, { recursive: true });
      await writeFile(
        lockFile(path, 'tenant-42'),
        JSON.stringify({ owner: 'dead-process', expiresAt: Date.now() - 1, pid: 1 }),
      );
      const store = createFileStore({ path, encryptionKey: key, lockTimeoutMs: 60_000 });
      const sleeps = vi.spyOn(globalThis, 'setTimeout');
      expect(await store.withLock('tenant-42', 1000, async () => 'ran')).toBe('ran');
      expect(sleeps).not.toHaveBeenCalled(); // no backoff at all: the dead holder's lock broke at once
      expect(await readdir(path)).toEqual([]);
    });

    it('breaks an unreadable lock file once it is older than the grace period', async () => {
      const path = freshDir();
      await mkdir(path, { recursive: true });
      const file = lockFile(path, 'tenant-42');
      await writeFile(file, ''); // its creator died between creating and writing it
      const old = new Date(Date.now() - 60_000);
      await utimes(file, old, old);
      const store = createFileStore({ path, encryptionKey: key, lockTimeoutMs: 60_000 });
      expect(await store.withLock('tenant-42', 1000, async () => 'ran')).toBe('ran');
    });

    it('waits for a live holder and fails with operation "lock" after lockTimeoutMs', async () => {
      const path = freshDir();
      await mkdir(path, { recursive: true });
      await writeFile(
        lockFile(path, 'tenant-42'),
        JSON.stringify({ owner: 'alive', expiresAt: Date.now() + 60_000 }),
      );
      const store = createFileStore({ path, encryptionKey: key, lockTimeoutMs: 100 });
      let ran = false;
      const error = await rejection(
        store.withLock('tenant-42', 1000, async () => {
          ran = true;
        }),
      );
      expect(ran).toBe(false);
      expect(error).toBeInstanceOf(TokenStoreError);
      expect(error).toMatchObject({ store: 'file', operation: 'lock', retryable: true });
      expect((error as Error).message).toMatch(/timed out after 100 ms/);
      // The live holder's lock is untouched.
      expect(JSON.parse(await readFile(lockFile(path, 'tenant-42'), 'utf8'))).toMatchObject({
        owner: 'alive',
      });
    });

    it('releases only its own lock: a lock taken over after expiry is left alone', async () => {
      const path = freshDir();
      const store = createFileStore({ path, encryptionKey: key });
      const foreign = JSON.stringify({ owner: 'someone-else', expiresAt: Date.now() + 60_000 });
      await store.withLock('tenant-42', 1000, async () => {
        const mine = JSON.parse(await readFile(lockFile(path, 'tenant-42'), 'utf8'));
        expect(mine).toMatchObject({ owner: expect.stringMatching(/^[0-9a-f]{32}$/), pid: process.pid });
        expect((await stat(lockFile(path, 'tenant-42'))).mode & 0o777).toBe(0o600);
        // Simulate: our TTL ran out and another process took the lock.
        await rm(lockFile(path, 'tenant-42'));
        await writeFile(lockFile(path, 'tenant-42'), foreign);
      });
      expect(await readFile(lockFile(path, 'tenant-42'), 'utf8')).toBe(foreign);
    });

    it('rejects a ttl that is not a positive number (a programming error)', async () => {
      const store = createFileStore({ path: freshDir(), encryptionKey: key });
      await expect(store.withLock('tenant-42', 0, async () => 1)).rejects.toThrow(RangeError);
    });
  });
});

describe('file token store faults (issue 12, finding 6)', () => {
  const lockFile = (dir: string, id: string) =>
    join(dir, `${createHash('sha256').update(id, 'utf8').digest('hex')}.lock`);

  it('finding 6: a token directory deleted while the process runs is recreated by the next write', async () => {
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key });
    await store.set('tenant', tokens('first'));
    await rm(path, { recursive: true, force: true });
    expect(await store.get('tenant')).toBeUndefined();
    const grant = tokens('after-delete');
    await store.set('tenant', grant);
    expect(await store.get('tenant')).toEqual(grant);
    await rm(path, { recursive: true, force: true });
    expect(await store.withLock('tenant', 5_000, async () => 'locked')).toBe('locked');
    expect((await stat(path)).mode & 0o777).toBe(0o700);
  });

  it('finding 6: a far-future lock left by a dead process on this host is broken at once', async () => {
    const { spawnSync } = await import('node:child_process');
    const { hostname } = await import('node:os');
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    const path = freshDir();
    const store = createFileStore({ path, encryptionKey: key, lockTimeoutMs: 5_000 });
    await store.set('tenant', tokens());
    const record = { owner: 'f'.repeat(32), expiresAt: Date.now() + 365 * 86_400_000, host: hostname() };
    await writeFile(lockFile(path, 'tenant'), JSON.stringify({ ...record, pid: dead }));
    expect(await store.withLock('tenant', 5_000, async () => 'taken')).toBe('taken');

    // A live holder (our parent process) or one on another host keeps its lock until it expires.
    for (const holder of [{ pid: process.ppid }, { pid: dead, host: 'another-host' }]) {
      await writeFile(lockFile(path, 'tenant'), JSON.stringify({ ...record, ...holder }));
      const impatient = createFileStore({ path, encryptionKey: key, lockTimeoutMs: 30 });
      await expect(impatient.withLock('tenant', 5_000, async () => 'taken')).rejects.toMatchObject({
        operation: 'lock',
        retryable: true,
      });
    }
  });

  it('finding 6: temporary files left by a process killed during set are swept, fresh ones kept', async () => {
    const path = freshDir();
    await mkdir(path, { recursive: true });
    const stale = join(path, `.${'a'.repeat(64)}.tokens.0123456789ab.tmp`);
    const live = join(path, `.${'b'.repeat(64)}.tokens.ba9876543210.tmp`);
    await writeFile(stale, 'half a token document');
    await writeFile(live, 'being written right now');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);
    const store = createFileStore({ path, encryptionKey: key });
    await store.set('tenant', tokens());
    const names = await readdir(path);
    expect(names).not.toContain(stale.slice(path.length + 1));
    expect(names).toContain(live.slice(path.length + 1));
  });
});
