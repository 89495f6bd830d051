/**
 * The file journal's log format: one record per line (JSON, or an AES-256-GCM envelope in base64),
 * replayed into memory on open. A line cut short by a crash is cut off; a line that cannot be read
 * (garbage, a NUL, a flipped byte, valid JSON of the wrong shape) is quarantined: kept aside in
 * `<log>.quarantine` with the reason, and the rest of the journal goes on.
 *
 * @internal
 * @module
 */
import { open, readFile } from 'node:fs/promises';
import { JournalStoreError } from '../errors.js';
import type { JournalState } from '../journal/memory-store.js';
import { letterProblem, opProblem, previewOf } from '../journal/record-shape.js';
import type { DeadLetter, JournalOp, QuarantinedRecord, QuarantineReport } from '../journal/store.js';
import type { Keyring } from './crypto.js';
import { errorCode } from './files.js';
import { decodeJournalValue } from './journal-codec.js';
import { quoteId, unreadableHint } from './messages.js';

const STORE = 'journal-file';
/** Entries `quarantined()` returns at most (the newest). */
const REPORT_LIMIT = 100;

/** One log line. @internal */
export type LogRecord =
  | { t: 'L'; c: string; z: string; a: number }
  | { t: 'O'; o: JournalOp }
  | { t: 'R'; i: string }
  | { t: 'D'; l: DeadLetter }
  | { t: 'U'; i: string };

/** A line replay could not use. @internal */
export interface BadLine extends QuarantinedRecord {
  /** The line as it was in the log. */
  line: string;
}

/** What {@link replay} found. @internal */
export interface Replayed {
  /** Records applied. */
  lines: number;
  /** Bytes of the log that hold whole, readable records (where the next append starts). */
  size: number;
  /** Lines to quarantine (the log must be rewritten without them). */
  bad: BadLine[];
  /** Whether the last line was cut short (never acknowledged). */
  torn: boolean;
}

/**
 * Replays a log into `state`. Throws a `JournalStoreError` (operation `load`) when the log cannot be
 * read at all, or when a line is encrypted under a key that is not configured (or encrypted while the
 * store has no key): that is a configuration problem, not corruption, and quarantining the whole
 * journal would hide it.
 * @internal
 */
export async function replay(
  file: string,
  connectionId: string,
  keyring: Keyring | undefined,
  state: JournalState,
  now: number,
): Promise<Replayed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { lines: 0, size: 0, bad: [], torn: false };
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
  const torn = text !== '' && !text.endsWith('\n');
  if (torn) rows.pop(); // a write cut short by a crash or a full disk: never acknowledged
  const bad: BadLine[] = [];
  let lines = 0;
  for (const [index, row] of rows.entries()) {
    if (row === '') continue;
    const decoded = decodeLine(row, connectionId, keyring);
    if ('problem' in decoded) {
      if (decoded.fatal) throw unreadable(connectionId, keyring, index, decoded.cause);
      bad.push({
        at: now,
        reason: `line ${index + 1}: ${decoded.problem}`,
        preview: previewOf(row),
        line: row,
      });
      continue;
    }
    apply(state, decoded.record);
    lines++;
  }
  const size = torn
    ? Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8')
    : Buffer.byteLength(text, 'utf8');
  return { lines, size, bad, torn };
}

/**
 * Appends quarantined lines to `<log>.quarantine` (one JSON document per line, mode 0600) and fsyncs.
 * A line already there (kept aside by a load that then failed to rewrite the log) is not added twice.
 * @internal
 */
export async function quarantine(path: string, bad: readonly BadLine[]): Promise<void> {
  const kept = new Set<string>();
  const existing = await readFile(path, 'utf8').catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return '';
    throw error;
  });
  for (const row of existing.split('\n')) {
    try {
      const line = (JSON.parse(row) as { line?: unknown }).line;
      if (typeof line === 'string') kept.add(line);
    } catch {
      // Not ours to judge; it stays as it is.
    }
  }
  const fresh = bad.filter((entry) => !kept.has(entry.line));
  if (fresh.length === 0) return;
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.appendFile(fresh.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * What `<log>.quarantine` holds: the count and the newest entries (previews only).
 * @internal
 */
export async function readQuarantine(path: string): Promise<QuarantineReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { count: 0, entries: [] };
    throw new JournalStoreError(STORE, 'quarantined', 'cannot read the quarantine file', { cause: error });
  }
  const rows = text.split('\n').filter((row) => row.trim() !== '');
  const entries = rows.slice(-REPORT_LIMIT).map((row): QuarantinedRecord => {
    try {
      const entry = JSON.parse(row) as Partial<BadLine>;
      return {
        at: typeof entry.at === 'number' ? entry.at : 0,
        reason: typeof entry.reason === 'string' ? entry.reason : 'unknown',
        preview: typeof entry.preview === 'string' ? entry.preview : '',
      };
    } catch {
      return { at: 0, reason: 'an unreadable quarantine entry', preview: previewOf(row) };
    }
  });
  return { count: rows.length, entries };
}

// --- Internal helpers ---

type Decoded = { record: LogRecord } | { problem: string; fatal: boolean; cause?: unknown };

function decodeLine(row: string, connectionId: string, keyring: Keyring | undefined): Decoded {
  const decoded = decodeJournalValue(row, connectionId, keyring, recordProblem);
  return 'value' in decoded ? { record: decoded.value as LogRecord } : decoded;
}

function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  const text = (key: string) => (typeof record[key] === 'string' ? undefined : `${key} must be a string`);
  switch (record.t) {
    case 'L':
      return (
        text('c') ??
        text('z') ??
        (typeof record.a === 'number' && Number.isFinite(record.a) ? undefined : 'a must be a finite number')
      );
    case 'O':
      return opProblem(record.o, 'o');
    case 'D':
      return letterProblem(record.l, 'l');
    case 'R':
    case 'U':
      return text('i');
    default:
      return 't must be L, O, R, D or U';
  }
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

function unreadable(connectionId: string, keyring: Keyring | undefined, index: number, cause: unknown) {
  return new JournalStoreError(
    STORE,
    'load',
    `the journal of connection ${quoteId(connectionId)} has an unreadable line ${index + 1} (${unreadableHint(keyring !== undefined)})`,
    { cause },
  );
}
