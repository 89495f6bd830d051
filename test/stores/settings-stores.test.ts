import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, SettingsStoreError } from '../../src/errors.js';
import { parseTenantSettings, type TenantSettings } from '../../src/registry/tenant-settings.js';
import { createFileSettingsStore } from '../../src/stores/settings-file.js';
import { createMemorySettingsStore } from '../../src/stores/settings-memory.js';
import { createRedisSettingsStore } from '../../src/stores/settings-redis.js';
import type { SettingsStore } from '../../src/stores/settings-types.js';
import { assertSettingsStoreContract } from '../../src/testing/settings-store-contract.js';

const REDIS_URL = process.env.REDIS_URL;
const SECRET = 'tenant-client-secret-do-not-leak';
const SETTINGS: TenantSettings = { clientId: '1000.ABC', clientSecret: SECRET, region: 'EU' };
const key = () => randomBytes(32).toString('base64');

describe('settings store contract', () => {
  it('the memory store meets it', () => assertSettingsStoreContract(() => createMemorySettingsStore()));

  describe('against flawed stores (each breaks one rule)', () => {
    /** A correct store to break one method of. */
    const base = () => createMemorySettingsStore();
    const flawed: Array<[string, () => SettingsStore, RegExp]> = [
      [
        'returns a stored object (no copy)',
        () => {
          const kept = new Map<string, TenantSettings>();
          const ok = base();
          return {
            ...ok,
            async get(id) {
              await ok.get(id);
              return kept.get(id) as never;
            },
            async set(id, s) {
              await ok.set(id, s);
              kept.set(id, (await ok.get(id)) as TenantSettings);
            },
            async delete(id) {
              await ok.delete(id);
              kept.delete(id);
            },
          };
        },
        /copies/,
      ],
      [
        'merges on set',
        () => {
          const ok = base();
          return {
            ...ok,
            async set(id, s) {
              const old = await ok.get(id);
              await ok.set(id, old ? { ...old, ...s, lookup: old.lookup } : s);
            },
          };
        },
        /replaces/,
      ],
      [
        'throws deleting an unknown tenant',
        () => {
          const ok = base();
          return {
            ...ok,
            async delete(id) {
              if (!(await ok.get(id))) throw new Error('no such tenant');
              await ok.delete(id);
            },
          };
        },
        /idempotent/,
      ],
      [
        'does not fill in defaults',
        () => {
          const raw = new Map<string, TenantSettings>();
          const ok = base();
          return {
            ...ok,
            async get(id) {
              await ok.get(id);
              return structuredClone(raw.get(id)) as never;
            },
            async set(id, s) {
              await ok.set(id, s);
              raw.set(id, structuredClone(s));
            },
            async delete(id) {
              await ok.delete(id);
              raw.delete(id);
            },
          };
        },
        /defaults filled in/,
      ],
      [
        'folds letter case',
        () => {
          const ok = base();
          return {
            get: (id) => ok.get(id.toLowerCase()),
            set: (id, s) => ok.set(id.toLowerCase(), s),
            delete: (id) => ok.delete(id.toLowerCase()),
            list: () => ok.list(),
          };
        },
        /isolated/,
      ],
      [
        'lists unsorted',
        () => {
          const ok = base();
          return { ...ok, list: async () => (await ok.list()).reverse() };
        },
        /list returns every stored id, sorted/,
      ],
      [
        'does not validate',
        () => {
          const kept = new Map<string, unknown>();
          return {
            get: async (id) => structuredClone(kept.get(id)) as never,
            set: async (id, s) => void kept.set(id, parseTenantSettingsLoosely(id, s)),
            delete: async (id) => void kept.delete(id),
            list: async () => [...kept.keys()].sort(),
          };
        },
        /invalid settings are refused|ids outside/,
      ],
      [
        'accepts ids with path separators',
        () => {
          const ok = base();
          const kept = new Map<string, unknown>();
          return {
            ...ok,
            async get(id) {
              return id.includes('/') ? (kept.get(id) as never) : ok.get(id);
            },
            async set(id, s) {
              if (id.includes('/')) kept.set(id, s);
              else await ok.set(id, s);
            },
          };
        },
        /ids outside TENANT_ID_PATTERN/,
      ],
    ];
    it.each(flawed)('catches a store that %s', async (_what, make, rule) => {
      await expect(assertSettingsStoreContract(make)).rejects.toThrow(rule);
    });
  });
});

/** Defaults filled in, but no validation at all (a flawed store). */
function parseTenantSettingsLoosely(id: string, s: TenantSettings): unknown {
  try {
    return parseTenantSettings(id, s);
  } catch {
    return s;
  }
}

describe('file settings store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'settings-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('meets the contract, shared between two instances', async () => {
    const encryptionKey = key();
    const path = join(dir, 'contract');
    await assertSettingsStoreContract(() => createFileSettingsStore({ path, encryptionKey }), {
      shared: true,
    });
  });

  it('writes one encrypted file per tenant, mode 0600, no secret or id in clear, no temp file left', async () => {
    const path = join(dir, 'plain');
    const store = createFileSettingsStore({ path, encryptionKey: key() });
    await store.set('tenant-42', SETTINGS);
    await store.set('tenant-43', SETTINGS);
    const files = (await readdir(path)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.settings'))).toBe(true);
    for (const file of files) {
      const bytes = await readFile(join(path, file));
      expect(bytes.toString('latin1')).not.toContain(SECRET);
      expect(bytes.toString('latin1')).not.toContain('1000.ABC');
      if (process.platform !== 'win32') expect((await stat(join(path, file))).mode & 0o777).toBe(0o600);
    }
    expect(await store.list()).toEqual(['tenant-42', 'tenant-43']);
  });

  it('refuses a wrong key, a file copied onto another tenant and a corrupt file with a SettingsStoreError', async () => {
    const path = join(dir, 'faults');
    const store = createFileSettingsStore({ path, encryptionKey: key() });
    await store.set('tenant-a', SETTINGS);
    const other = createFileSettingsStore({ path, encryptionKey: key() });
    const wrongKey = await other.get('tenant-a').catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(SettingsStoreError);
    expect((wrongKey as SettingsStoreError).code).toBe(ErrorCode.SETTINGS_STORE);
    const hex = (id: string) => `${Buffer.from(id).toString('hex')}.settings`;
    await copyFile(join(path, hex('tenant-a')), join(path, hex('tenant-b')));
    await expect(store.get('tenant-b')).rejects.toThrow(/another tenant/);
    await rm(join(path, hex('tenant-b')));
    const rotated = createFileSettingsStore({ path, encryptionKey: key(), previousEncryptionKeys: [] });
    await expect(rotated.get('tenant-a')).rejects.toBeInstanceOf(SettingsStoreError);
  });

  it('list() of a directory that does not exist yet is empty; bad options are a ConfigError naming the option', async () => {
    expect(await createFileSettingsStore({ path: join(dir, 'nope'), encryptionKey: key() }).list()).toEqual(
      [],
    );
    const error = (() => {
      try {
        createFileSettingsStore({ path: '', encryptionKey: 'too-short-key' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.path).sort()).toEqual(['encryptionKey', 'path']);
    expect(error?.message).not.toContain('too-short-key');
  });
});

describe.skipIf(!REDIS_URL)('Redis settings store (skipped without REDIS_URL; .ci/run sets it)', () => {
  let client: import('ioredis').Redis;
  const keyPrefix = `test-settings-${randomUUID()}`;
  beforeAll(async () => {
    const { Redis } = await import('ioredis');
    client = new Redis(REDIS_URL as string);
  });
  afterAll(async () => {
    await client.del(`${keyPrefix}:tenant-settings`, `${keyPrefix}-enc:tenant-settings`);
    await client.quit();
  });

  it('meets the contract, plain and encrypted, shared between two instances', async () => {
    await assertSettingsStoreContract(() => createRedisSettingsStore({ client, keyPrefix }), {
      shared: true,
    });
    const encryptionKey = key();
    await assertSettingsStoreContract(
      () => createRedisSettingsStore({ client, keyPrefix: `${keyPrefix}-enc`, encryptionKey }),
      { shared: true },
    );
  });

  it('with an encryptionKey, no secret in Redis; a store without the key refuses the value', async () => {
    const encryptionKey = key();
    const store = createRedisSettingsStore({ client, keyPrefix: `${keyPrefix}-enc`, encryptionKey });
    await store.set('tenant-1', SETTINGS);
    const raw = await client.hget(`${keyPrefix}-enc:tenant-settings`, 'tenant-1');
    expect(raw).not.toContain(SECRET);
    const plain = createRedisSettingsStore({ client, keyPrefix: `${keyPrefix}-enc` });
    await expect(plain.get('tenant-1')).rejects.toBeInstanceOf(SettingsStoreError);
    expect((await store.get('tenant-1'))?.clientSecret).toBe(SECRET);
  });
});

describe('Redis settings store without a server', () => {
  it('a Redis failure is a SettingsStoreError naming the operation, never a value', async () => {
    const broken = {
      hget: async () => {
        throw new Error('connection lost');
      },
      hset: async () => {
        throw new Error('connection lost');
      },
      hdel: async () => 0,
      hkeys: async () => [],
    };
    const store = createRedisSettingsStore({ client: broken as never });
    const error = (await store.set('tenant-1', SETTINGS).catch((e: unknown) => e)) as SettingsStoreError;
    expect(error).toBeInstanceOf(SettingsStoreError);
    expect(error.operation).toBe('set');
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });
});
