/**
 * File-system parts the file token store and the file journal store share: hashed file names, the
 * directory (recreated whenever it is missing), atomic writes (temporary file, fsync, rename, fsync of
 * the directory) and the sweep of temporary files a killed process left behind.
 *
 * @internal
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Temporary files older than this are leftovers of a killed process (a live write takes milliseconds). */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * The file-name stem of a connection: the SHA-256 hex of its id, so no id can reach outside the
 * directory, whatever characters it contains.
 * @internal
 */
export function fileKey(connectionId: string): string {
  return createHash('sha256').update(connectionId, 'utf8').digest('hex');
}

/**
 * The `code` of a Node.js system error (`ENOENT`, `ENOSPC`…), or undefined.
 * @internal
 */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Creates the directory (mode 0700, with parents) if it is missing. Not memoised: a directory deleted
 * while the process runs is created again by the next write.
 * @internal
 */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes `data` to `dir/name` atomically: a temporary file (mode 0600) beside it, fsync, rename, fsync
 * of the directory. The temporary file never survives a failure (unless the process is killed: see
 * {@link sweepTempFiles}).
 * @internal
 */
export async function writeAtomic(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, join(dir, name));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

/**
 * Makes a rename or unlink durable. Best effort: some platforms cannot fsync a directory.
 * @internal
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported here (e.g. Windows); the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Deletes the temporary files ({@link writeAtomic}'s `.<name>.<random>.tmp`) older than `olderThanMs`:
 * a process killed between creating one and renaming it leaves it behind. Best effort; returns how
 * many were removed.
 * @internal
 */
export async function sweepTempFiles(
  dir: string,
  olderThanMs = STALE_TEMP_MS,
  now = Date.now(),
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!/^\..+\.[0-9a-f]{12}\.tmp$/.test(name)) continue;
    const path = join(dir, name);
    const stats = await stat(path).catch(() => undefined);
    if (!stats?.isFile() || now - stats.mtimeMs < olderThanMs) continue;
    await rm(path, { force: true }).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
