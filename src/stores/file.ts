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
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { TokenStoreError } from '../errors.js';
import { AtRestError, type Keyring } from './crypto.js';
import { ensureDir, errorCode, fileKey, sweepTempFiles, syncDir, writeAtomic } from './files.js';
import { backoffDelay, checkTtl, FIRST_BACKOFF_MS, lockWaiter } from './lock-wait.js';
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
const OptionsSchema = z
  .object({ path: directoryPath, ...keyOptions, lockTimeoutMs: nonNegativeMs.optional() })
  .strict();
const DEFAULT_LOCK_TIMEOUT_MS = 40_000;
/** A lock file whose content cannot be read is only judged abandoned after this long (or its ttl). */
const UNREADABLE_LOCK_GRACE_MS = 5_000;
/** The guard file serialises the removal of lock files; a guard older than this is abandoned. */
const GUARD_STALE_MS = 5_000;

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

interface LockRecord {
  owner: string;
  expiresAt: number;
  /** The holder's process and host, to break the lock of a process that died on this host. */
  pid?: number;
  host?: string;
}

function parseLock(raw: Buffer): LockRecord | undefined {
  try {
    const value = JSON.parse(raw.toString('utf8')) as Partial<LockRecord> | null;
    if (value && typeof value.owner === 'string' && typeof value.expiresAt === 'number') {
      return {
        owner: value.owner,
        expiresAt: value.expiresAt,
        ...(typeof value.pid === 'number' ? { pid: value.pid } : {}),
        ...(typeof value.host === 'string' ? { host: value.host } : {}),
      };
    }
  } catch {
    // Being written right now, or its writer died first: the caller judges it by age.
  }
  return undefined;
}

/** A lock file's identity: its inode plus its bytes (owner tokens are random, so this is unique). */
interface LockSnapshot {
  id: string;
  raw: Buffer;
  mtimeMs: number;
}

async function snapshot(lockPath: string): Promise<LockSnapshot | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(lockPath, 'r');
    const stats = await handle.stat();
    const raw = await handle.readFile();
    return { id: `${stats.dev}:${stats.ino}`, raw, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function sameLock(a: LockSnapshot, b: LockSnapshot): boolean {
  return a.id === b.id && a.raw.equals(b.raw);
}

async function acquire(
  lockPath: string,
  ttl: number,
  timeoutMs: number,
  connectionId: string,
): Promise<string> {
  const waiter = lockWaiter(STORE, connectionId, timeoutMs);
  const { deadline } = waiter;
  for (;;) {
    const owner = randomBytes(16).toString('hex');
    try {
      if (await tryCreate(lockPath, owner, ttl)) return owner;
      const seen = await snapshot(lockPath);
      if (!seen) continue; // released between our attempt and our look: try again at once
      const record = parseLock(seen.raw);
      const abandoned = record
        ? record.expiresAt <= Date.now() || holderDied(record)
        : Date.now() - seen.mtimeMs > Math.max(ttl, UNREADABLE_LOCK_GRACE_MS);
      if (abandoned && (await breakLock(lockPath, seen, deadline))) continue;
    } catch (error) {
      throw new TokenStoreError(
        STORE,
        'lock',
        `cannot take the lock of connection ${quoteId(connectionId)}`,
        {
          cause: error,
        },
      );
    }
    await waiter.wait();
  }
}

/**
 * Whether the lock's holder was a process on this host that no longer exists (`kill(pid, 0)` answers
 * ESRCH). A process of another user (EPERM) is alive; a lock from another host is judged by its expiry.
 */
function holderDied(record: LockRecord): boolean {
  if (record.host !== hostname() || record.pid === undefined || record.pid === process.pid) return false;
  if (!Number.isInteger(record.pid) || record.pid <= 0) return false;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH';
  }
}

/** Creates the lock file exclusively (O_CREAT | O_EXCL). False when another holder has it. */
async function tryCreate(lockPath: string, owner: string, ttl: number): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  const record = { owner, expiresAt: Date.now() + ttl, pid: process.pid, host: hostname() };
  try {
    await handle.writeFile(JSON.stringify(record));
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return true;
}

/** Removes an abandoned lock, but only if it is still exactly the one we judged abandoned. */
async function breakLock(lockPath: string, seen: LockSnapshot, deadline: number): Promise<boolean> {
  return withGuard(lockPath, deadline, async () => {
    const now = await snapshot(lockPath);
    if (now && sameLock(now, seen)) await unlink(lockPath);
  });
}

/** Removes our own lock; a lock that expired and was taken over by someone else is left alone. */
async function release(lockPath: string, owner: string): Promise<void> {
  await withGuard(lockPath, Date.now() + 2 * GUARD_STALE_MS, async () => {
    const now = await snapshot(lockPath);
    if (now && parseLock(now.raw)?.owner === owner) await unlink(lockPath);
  });
}

/**
 * Runs `fn` holding the guard file, which every remover of a lock file takes: between checking a lock
 * file's content and unlinking it, nobody else can unlink it, and nobody can create a new one (the lock
 * file still exists). False when the guard could not be taken before `deadline`.
 */
async function withGuard(lockPath: string, deadline: number, fn: () => Promise<void>): Promise<boolean> {
  const guard = `${lockPath}.guard`;
  for (;;) {
    try {
      await (await open(guard, 'wx', 0o600)).close();
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const stats = await stat(guard).catch(() => undefined);
    if (stats && Date.now() - stats.mtimeMs > GUARD_STALE_MS) {
      // Its holder died in the few microseconds it holds the guard.
      await rm(guard, { force: true });
      continue;
    }
    if (Date.now() >= deadline) return false;
    await backoffDelay(FIRST_BACKOFF_MS, deadline);
  }
  try {
    await fn();
  } finally {
    await rm(guard, { force: true });
  }
  return true;
}

// The journal store of the same kind ships in this entry too.
export { createFileJournalStore, type FileJournalStoreOptions } from './journal-file.js';
