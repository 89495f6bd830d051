/**
 * `zoho-crm-connector import`: backfills one tenant's call journal from a CDR export (CSV or JSON Lines)
 * with `importCalls`, over the stores and secrets of a `serve` data directory (or its Redis stores), with
 * a progress bar on a terminal and plain progress lines otherwise. Re-running it resumes: calls already
 * logged are skipped. Exit code 0 when every call was logged or skipped, 1 when some failed or the file
 * could not be read, 130 when interrupted (Ctrl+C; run it again to go on).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import type { ImportProgress, ImportSummary } from '../journal/import.js';
import type { PbxCall } from '../journal/pbx-call.js';
import type { Logger } from '../logger.js';
import { type CdrFormat, countCdrs, formatOf, readCdrs } from './cdr-reader.js';
import { createCliRegistry, openStores } from './runtime.js';
import { jsonLogger } from './serve.js';
import { loadSecrets } from './serve-config.js';

/** @internal */
export const IMPORT_USAGE = `Usage: zoho-crm-connector import --connection <id> [options] <file>

Backfills one tenant's call journal from a CDR export (see docs/journal.md, "Backfill"): every call
becomes a Zoho Calls activity as logCall would write it, 100 per insert. Calls already logged are
skipped, so running it again after a crash or Ctrl+C resumes where it stopped.

<file> is CSV (.csv) or JSON Lines (.jsonl, .ndjson), or - for standard input (with --format).
CSV: a header row of PbxCall field names, one call per row:
  id, direction, trunk, from, to, startedAt, endedAt, status (required);
  answeredAt, agent.extension, agent.email, agent.name, recording.url, transcription.url,
  transcription.summary, notes (one note per line of the cell), result, purpose, transfers (JSON).
  trunk is true/false (yes/no, 1/0); dates are ISO 8601 with Z or an offset; empty cells are left out.
JSON Lines: one PbxCall object per line.

Options:
  --connection <id>        the tenant (connection id) to import into (required)
  --data-dir <dir>         the serve data directory: tokens, settings, journal, secrets (default ./data)
  --redis-url <url>        the tenants' stores are in Redis instead
  --format <csv|jsonl>     the file's format (default: from its extension)
  --emulator <url>         use a zoho-crm-emulator at this origin instead of Zoho (development)
  -h, --help               this text

Environment: ZCC_ENCRYPTION_KEY (else <data-dir>/secrets.json, as serve wrote it).
`;

/** @internal */
export interface ImportConfig {
  connectionId: string;
  file: string;
  format: CdrFormat;
  dataDir: string;
  redisUrl: string | undefined;
  emulator: string | undefined;
  encryptionKey: string;
  stateSecret: string;
  publicLinkSecret: string;
}

/** Reads the flags and the environment; `undefined` when `--help` was asked. @internal */
export async function readImportConfig(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<ImportConfig | undefined> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      connection: { type: 'string' },
      'data-dir': { type: 'string', default: './data' },
      'redis-url': { type: 'string' },
      format: { type: 'string' },
      emulator: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return undefined;
  const dataDir = values['data-dir'] as string;
  const issues: Array<{ path: string; message: string }> = [];
  if (!values.connection) issues.push({ path: '--connection', message: 'is required' });
  const [file, ...extra] = positionals;
  if (!file) issues.push({ path: '<file>', message: 'is required (a .csv or .jsonl file, or -)' });
  if (extra.length > 0) issues.push({ path: '<file>', message: 'only one file per run' });
  const format = (values.format ?? (file ? formatOf(file) : undefined)) as CdrFormat | undefined;
  if (file && format !== 'csv' && format !== 'jsonl') {
    issues.push({
      path: '--format',
      message: values.format ? 'must be csv or jsonl' : 'is required when the file is not .csv or .jsonl',
    });
  }
  const secrets = await loadSecrets(dataDir, env, false);
  if (!secrets.encryptionKey) {
    issues.push({
      path: '--data-dir',
      message: 'holds no secrets.json and ZCC_ENCRYPTION_KEY is not set (is it the serve data directory?)',
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'zoho-crm-connector import');
  // No authorization happens here: secrets serve has not saved are not needed.
  const ephemeral = () => randomBytes(32).toString('base64');
  return {
    connectionId: values.connection as string,
    file: file as string,
    format: format as CdrFormat,
    dataDir,
    redisUrl: values['redis-url'],
    emulator: values.emulator,
    encryptionKey: secrets.encryptionKey as string,
    stateSecret: secrets.stateSecret ?? ephemeral(),
    publicLinkSecret: secrets.publicLinkSecret ?? ephemeral(),
  };
}

/** Where the command writes. @internal */
export interface ImportIo {
  /** The summary. */
  out(text: string): void;
  /** Progress and log lines. */
  err(text: string): void;
  /** Whether `err` is a terminal (a redrawn bar instead of lines). */
  tty: boolean;
  /** Stops the import (Ctrl+C). */
  signal?: AbortSignal;
}

/** Runs the import; resolves with the exit code. @internal */
export async function runImport(config: ImportConfig, io: ImportIo): Promise<number> {
  const view = progressView(io);
  // Info lines (one per call logged) would drown the bar: warnings and errors only.
  const json = jsonLogger((line) => view.log(line));
  const logger: Logger = { ...json, info: () => undefined };
  const total = config.file === '-' ? undefined : await countCdrs(config.file, config.format);
  const stores = await openStores(config);
  const registry = createCliRegistry({ ...config, publicUrl: 'http://127.0.0.1:8787' }, stores, logger, 0);
  let last: ImportProgress | undefined;
  try {
    const zoho = await registry.get(config.connectionId);
    const calls = readCdrs(config.file, config.format) as AsyncIterable<unknown> as AsyncIterable<PbxCall>;
    let summary: ImportSummary;
    try {
      summary = await zoho.importCalls(calls, {
        ...(total === undefined ? {} : { total }),
        ...(io.signal ? { signal: io.signal } : {}),
        onProgress: (p) => {
          last = p;
          view.update(p);
        },
      });
    } finally {
      view.end();
    }
    const { pending } = summary.queued > 0 ? await zoho.flush() : { pending: 0 };
    io.out(formatSummary(config, summary, pending));
    if (summary.aborted) return 130;
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    if (last) io.out(formatSummary(config, { ...last, aborted: true, failures: [] }, undefined));
    throw error;
  } finally {
    await registry.close();
    await stores.close();
  }
}

/** The summary printed at the end. @internal */
export function formatSummary(config: ImportConfig, s: ImportSummary, pending: number | undefined): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `zoho-crm-connector import: ${config.file} into ${config.connectionId}${s.aborted ? ' (stopped before the end: run it again to go on)' : ''}`,
    '',
    `  read     ${n(s.done)}${s.total === undefined ? '' : ` of ${n(s.total)}`}`,
    `  logged   ${n(s.logged)}`,
    `  skipped  ${n(s.skipped)}  (already logged, repeated, internal or not trunk calls)`,
    `  failed   ${n(s.failed)}`,
    `  queued   ${n(s.queued)}`,
  ];
  if (pending !== undefined && pending > 0) {
    lines.push('', `${n(pending)} journal writes still queued: serve (or the next import) writes them.`);
  }
  if (s.failures.length > 0) {
    lines.push('', `failures${s.failures.length < s.failed ? ` (first ${s.failures.length})` : ''}:`);
    for (const f of s.failures) {
      const zoho = f.error.zohoCode ? ` ${f.error.zohoCode}` : '';
      lines.push(`  call ${f.index + 1} (${f.callId ?? 'no id'}): ${f.error.code}${zoho} ${f.error.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** One line of progress, as the bar shows it and as plain lines print it. @internal */
export function progressLine(p: ImportProgress, width = 30): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const counts = `${n(p.logged)} logged, ${n(p.skipped)} skipped, ${n(p.failed)} failed, ${n(p.queued)} queued`;
  if (p.total === undefined || p.total === 0) return `${n(p.done)} calls: ${counts}`;
  const ratio = Math.min(1, p.done / p.total);
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${bar} ${String(Math.floor(ratio * 100)).padStart(3)}% ${n(p.done)}/${n(p.total)}: ${counts}`;
}

/** A bar redrawn in place on a terminal; a line per update otherwise. Log lines go above the bar. */
function progressView(io: ImportIo) {
  let shown = '';
  const clear = () => {
    if (io.tty && shown) io.err('\r\x1b[K');
  };
  return {
    update(p: ImportProgress) {
      const line = progressLine(p);
      if (!io.tty) {
        io.err(`${line}\n`);
        return;
      }
      clear();
      shown = line;
      io.err(line);
    },
    log(line: string) {
      clear();
      io.err(line);
      if (io.tty && shown) io.err(shown);
    },
    end() {
      if (io.tty && shown) io.err('\n');
      shown = '';
    },
  };
}
