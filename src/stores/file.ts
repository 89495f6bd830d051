/**
 * The encrypted file token store: one AES-256-GCM encrypted document per connection in a directory,
 * written atomically, with a lock file so that processes on one host refresh one at a time.
 *
 * @example
 * ```ts
 * import { createFileStore } from 'zoho-crm-connector/stores/file';
 * const tokenStore = createFileStore({ path: '/var/lib/pbx/zoho-tokens', encryptionKey: process.env.ZOHO_TOKEN_KEY! });
 * ```
 * @module
 */
import { readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { TokenStoreError } from '../errors.js';
import { AtRestError, type Keyring } from './crypto.js';
import { acquire, release } from './file-lock.js';
import { ensureDir, errorCode, fileKey, sweepTempFiles, syncDir, writeAtomic } from './files.js';
import { checkTtl } from './lock-wait.js';
import { quoteId, tokenReadAdvice } from './messages.js';
import { directoryPath, keyOptions, nonNegativeMs, parseStoreOptions } from './options.js';
import { parseTokens, serializeTokens } from './token-document.js';
import type { StoredTokens, TokenStore } from './types.js';

/**
 * Options of {@link createFileStore}.
 * @example
 * ```ts
 * const options: FileStoreOptions = {
 *   path: '/var/lib/pbx/zoho-tokens',
 *   encryptionKey: process.env.ZOHO_TOKEN_KEY!, // `openssl rand -base64 32`
 *   previousEncryptionKeys: [process.env.ZOHO_TOKEN_KEY_OLD!], // while rotating
 *   lockTimeoutMs: 40_000,
 * };
 * ```
 * @group Token stores
 */
export interface FileStoreOptions {
  /**
   * Directory that holds one file per connection. Created with mode 0700 (and missing parents) on the
   * first write; an existing directory keeps its mode, so make sure only the service user can write to it.
   */
  path: string;
  /**
   * The AES-256-GCM key: 32 bytes as a `Uint8Array`/`Buffer`, or a base64 string of 32 bytes
   * (`openssl rand -base64 32`). Keep it outside the token directory (an environment variable or a
   * secrets manager). Anything else throws a `ConfigError` that names the option, never its value.
   */
  encryptionKey: Uint8Array | string;
  /**
   * Keys that files may still be encrypted with, accepted for reading only. Every write uses
   * `encryptionKey`, so after rotating keys each file moves to the new key on its next write (the next
   * token refresh, within an hour).
   * @default []
   */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
  /**
   * How long `withLock` waits for another holder before failing with a {@link TokenStoreError}
   * (operation `lock`). Keep it above the `ttlMs` callers pass (the connector's token manager uses
   * 30 s), so that a crashed holder's lock expires before waiters give up.
   * @default 40000
   */
  lockTimeoutMs?: number;
}

const STORE = 'file';
const OptionsSchema = z.strictObject({
  path: directoryPath,
  ...keyOptions,
  lockTimeoutMs: z.optional(nonNegativeMs),
});
const DEFAULT_LOCK_TIMEOUT_MS = 40_000;

/**
 * A token store that keeps each connection's tokens in its own file, encrypted with AES-256-GCM.
 *
 * - **Names**: a file is named after the SHA-256 of the connection id (`<64 hex>.tokens`), so no id can
 *   reach outside `path`, whatever characters it contains.
 * - **Encryption**: a fresh random IV per write; the connection id is authenticated with the data, so a
 *   file copied onto another connection does not decrypt. A corrupt file or a wrong key raises a
 *   {@link TokenStoreError}; partial data is never returned.
 * - **Writes** are atomic: a temporary file (mode 0600) in the same directory, fsync, rename.
 * - **withLock** works across processes on one host: a lock file created exclusively holds a random
 *   owner token and an expiry (`ttlMs`). A lock past its expiry is broken, so a crashed holder blocks
 *   others for at most `ttlMs`; only the owner removes its lock. `ttlMs` bounds the work: the lock is not
 *   extended while `fn` runs, so pass a `ttlMs` comfortably above how long `fn` takes. Not for network
 *   file systems shared between hosts: use the Redis store there. A lock left by a process that died
 *   on this host (its recorded pid no longer exists) is broken at once, whatever its expiry.
 * - **Faults**: a token directory deleted while the process runs is created again by the next write;
 *   temporary files a killed process left behind (older than ten minutes) are swept on first use.
 *
 * Nothing touches the disk until the first call.
 *
 * @param options - See {@link FileStoreOptions}.
 * @returns A {@link TokenStore} with `withLock`.
 * @throws `ConfigError` when an option is invalid (the key is named, never shown).
 * @example
 * ```ts
 * import { ZohoCrmConnector } from 'zoho-crm-connector';
 * import { createFileStore } from 'zoho-crm-connector/stores/file';
 *
 * const zoho = new ZohoCrmConnector({
 *   ...options,
 *   tokenStore: createFileStore({ path: '/var/lib/pbx/zoho-tokens', encryptionKey: process.env.ZOHO_TOKEN_KEY! }),
 * });
 * ```
 * @group Token stores
 */
export function createFileStore(
  options: FileStoreOptions,
): TokenStore & Required<Pick<TokenStore, 'withLock'>> {
  const { dir, keyring, lockTimeoutMs } = parseOptions(options);
  let swept = false;

  /** Creates the directory whenever it is missing (it may be deleted while we run); sweeps once. */
  const prepareDir = async (operation: string): Promise<void> => {
    try {
      await ensureDir(dir);
    } catch (error) {
      throw new TokenStoreError(STORE, operation, 'cannot create the token directory', { cause: error });
    }
    if (!swept) {
      swept = true;
      await sweepTempFiles(dir);
    }
  };

  return {
    async get(connectionId) {
      const file = join(dir, `${fileKey(connectionId)}.tokens`);
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw new TokenStoreError(
          STORE,
          'get',
          `cannot read the tokens of connection ${quoteId(connectionId)}`,
          {
            cause: error,
          },
        );
      }
      try {
        return parseTokens(keyring.open(connectionId, data));
      } catch (error) {
        throw readFailure(connectionId, error);
      }
    },

    async set(connectionId, tokens) {
      const sealed = seal(keyring, connectionId, tokens);
      await prepareDir('set');
      try {
        await writeAtomic(dir, `${fileKey(connectionId)}.tokens`, sealed);
      } catch (error) {
        throw new TokenStoreError(
          STORE,
          'set',
          `cannot write the tokens of connection ${quoteId(connectionId)}`,
          {
            cause: error,
          },
        );
      }
    },

    async delete(connectionId) {
      try {
        await unlink(join(dir, `${fileKey(connectionId)}.tokens`));
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw new TokenStoreError(
          STORE,
          'delete',
          `cannot delete the tokens of connection ${quoteId(connectionId)}`,
          { cause: error },
        );
      }
      await syncDir(dir);
    },

    async withLock<T>(connectionId: string, ttlMs: number, fn: () => Promise<T>): Promise<T> {
      const ttl = checkTtl(ttlMs);
      await prepareDir('lock');
      const lockPath = join(dir, `${fileKey(connectionId)}.lock`);
      const owner = await acquire(lockPath, ttl, lockTimeoutMs, connectionId);
      try {
        return await fn();
      } finally {
        // A lock that cannot be released expires after ttlMs; fn's outcome is what the caller needs.
        await release(lockPath, owner).catch(() => undefined);
      }
    },
  };
}

// --- Internal helpers ---

function parseOptions(input: FileStoreOptions): { dir: string; keyring: Keyring; lockTimeoutMs: number } {
  const { options, keyring } = parseStoreOptions(
    OptionsSchema,
    input,
    'createFileStore options',
    'file store',
    'required',
  );
  return {
    dir: resolve(options.path),
    keyring: keyring as Keyring,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  };
}

function seal(keyring: Keyring, connectionId: string, tokens: StoredTokens): Buffer {
  try {
    return keyring.seal(connectionId, serializeTokens(tokens));
  } catch (error) {
    const why = error instanceof AtRestError ? `: ${error.message}` : '';
    throw new TokenStoreError(
      STORE,
      'set',
      `cannot store the tokens of connection ${quoteId(connectionId)}${why}`,
    );
  }
}

function readFailure(connectionId: string, error: unknown): TokenStoreError {
  const subject = `the token file of connection ${quoteId(connectionId)}`;
  if (!(error instanceof AtRestError)) {
    return new TokenStoreError(STORE, 'get', `cannot decrypt ${subject}`, { cause: error });
  }
  return new TokenStoreError(STORE, 'get', `${subject} ${tokenReadAdvice(error.problem, error.message)}`);
}

// The journal store of the same kind ships in this entry too.
export { createFileJournalStore, type FileJournalStoreOptions } from './journal-file.js';
export { createFileSettingsStore, type FileSettingsStoreOptions } from './settings-file.js';
