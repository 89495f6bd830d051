/**
 * The Redis settings store: every tenant's settings in one Redis hash (one key, so it works unchanged on
 * Redis Cluster), optionally encrypted at rest like the Redis token store.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { ConfigError, SettingsStoreError } from '../errors.js';
import { assertTenantId, parseTenantSettings, TENANT_ID_PATTERN } from '../registry/tenant-settings.js';
import { AtRestError, createKeyring, type Keyring } from './crypto.js';
import type { SettingsStore } from './settings-types.js';

/**
 * Options of {@link createRedisSettingsStore}.
 * @example
 * ```ts
 * const options: RedisSettingsStoreOptions = {
 *   client: new Redis(process.env.REDIS_URL!),
 *   keyPrefix: 'pbx:zoho',
 *   encryptionKey: process.env.ZOHO_SETTINGS_KEY, // optional, recommended: settings hold client secrets
 * };
 * ```
 * @group Settings stores
 */
export interface RedisSettingsStoreOptions {
  /** An ioredis client, `Redis` or `Cluster`, that you create, connect and close. */
  client: Redis | Cluster;
  /** Namespace: the settings live in the hash `<keyPrefix>:tenant-settings`. @default 'zoho-crm-connector' */
  keyPrefix?: string;
  /**
   * Encrypts each tenant's settings with AES-256-GCM (32 bytes, or base64 of 32 bytes). Without it they
   * are stored as plain JSON, client secrets included: protect the Redis server (ACL, TLS).
   */
  encryptionKey?: Uint8Array | string;
  /** Keys that values may still be encrypted with, for reading only. Requires `encryptionKey`. @default [] */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
}

const STORE = 'settings-redis';
const OPTION_KEYS = new Set(['client', 'keyPrefix', 'encryptionKey', 'previousEncryptionKeys']);

interface Commands {
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, field: string, value: string): Promise<unknown>;
  hdel(key: string, field: string): Promise<number>;
  hkeys(key: string): Promise<string[]>;
}

/**
 * A {@link SettingsStore} in Redis (standalone, Sentinel or Cluster) for PBX clusters: one hash field
 * per tenant, `list()` is `HKEYS`. Every Redis failure becomes a `SettingsStoreError` naming the
 * operation and the tenant, never a value.
 * @throws `ConfigError` when an option is invalid.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisSettingsStore } from 'zoho-crm-connector/stores/redis';
 *
 * const settingsStore = createRedisSettingsStore({ client: new Redis(process.env.REDIS_URL!), encryptionKey: process.env.ZOHO_SETTINGS_KEY });
 * ```
 * @group Settings stores
 */
export function createRedisSettingsStore(options: RedisSettingsStoreOptions): SettingsStore {
  const { redis, key, keyring } = parseOptions(options);
  const call = async <T>(operation: string, id: string | undefined, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new SettingsStoreError(
        STORE,
        operation,
        `Redis failed to ${operation} tenant settings${id === undefined ? '' : ` (tenant ${JSON.stringify(id)})`}`,
        { cause: error, retryable: true },
      );
    }
  };
  const corrupt = (id: string, why: string) =>
    new SettingsStoreError(STORE, 'get', `the settings of tenant ${JSON.stringify(id)} ${why}`);

  return {
    async get(id) {
      assertTenantId(id);
      const value = await call('get', id, () => redis.hget(key, id));
      if (value === null) return undefined;
      const plain = value.startsWith('{');
      if (keyring && plain) throw corrupt(id, 'are not encrypted, but this store has an encryptionKey');
      if (!keyring && !plain)
        throw corrupt(id, 'are encrypted: pass the encryptionKey they were written with');
      let text = value;
      if (keyring) {
        try {
          text = keyring.open(aad(id), Buffer.from(value, 'base64'));
        } catch (error) {
          throw corrupt(
            id,
            error instanceof AtRestError && error.problem === 'key'
              ? 'were encrypted with a key that is not configured'
              : 'are corrupt, were tampered with, or belong to another tenant',
          );
        }
      }
      try {
        return parseTenantSettings(id, JSON.parse(text));
      } catch {
        throw corrupt(id, 'are not valid settings');
      }
    },

    async set(id, settings) {
      assertTenantId(id);
      const json = JSON.stringify(parseTenantSettings(id, settings));
      const value = keyring ? keyring.seal(aad(id), json).toString('base64') : json;
      await call('set', id, () => redis.hset(key, id, value));
    },

    async delete(id) {
      assertTenantId(id);
      await call('delete', id, () => redis.hdel(key, id));
    },

    async list() {
      const ids = await call('list', undefined, () => redis.hkeys(key));
      return ids.filter((id) => TENANT_ID_PATTERN.test(id)).sort();
    },
  };
}

// --- Internal helpers ---

const aad = (id: string) => `tenant-settings:${id}`;

function parseOptions(options: RedisSettingsStoreOptions): {
  redis: Commands;
  key: string;
  keyring: Keyring | undefined;
} {
  const context = 'createRedisSettingsStore options';
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: '', message: 'must be an object with a client' }], context);
  }
  const issues: { path: string; message: string }[] = [];
  for (const name of Object.keys(options)) {
    if (!OPTION_KEYS.has(name)) issues.push({ path: name, message: 'is not a Redis settings store option' });
  }
  const client = options.client as unknown as Partial<Record<keyof Commands, unknown>> | undefined;
  const commands: (keyof Commands)[] = ['hget', 'hset', 'hdel', 'hkeys'];
  if (
    typeof client !== 'object' ||
    client === null ||
    commands.some((c) => typeof client[c] !== 'function')
  ) {
    issues.push({ path: 'client', message: 'must be an ioredis Redis or Cluster instance' });
  }
  const prefix = options.keyPrefix ?? 'zoho-crm-connector';
  if (typeof prefix !== 'string' || prefix === '') {
    issues.push({ path: 'keyPrefix', message: 'must be a non-empty string' });
  }
  let keyring: Keyring | undefined;
  if (options.encryptionKey !== undefined) {
    try {
      keyring = createKeyring(options.encryptionKey, options.previousEncryptionKeys, context);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  } else if (options.previousEncryptionKeys !== undefined) {
    issues.push({ path: 'previousEncryptionKeys', message: 'requires encryptionKey' });
  }
  if (issues.length > 0) throw new ConfigError(issues, context);
  return { redis: options.client as unknown as Commands, key: `${prefix}:tenant-settings`, keyring };
}
