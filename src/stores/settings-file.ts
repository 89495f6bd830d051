/**
 * The encrypted file settings store: one AES-256-GCM encrypted document per tenant in a directory,
 * written atomically (the same envelope and keys as the token file store).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, SettingsStoreError } from '../errors.js';
import {
  assertTenantId,
  parseTenantSettings,
  type ResolvedTenantSettings,
  TENANT_ID_PATTERN,
} from '../registry/tenant-settings.js';
import { AtRestError, createKeyring, type Keyring } from './crypto.js';
import type { SettingsStore } from './settings-types.js';

/**
 * Options of {@link createFileSettingsStore}.
 * @example
 * ```ts
 * const options: FileSettingsStoreOptions = {
 *   path: '/var/lib/pbx/zoho-settings',
 *   encryptionKey: process.env.ZOHO_SETTINGS_KEY!, // `openssl rand -base64 32`
 * };
 * ```
 * @group Settings stores
 */
export interface FileSettingsStoreOptions {
  /** Directory that holds one file per tenant; created with mode 0700 on the first write. */
  path: string;
  /** The AES-256-GCM key: 32 bytes, or a base64 string of 32 bytes. Keep it outside `path`. */
  encryptionKey: Uint8Array | string;
  /** Keys that files may still be encrypted with, for reading only (key rotation). @default [] */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
}

const STORE = 'settings-file';
const SUFFIX = '.settings';
const OPTION_KEYS = new Set(['path', 'encryptionKey', 'previousEncryptionKeys']);

/**
 * A {@link SettingsStore} that keeps each tenant's settings (client secret included) in its own file,
 * encrypted with AES-256-GCM, mode 0600.
 *
 * - **Names**: `<hex of the tenant id>.settings`, so `list()` needs no decryption and no id can reach
 *   outside `path` (ids must match `TENANT_ID_PATTERN` anyway).
 * - **Encryption**: a fresh IV per write; the tenant id is authenticated with the data, so a file copied
 *   onto another tenant does not decrypt. A corrupt file or a wrong key raises a `SettingsStoreError`.
 * - **Writes** are atomic: a temporary file in the same directory, fsync, rename.
 *
 * @throws `ConfigError` when an option is invalid (the key is named, never shown).
 * @example
 * ```ts
 * import { createFileSettingsStore } from 'zoho-crm-connector/stores/file';
 * const settingsStore = createFileSettingsStore({ path: '/var/lib/pbx/zoho-settings', encryptionKey: process.env.ZOHO_SETTINGS_KEY! });
 * ```
 * @group Settings stores
 */
export function createFileSettingsStore(options: FileSettingsStoreOptions): SettingsStore {
  const { dir, keyring } = parseOptions(options);
  const fileOf = (id: string) => join(dir, `${Buffer.from(id, 'utf8').toString('hex')}${SUFFIX}`);
  let ready: Promise<unknown> | undefined;
  const fail = (operation: string, id: string | undefined, why: string, cause?: unknown) =>
    new SettingsStoreError(
      STORE,
      operation,
      `${why}${id === undefined ? '' : ` (tenant ${JSON.stringify(id)})`}`,
      cause === undefined ? {} : { cause },
    );

  return {
    async get(id) {
      assertTenantId(id);
      let data: Buffer;
      try {
        data = await readFile(fileOf(id));
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw fail('get', id, 'cannot read the settings file', error);
      }
      let text: string;
      try {
        text = keyring.open(aad(id), data);
      } catch (error) {
        const why =
          error instanceof AtRestError && error.problem === 'key'
            ? 'was encrypted with a key that is not configured'
            : 'is corrupt, was tampered with, or belongs to another tenant';
        throw fail('get', id, `the settings file ${why}`);
      }
      try {
        return parseTenantSettings(id, JSON.parse(text));
      } catch {
        throw fail('get', id, 'the settings file decrypted to invalid settings');
      }
    },

    async set(id, settings) {
      assertTenantId(id);
      const resolved: ResolvedTenantSettings = parseTenantSettings(id, settings);
      const sealed = keyring.seal(aad(id), JSON.stringify(resolved));
      ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      try {
        await ready;
        await writeAtomic(dir, fileOf(id), sealed);
      } catch (error) {
        throw fail('set', id, 'cannot write the settings file', error);
      }
    },

    async delete(id) {
      assertTenantId(id);
      try {
        await unlink(fileOf(id));
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw fail('delete', id, 'cannot delete the settings file', error);
      }
    },

    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return [];
        throw fail('list', undefined, 'cannot read the settings directory', error);
      }
      const ids: string[] = [];
      for (const name of names) {
        if (!name.endsWith(SUFFIX)) continue;
        const hex = name.slice(0, -SUFFIX.length);
        if (!/^(?:[0-9a-f]{2})+$/.test(hex)) continue;
        const id = Buffer.from(hex, 'hex').toString('utf8');
        if (TENANT_ID_PATTERN.test(id)) ids.push(id);
      }
      return ids.sort();
    },
  };
}

// --- Internal helpers ---

/** Authenticated data of a tenant's envelope: never the same as a token file's (the connection id). */
const aad = (id: string) => `tenant-settings:${id}`;

function parseOptions(options: FileSettingsStoreOptions): { dir: string; keyring: Keyring } {
  const context = 'createFileSettingsStore options';
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: '', message: 'must be an object with path and encryptionKey' }], context);
  }
  const issues: { path: string; message: string }[] = [];
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) issues.push({ path: key, message: 'is not a file settings store option' });
  }
  if (typeof options.path !== 'string' || options.path.trim() === '') {
    issues.push({ path: 'path', message: 'must be a directory path (a non-empty string)' });
  }
  let keyring: Keyring | undefined;
  try {
    keyring = createKeyring(options.encryptionKey, options.previousEncryptionKeys, context);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length > 0 || !keyring) throw new ConfigError(issues, context);
  return { dir: resolve(options.path), keyring };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Temp file beside the target, fsync, rename. The token file store has the same steps privately
 * (src/stores/file.ts); the lead folds both onto one shared helper when the stores refactor lands.
 */
async function writeAtomic(dir: string, target: string, data: Buffer): Promise<void> {
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.settings.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
