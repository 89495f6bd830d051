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
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { JournalStoreError } from '../errors.js';
import type { JournalQuarantineEvent, JournalStore } from '../journal/store.js';
import { ensureDir, fileKey, sweepTempFiles } from './files.js';
import { quarantineListeners } from './journal-codec.js';
import { type Connection, openConnection, type Settings } from './journal-file-connection.js';
import { readQuarantine } from './journal-file-log.js';
import {
  callback,
  directoryPath,
  keyOptions,
  parseStoreOptions,
  positiveInteger,
  withMethods,
} from './options.js';

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
  /**
   * Called for every log line the store quarantines (see "Bad lines" on {@link createFileJournalStore}).
   * The connector also emits it as its `journalQuarantine` event.
   */
  onQuarantine?: (event: JournalQuarantineEvent) => void;
  /**
   * File-system seam for fault tests: opens the log file for appending.
   * @internal
   */
  fileSystem?: { open: typeof open };
}

const STORE = 'journal-file';

const OptionsSchema = z.strictObject({
  path: directoryPath,
  ...keyOptions,
  fsync: z.optional(z.boolean({ error: 'must be a boolean' })),
  ledgerTtlMs: z.optional(positiveInteger),
  ledgerMaxEntries: z.optional(positiveInteger),
  compactAfterLines: z.optional(positiveInteger),
  onQuarantine: z.optional(callback<(event: JournalQuarantineEvent) => void>()),
  fileSystem: z.optional(withMethods<{ open: typeof open }>(['open'], 'must have an open function')),
});

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
  const listeners = quarantineListeners(options.onQuarantine);
  let closed = false;
  let swept = false;
  settings.report = (event) => {
    listeners.emit(event);
  };

  const prepareDir = async (): Promise<void> => {
    try {
      await ensureDir(settings.dir);
    } catch (error) {
      throw new JournalStoreError(STORE, 'open', 'cannot create the journal directory', { cause: error });
    }
    if (!swept) {
      swept = true;
      await sweepTempFiles(settings.dir);
    }
  };

  const connection = (connectionId: string): Promise<Connection> => {
    if (closed) {
      return Promise.reject(new JournalStoreError(STORE, 'open', 'the file journal store is closed'));
    }
    let found = connections.get(connectionId);
    if (!found) {
      found = (async () => {
        await prepareDir();
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
    async quarantined(connectionId) {
      await connection(connectionId);
      return readQuarantine(join(settings.dir, `${fileKey(connectionId)}.journal.quarantine`));
    },
    onQuarantine: (listener) => listeners.subscribe(listener),
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

function parseOptions(input: FileJournalStoreOptions): Settings {
  const { options, keyring } = parseStoreOptions(
    OptionsSchema,
    input,
    'createFileJournalStore options',
    'file journal store',
    'optional',
  );
  return {
    dir: resolve(options.path),
    keyring,
    fsync: options.fsync ?? true,
    ledgerTtlMs: options.ledgerTtlMs,
    ledgerMaxEntries: options.ledgerMaxEntries,
    compactAfterLines: options.compactAfterLines ?? 10_000,
    open: options.fileSystem?.open ?? open,
    report: () => undefined,
  };
}
