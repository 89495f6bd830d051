#!/usr/bin/env node
/**
 * The `zoho-crm-connector` command: `serve` runs the PBX service, `doctor` checks a tenant's Zoho
 * connection, `import` backfills a tenant's call journal from a CDR export.
 *
 * @module
 */
import { isZohoCrmError } from '../errors.js';
import { DOCTOR_USAGE, formatReport, readDoctorConfig, runDoctor } from './doctor.js';
import { IMPORT_USAGE, readImportConfig, runImport } from './import.js';
import { jsonLogger, startServe } from './serve.js';
import { readServeConfig, SERVE_USAGE } from './serve-config.js';

const USAGE = `Usage: zoho-crm-connector <command> [options]

Commands:
  serve    run the PBX service: every tenant's Zoho CRM connector over HTTP, with its admin page
  doctor   check one tenant's Zoho connection (authorization, scopes, fields, search, duration)
  import   backfill one tenant's call journal from a CDR export (CSV or JSON Lines)

Run "zoho-crm-connector <command> --help" for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === 'doctor') return doctor(rest);
  if (command === 'import') return importCdrs(rest);
  if (command !== 'serve') {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
    return 1;
  }
  const config = await readServeConfig(rest, process.env);
  if (!config) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const logger = jsonLogger();
  const running = await startServe(config, logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return -1; // keep running
}

async function doctor(args: string[]): Promise<number> {
  const config = await readDoctorConfig(args, process.env);
  if (!config) {
    process.stdout.write(DOCTOR_USAGE);
    return 0;
  }
  // Log lines go to stderr: stdout carries the table (or the JSON report).
  const report = await runDoctor(
    config,
    jsonLogger((line) => process.stderr.write(line)),
  );
  process.stdout.write(
    config.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, config.connectionId),
  );
  return report.ok ? 0 : 1;
}

async function importCdrs(args: string[]): Promise<number> {
  const config = await readImportConfig(args, process.env);
  if (!config) {
    process.stdout.write(IMPORT_USAGE);
    return 0;
  }
  // Ctrl+C stops reading; what was handed to the journal is finished first (a second Ctrl+C exits at once).
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after the calls in flight (Ctrl+C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return runImport(config, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    tty: process.stderr.isTTY === true,
    signal: controller.signal,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const message = isZohoCrmError(error) || error instanceof TypeError ? error.message : String(error);
    process.stderr.write(`zoho-crm-connector: ${message}\n`);
    process.exitCode = 1;
  },
);
