/**
 * `zoho-crm-connector doctor`: runs `diagnose()` for one tenant of a `serve` data directory (or its
 * Redis stores) and prints the checks as a table; the exit code is 1 when a check failed. The stores and
 * secrets are the ones `serve` set up: doctor reads them and never creates any.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { DiagnoseReport } from '../diagnose/types.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createCliRegistry, openStores } from './runtime.js';
import { loadSecrets } from './serve-config.js';

/** @internal */
export const DOCTOR_USAGE = `Usage: zoho-crm-connector doctor --connection <id> [options]

Checks one tenant's Zoho connection (see docs/diagnose.md) and prints the checks as a table.
Exits 1 when a check failed.

Options:
  --connection <id>        the tenant (connection id) to check (required)
  --data-dir <dir>         the serve data directory: tokens, settings, secrets (default ./data)
  --redis-url <url>        the tenants' stores are in Redis instead
  --write                  also run the write probes: create, measure and delete one test Lead and
                           one test Call (needs ZohoCRM.modules.leads.DELETE and .calls.DELETE)
  --json                   print the report as JSON instead of a table
  --emulator <url>         use a zoho-crm-emulator at this origin instead of Zoho (development)
  -h, --help               this text

Environment: ZCC_ENCRYPTION_KEY (else <data-dir>/secrets.json, as serve wrote it).
`;

/** @internal */
export interface DoctorConfig {
  connectionId: string;
  dataDir: string;
  redisUrl: string | undefined;
  write: boolean;
  json: boolean;
  emulator: string | undefined;
  encryptionKey: string;
  stateSecret: string;
  publicLinkSecret: string;
}

/** Reads the flags and the environment; `undefined` when `--help` was asked. @internal */
export async function readDoctorConfig(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<DoctorConfig | undefined> {
  const { values } = parseArgs({
    args,
    options: {
      connection: { type: 'string' },
      'data-dir': { type: 'string', default: './data' },
      'redis-url': { type: 'string' },
      write: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      emulator: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const dataDir = values['data-dir'] as string;
  const issues: Array<{ path: string; message: string }> = [];
  if (!values.connection) issues.push({ path: '--connection', message: 'is required' });
  const secrets = await loadSecrets(dataDir, env, false);
  if (!secrets.encryptionKey) {
    issues.push({
      path: '--data-dir',
      message: 'holds no secrets.json and ZCC_ENCRYPTION_KEY is not set (is it the serve data directory?)',
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'zoho-crm-connector doctor');
  // Doctor authorizes nothing and writes no public link: secrets serve has not saved are not needed.
  const ephemeral = () => randomBytes(32).toString('base64');
  return {
    connectionId: values.connection as string,
    dataDir,
    redisUrl: values['redis-url'],
    write: values.write === true,
    json: values.json === true,
    emulator: values.emulator,
    encryptionKey: secrets.encryptionKey as string,
    stateSecret: secrets.stateSecret ?? ephemeral(),
    publicLinkSecret: secrets.publicLinkSecret ?? ephemeral(),
  };
}

/** Runs the checks for the tenant; resolves with the report. @internal */
export async function runDoctor(config: DoctorConfig, logger: Logger): Promise<DiagnoseReport> {
  const stores = await openStores(config);
  const registry = createCliRegistry(
    { ...config, publicUrl: 'http://127.0.0.1:8787' }, // no callback reaches doctor
    stores,
    logger,
  );
  try {
    const zoho = await registry.get(config.connectionId);
    return await zoho.diagnose({ write: config.write });
  } finally {
    await registry.close();
    await stores.close();
  }
}

/** The report as a plain-text table, with the calibration and a verdict below it. @internal */
export function formatReport(report: DiagnoseReport, connectionId: string): string {
  const rows = report.checks.map((c) => [c.id, c.status, c.summary]);
  const header = ['check', 'status', 'summary'];
  const width = (i: number) => Math.max(header[i]?.length ?? 0, ...rows.map((r) => r[i]?.length ?? 0));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < cells.length - 1 ? cell.padEnd(width(i)) : cell))
      .join('  ')
      .trimEnd();
  const count = (status: string) => report.checks.filter((c) => c.status === status).length;
  const cal = report.calibration;
  const fields = Object.entries(cal.phoneFields)
    .map(([module, list]) => `${module} ${list?.join(', ') || '-'}`)
    .join('; ');
  return [
    `zoho-crm-connector doctor: ${connectionId}`,
    '',
    line(header),
    line(header.map((_, i) => '-'.repeat(width(i)))),
    ...rows.map(line),
    '',
    'calibration:',
    `  phoneSearch           ${cal.phoneSearch}`,
    `  durationFormat        ${cal.durationFormat}`,
    `  indexLagMs            ${cal.indexLagMs ?? 'unknown'}`,
    `  phoneFields           ${fields || 'unknown'}`,
    `  callsMandatoryFields  ${cal.callsMandatoryFields.join(', ') || 'none'}`,
    '',
    `${report.ok ? 'ok' : 'FAILED'}: ${count('fail')} failed, ${plural(count('warn'), 'warning')}, ${count('skip')} skipped, ${count('pass')} passed`,
    '',
  ].join('\n');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
