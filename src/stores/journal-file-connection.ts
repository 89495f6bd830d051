/**
 * One connection of the file journal store: its log replayed into memory, then appends with group
 * commit and fsync; an append cut short (a full disk) is truncated away before the next one; bad lines
 * found on load are quarantined and the log rewritten without them; compaction rewrites the log
 * atomically when it grows.
 *
 * @internal
 * @module
 */
import type { FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalStoreError } from '../errors.js';
import { JournalState } from '../journal/memory-store.js';
import type { JournalQuarantineEvent } from '../journal/store.js';
import type { Keyring } from './crypto.js';
import { fileKey, writeAtomic } from './files.js';
import { type LogRecord, quarantine, replay } from './journal-file-log.js';
import { quoteId } from './messages.js';

const STORE = 'journal-file';

/** The file journal store's parsed options. @internal */
export interface Settings {
  dir: string;
  keyring: Keyring | undefined;
  fsync: boolean;
  ledgerTtlMs: number | undefined;
  ledgerMaxEntries: number | undefined;
  compactAfterLines: number;
  open: typeof open;
  report(event: JournalQuarantineEvent): void;
}

/** One connection's replayed state and its log. @internal */
export interface Connection {
  state: JournalState;
  append(record: LogRecord): Promise<void>;
  close(): Promise<void>;
}

export async function openConnection(connectionId: string, settings: Settings): Promise<Connection> {
  const name = `${fileKey(connectionId)}.journal`;
  const file = join(settings.dir, name);
  const state = new JournalState(
    {
      ...(settings.ledgerTtlMs ? { ledgerTtlMs: settings.ledgerTtlMs } : {}),
      ...(settings.ledgerMaxEntries ? { ledgerMaxEntries: settings.ledgerMaxEntries } : {}),
    },
    STORE,
  );
  const encode = (record: LogRecord): string => {
    const json = JSON.stringify(record);
    return settings.keyring ? settings.keyring.seal(connectionId, json).toString('base64') : json;
  };
  const failure = (operation: string, message: string, error: unknown) =>
    new JournalStoreError(STORE, operation, `${message} of connection ${quoteId(connectionId)}`, {
      cause: error,
      retryable: true,
    });

  const loaded = await replay(file, connectionId, settings.keyring, state, Date.now());
  let lines = loaded.lines;
  /** Bytes of the log that hold whole records: where the next append must start. */
  let size = loaded.size;
  /** The last append failed part-way: bytes past `size` may be a partial record. */
  let torn = loaded.torn;
  let handle: FileHandle | undefined;
  let batch: { lines: string[]; done: Promise<void> } | undefined;
  let chain: Promise<void> = Promise.resolve();
  let retained: string[] = [];
  let closed = false;
  let nextCompactionCheck = settings.compactAfterLines;

  const handleFor = async (): Promise<FileHandle> => {
    handle ??= await settings.open(file, 'a', 0o600);
    return handle;
  };

  /** Rewrites the log from the state (temporary file, fsync, rename). */
  const rewrite = async (): Promise<void> => {
    const records: LogRecord[] = [
      ...state.ledgerEntries().map(([c, z, a]): LogRecord => ({ t: 'L', c, z, a })),
      ...state.allOps().map((o): LogRecord => ({ t: 'O', o })),
      ...state.deadLetters().map((l): LogRecord => ({ t: 'D', l })),
    ];
    const text = records.length > 0 ? `${records.map(encode).join('\n')}\n` : '';
    await writeAtomic(settings.dir, name, text);
    await handle?.close().catch(() => undefined);
    handle = undefined;
    lines = records.length;
    size = Buffer.byteLength(text, 'utf8');
    torn = false;
  };

  if (loaded.bad.length > 0) {
    const location = `${file}.quarantine`;
    try {
      await quarantine(location, loaded.bad);
      await rewrite();
    } catch (error) {
      throw new JournalStoreError(
        STORE,
        'load',
        `cannot quarantine the bad lines of connection ${quoteId(connectionId)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
    for (const { at, reason, preview } of loaded.bad) {
      settings.report({ connectionId, store: STORE, location, at, reason, preview });
    }
  }

  const write = async (pendingLines: string[]): Promise<void> => {
    const data = [...retained, ...pendingLines];
    retained = [];
    try {
      const h = await handleFor();
      if (torn) {
        await h.truncate(size);
        torn = false;
      }
      const bytes = Buffer.from(`${data.join('\n')}\n`, 'utf8');
      torn = true; // until the append and its fsync are through
      await h.appendFile(bytes);
      if (settings.fsync) await h.sync();
      torn = false;
      size += bytes.length;
      lines += data.length;
    } catch (error) {
      // Kept for the next write (the in-memory state already has them), after the cut-off tail.
      retained = data;
      throw failure('append', 'cannot write the journal', error);
    }
    if (lines > nextCompactionCheck) {
      // A failed compaction leaves the log intact; it is tried again later.
      if (lines > 2 * state.size()) await rewrite().catch(() => undefined);
      nextCompactionCheck = Math.max(
        settings.compactAfterLines,
        lines + Math.ceil(settings.compactAfterLines / 2),
      );
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
