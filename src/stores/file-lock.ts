/**
 * The file token store's lock, one lock file per connection: created exclusively, holding a random
 * owner token, an expiry and the holder's pid and host. A lock past its expiry, or left by a process
 * that died on this host, is broken, but only under a guard file and only if it is still the same lock.
 *
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { TokenStoreError } from '../errors.js';
import { errorCode } from './files.js';
import { backoffDelay, FIRST_BACKOFF_MS, lockWaiter } from './lock-wait.js';
import { quoteId } from './messages.js';

const STORE = 'file';
/** A lock file whose content cannot be read is only judged abandoned after this long (or its ttl). */
const UNREADABLE_LOCK_GRACE_MS = 5_000;
/** The guard file serialises the removal of lock files; a guard older than this is abandoned. */
const GUARD_STALE_MS = 5_000;

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

export async function acquire(
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
export async function release(lockPath: string, owner: string): Promise<void> {
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
