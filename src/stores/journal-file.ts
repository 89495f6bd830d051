/**
 * The file journal store: the call ledger, the outbox and the dead letters of each connection in an
 * append-only log file that survives restarts and crashes. Node only.
 *
 * @example
 * ```ts
 * import { createFileJournalStore } from 'zoho-crm-connector/stores/file';
 * const store = createFileJournalStore({ path: '/var/lib/pbx/zoho-journal' });
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, rename, rm, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, JournalStoreError } from '../errors.js';
import { JournalState } from '../journal/memory-store.js';
import type { DeadLetter, JournalOp, JournalStore } from '../journal/store.js';
import { type Keyring, optionalKeyring, quoteId } from './crypto.js';

/**
 * Options of {@link createFileJournalStore}.
 * @example
 * ```ts
 * const options: FileJournalStoreOptions = {
 *   path: '/var/lib/pbx/zoho-journal',
 *   encryptionKey: process.env.ZOHO_JOURNAL_KEY, // optional: phone numbers and links encrypted at rest
 * };
 * ```
 * @group Journal stores
 */
export interface FileJournalStoreOptions {
  /**
   * Directory that holds one log file per connection. Created with mode 0700 on the first write; files
   * are written with mode 0600.
   */
  path: string;
  /**
   * Encrypts every log line with AES-256-GCM (32 bytes as a `Uint8Array`/`Buffer` or base64): queued
   * calls hold phone numbers, names and recording links. Without it lines are plain JSON.
   */
  encryptionKey?: Uint8Array | string;
  /** Keys that lines may still be encrypted with, for reading only (rotation). Requires `encryptionKey`. */
  previousEncryptionKeys?: readonly (Uint8Array | string)[];
  /**
   * fsync after every group of writes, so an acknowledged write survives a power cut. Turn off only
   * where the file system or a battery-backed cache already guarantees it.
   * @default true
   */
  fsync?: boolean;
  /**
   * How long a logged call is remembered (the redelivery guard), in ms.
   * @default 2592000000 (30 days)
   */
  ledgerTtlMs?: number;
  /**
   * Logged calls remembered per connection; the oldest are forgotten first.
   * @default 100000
   */
  ledgerMaxEntries?: number;
  /**
   * The log is rewritten (compacted) when it holds more than this many lines and more than twice the
   * live entries.
   * @default 10000
   */
  compactAfterLines?: number;
}

const STORE = 'journal-file';
const OPTION_KEYS = new Set([
  'path',
  'encryptionKey',
  'previousEncryptionKeys',
  'fsync',
  'ledgerTtlMs',
  'ledgerMaxEntries',
  'compactAfterLines',
]);

/**
 * A {@link JournalStore} in files: each connection's ledger, outbox and dead letters are an append-only
 * log (`<sha256 of the connection id>.journal`) replayed into memory on first use.
 *
 * - **Durable**: a write resolves once its line is appended and fsync'd; writes that arrive together
 *   share one append and one fsync (group commit). A line cut short by a crash is ignored on load.
 * - **Compact**: the log is rewritten atomically (temporary file, fsync, rename) when it grows past
 *   `compactAfterLines` and twice the live entries; expired ledger entries are dropped then.
 * - **One process per directory**: claims (leases) live in memory, so several processes must not share
 *   one directory; use the Redis journal store for clusters.
 *
 * Nothing touches the disk until the first call.
 * @param options - See {@link FileJournalStoreOptions}.
 * @returns A {@link JournalStore}; call `close()` on shutdown.
 * @throws `ConfigError` naming an invalid option (never its value).
 * @example
 * ```ts
 * import { ZohoCrmConnector } from 'zoho-crm-connector';
 * import { createFileJournalStore } from 'zoho-crm-connector/stores/file';
 *
 * const zoho = new ZohoCrmConnector({
 *   ...options,
 *   journal: { store: createFileJournalStore({ path: '/var/lib/pbx/zoho-journal' }) },
 * });
 * ```
 * @group Journal stores
 */
export function createFileJournalStore(options: FileJournalStoreOptions): JournalStore {
  const settings = parseOptions(options);
  const connections = new Map<string, Promise<Connection>>();
  let ready: Promise<void> | undefined;
  let closed = false;

  const ensureDir = (): Promise<void> => {
    ready ??= mkdir(settings.dir, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw new JournalStoreError(STORE, 'open', 'cannot create the journal directory', { cause: error });
      },
    );
    return ready;
  };

  const connection = (connectionId: string): Promise<Connection> => {
    if (closed) {
      return Promise.reject(new JournalStoreError(STORE, 'open', 'the file journal store is closed'));
    }
    let found = connections.get(connectionId);
    if (!found) {
      found = (async () => {
        await ensureDir();
        return openConnection(connectionId, settings);
      })();
      found.catch(() => connections.delete(connectionId));
      connections.set(connectionId, found);
    }
    return found;
  };

  return {
    async getLogged(connectionId, callId) {
      return (await connection(connectionId)).state.getLogged(callId);
    },
    async setLogged(connectionId, callId, zohoCallId) {
      const conn = await connection(connectionId);
      const at = Date.now();
      conn.state.setLogged(callId, zohoCallId, at);
      await conn.append({ t: 'L', c: callId, z: zohoCallId, a: at });
    },
    async add(connectionId, op) {
      const conn = await connection(connectionId);
      if (!conn.state.add(op)) return false;
      await conn.append({ t: 'O', o: op });
      return true;
    },
    async claimDue(connectionId, claim) {
      return (await connection(connectionId)).state.claimDue(claim);
    },
    async claimCalls(connectionId, callIds, claim) {
      return (await connection(connectionId)).state.claimCalls(callIds, claim);
    },
    async release(connectionId, op) {
      const conn = await connection(connectionId);
      if (conn.state.release(op)) await conn.append({ t: 'O', o: op });
    },
    async remove(connectionId, op) {
      const conn = await connection(connectionId);
      if (conn.state.remove(op.id)) await conn.append({ t: 'R', i: op.id });
    },
    async bury(connectionId, letter) {
      const conn = await connection(connectionId);
      conn.state.bury(letter);
      await conn.append({ t: 'D', l: letter });
    },
    async deadLetters(connectionId) {
      return (await connection(connectionId)).state.deadLetters();
    },
    async unbury(connectionId, opId) {
      const conn = await connection(connectionId);
      const letter = conn.state.unbury(opId);
      if (letter) await conn.append({ t: 'U', i: opId });
      return letter;
    },
    async pending(connectionId) {
      return (await connection(connectionId)).state.pending();
    },
    async close() {
      closed = true;
      const open = [...connections.values()];
      connections.clear();
      for (const pending of open) {
        const conn = await pending.catch(() => undefined);
        await conn?.close();
      }
    },
  };
}

// --- Internal helpers ---

type LogRecord =
  | { t: 'L'; c: string; z: string; a: number }
  | { t: 'O'; o: JournalOp }
  | { t: 'R'; i: string }
  | { t: 'D'; l: DeadLetter }
  | { t: 'U'; i: string };

interface Settings {
  dir: string;
  keyring: Keyring | undefined;
  fsync: boolean;
  ledgerTtlMs: number | undefined;
  ledgerMaxEntries: number | undefined;
  compactAfterLines: number;
}

interface Connection {
  state: JournalState;
  append(record: LogRecord): Promise<void>;
  close(): Promise<void>;
}

function parseOptions(options: FileJournalStoreOptions): Settings {
  const context = 'createFileJournalStore options';
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: '', message: 'must be an object with a path' }], context);
  }
  const issues: { path: string; message: string }[] = [];
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) issues.push({ path: key, message: 'is not a file journal store option' });
  }
  if (typeof options.path !== 'string' || options.path.trim() === '') {
    issues.push({ path: 'path', message: 'must be a directory path (a non-empty string)' });
  }
  const positive = (key: 'ledgerTtlMs' | 'ledgerMaxEntries' | 'compactAfterLines') => {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)) {
      issues.push({ path: key, message: 'must be a positive integer' });
    }
  };
  positive('ledgerTtlMs');
  positive('ledgerMaxEntries');
  positive('compactAfterLines');
  if (options.fsync !== undefined && typeof options.fsync !== 'boolean') {
    issues.push({ path: 'fsync', message: 'must be a boolean' });
  }
  const keyring = optionalKeyring(options, context, issues);
  if (issues.length > 0) throw new ConfigError(issues, context);
  return {
    dir: resolve(options.path),
    keyring,
    fsync: options.fsync ?? true,
    ledgerTtlMs: options.ledgerTtlMs,
    ledgerMaxEntries: options.ledgerMaxEntries,
    compactAfterLines: options.compactAfterLines ?? 10_000,
  };
}

function fileName(connectionId: string): string {
  return `${createHash('sha256').update(connectionId, 'utf8').digest('hex')}.journal`;
}

async function openConnection(connectionId: string, settings: Settings): Promise<Connection> {
  const file = join(settings.dir, fileName(connectionId));
  const state = new JournalState({
    ...(settings.ledgerTtlMs ? { ledgerTtlMs: settings.ledgerTtlMs } : {}),
    ...(settings.ledgerMaxEntries ? { ledgerMaxEntries: settings.ledgerMaxEntries } : {}),
  });
  const encode = (record: LogRecord): string => {
    const json = JSON.stringify(record);
    return settings.keyring ? settings.keyring.seal(connectionId, json).toString('base64') : json;
  };

  let lines = await replay(file, connectionId, settings.keyring, state);
  let handle: FileHandle | undefined;
  let batch: { lines: string[]; done: Promise<void> } | undefined;
  let chain: Promise<void> = Promise.resolve();
  let retained: string[] = [];
  let closed = false;
  let nextCompactionCheck = settings.compactAfterLines;

  const handleFor = async (): Promise<FileHandle> => {
    handle ??= await open(file, 'a', 0o600);
    return handle;
  };

  const write = async (pendingLines: string[]): Promise<void> => {
    const data = [...retained, ...pendingLines];
    retained = [];
    try {
      const h = await handleFor();
      await h.appendFile(`${data.join('\n')}\n`);
      if (settings.fsync) await h.sync();
      lines += data.length;
    } catch (error) {
      // Kept for the next write: the in-memory state already has them.
      retained = data;
      throw new JournalStoreError(
        STORE,
        'append',
        `cannot write the journal of connection ${quoteId(connectionId)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
    if (lines > nextCompactionCheck) {
      if (lines > 2 * state.size()) await compact();
      nextCompactionCheck = Math.max(
        settings.compactAfterLines,
        lines + Math.ceil(settings.compactAfterLines / 2),
      );
    }
  };

  const compact = async (): Promise<void> => {
    const records: LogRecord[] = [
      ...state.ledgerEntries().map(([c, z, a]): LogRecord => ({ t: 'L', c, z, a })),
      ...state.allOps().map((o): LogRecord => ({ t: 'O', o })),
      ...state.deadLetters().map((l): LogRecord => ({ t: 'D', l })),
    ];
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    let tempHandle: FileHandle | undefined;
    try {
      tempHandle = await open(temp, 'wx', 0o600);
      await tempHandle.writeFile(records.length > 0 ? `${records.map(encode).join('\n')}\n` : '');
      await tempHandle.sync();
      await tempHandle.close();
      tempHandle = undefined;
      await handle?.close();
      handle = undefined;
      await rename(temp, file);
      lines = records.length;
    } catch (error) {
      await tempHandle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      // The log itself is intact; compaction is tried again after the next write.
      void error;
    }
  };

  return {
    state,
    append(record) {
      if (closed) {
        return Promise.reject(
          new JournalStoreError(
            STORE,
            'append',
            `the journal store of connection ${quoteId(connectionId)} is closed`,
          ),
        );
      }
      if (!batch) {
        const current: { lines: string[]; done: Promise<void> } = { lines: [], done: Promise.resolve() };
        current.done = chain.then(() => {
          if (batch === current) batch = undefined;
          return write(current.lines);
        });
        chain = current.done.catch(() => undefined);
        batch = current;
      }
      batch.lines.push(encode(record));
      return batch.done;
    },
    async close() {
      closed = true;
      await chain;
      await handle?.close().catch(() => undefined);
      handle = undefined;
    },
  };
}

/**
 * Replays a log into the state; returns the number of lines. A last line cut short by a crash (no
 * newline: never acknowledged) is cut off the file, so that the next append starts on a fresh line.
 */
async function replay(
  file: string,
  connectionId: string,
  keyring: Keyring | undefined,
  state: JournalState,
): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return 0;
    throw new JournalStoreError(
      STORE,
      'load',
      `cannot read the journal of connection ${quoteId(connectionId)}`,
      {
        cause: error,
      },
    );
  }
  const rows = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  let count = 0;
  for (const [index, row] of rows.entries()) {
    if (row === '') continue;
    const last = index === rows.length - 1;
    let record: LogRecord;
    try {
      const json = keyring ? keyring.open(connectionId, Buffer.from(row, 'base64')) : row;
      record = JSON.parse(json) as LogRecord;
    } catch (error) {
      if (last && !complete) break; // a write cut short by a crash: never acknowledged
      throw new JournalStoreError(
        STORE,
        'load',
        `the journal of connection ${quoteId(connectionId)} has an unreadable line ${index + 1} (${
          keyring ? 'wrong key, or corrupt' : 'corrupt, or encrypted: configure encryptionKey'
        })`,
        { cause: error },
      );
    }
    apply(state, record);
    count++;
  }
  if (!complete) {
    const keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8');
    await truncate(file, keep).catch((error: unknown) => {
      throw new JournalStoreError(
        STORE,
        'load',
        `cannot repair the journal of connection ${quoteId(connectionId)}`,
        {
          cause: error,
        },
      );
    });
  }
  return count;
}

function apply(state: JournalState, record: LogRecord): void {
  switch (record.t) {
    case 'L':
      state.setLogged(record.c, record.z, record.a);
      break;
    case 'O':
      state.restore(record.o);
      break;
    case 'R':
      state.remove(record.i);
      break;
    case 'D':
      state.bury(record.l);
      break;
    case 'U':
      state.unbury(record.i);
      break;
  }
}
