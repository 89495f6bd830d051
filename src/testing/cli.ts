#!/usr/bin/env node
/**
 * `zoho-crm-emulator`: runs the Zoho CRM emulator standalone until SIGINT/SIGTERM and prints its URLs
 * and a ready-made OAuth client.
 *
 * ```sh
 * npx zoho-crm-emulator --port 4010 --edition Enterprise --seed fixtures.json
 * ```
 * @internal
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EDITION_NAMES, type Edition } from '../editions.js';
import { REGION_CODES } from '../regions.js';
import type { EmulatorClientInit, EmulatorModule, EmulatorUserInit } from './emulator/types.js';
import { startZohoEmulator } from './server.js';

const HELP = `Usage: zoho-crm-emulator [options]

Runs a Zoho CRM emulator (Zoho Accounts OAuth + CRM REST v8) until Ctrl+C.

Options:
  --port <n>            TCP port (default 4010; 0 = any free port)
  --host <addr>         interface (default 127.0.0.1)
  --edition <name>      ${EDITION_NAMES.join(' | ')} (default Enterprise)
  --data-center <dc>    ${REGION_CODES.map((c) => c.toLowerCase()).join(' | ')} (default us)
  --time-zone <tz>      org time zone (default America/New_York)
  --seed <file.json>    records to load: { "Contacts": [...], "Leads": [...], "Accounts": [...],
                        "Calls": [...], "Notes": [...], "Deals": [...], "users": [...],
                        "clients": [...] }
  --client-id <id>      client id of the ready-made client (default 1000.EMULATORCLIENT)
  --client-secret <s>   its secret (default emulator-secret)
  --redirect-uri <uri>  its redirect URI (default http://localhost:3000/callback)
  --consent             show the consent page instead of redirecting at once
  --token               also print an access token for curl
  -h, --help            this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      edition: { type: 'string', default: 'Enterprise' },
      'data-center': { type: 'string', default: 'us' },
      'time-zone': { type: 'string' },
      seed: { type: 'string' },
      'client-id': { type: 'string', default: '1000.EMULATORCLIENT' },
      'client-secret': { type: 'string', default: 'emulator-secret' },
      'redirect-uri': { type: 'string', default: 'http://localhost:3000/callback' },
      consent: { type: 'boolean', default: false },
      token: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('--port must be 0..65535');
  const edition = values.edition as Edition;
  if (!EDITION_NAMES.includes(edition))
    throw new Error(`--edition must be one of ${EDITION_NAMES.join(', ')}`);
  const dataCenter = values['data-center'].toLowerCase();
  if (!REGION_CODES.some((c) => c.toLowerCase() === dataCenter)) {
    throw new Error(`--data-center must be one of ${REGION_CODES.join(', ')}`);
  }
  const seed = values.seed ? await readSeed(values.seed) : {};
  const client: EmulatorClientInit = {
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    redirectUris: [values['redirect-uri']],
    name: 'zoho-crm-emulator client',
  };
  const emu = await startZohoEmulator({
    port,
    host: values.host,
    edition,
    dataCenter: dataCenter as Lowercase<(typeof REGION_CODES)[number]>,
    autoConsent: !values.consent,
    clients: [client, ...(seed.clients ?? [])],
    ...(seed.users ? { users: seed.users } : {}),
    ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}),
  });
  const counts: string[] = [];
  for (const module of ['Accounts', 'Contacts', 'Leads', 'Calls', 'Notes'] as const) {
    const records = seed.records?.[module];
    if (records && records.length > 0) counts.push(`${emu.seed(module, records).length} ${module}`);
  }

  const lines = [
    `Zoho CRM emulator (${edition}, data centre ${emu.dataCenter}) on ${emu.url}`,
    '',
    `  accounts server  ${emu.accountsUrl}`,
    `  API domain       ${emu.apiUrl}   (CRM: ${emu.apiUrl}/crm/v8)`,
    `  authorize        ${emu.accountsUrl}/oauth/v2/auth`,
    `  token            ${emu.accountsUrl}/oauth/v2/token`,
    '',
    'Ready-made client:',
    `  client id        ${client.clientId}`,
    `  client secret    ${client.clientSecret}`,
    `  redirect URI     ${client.redirectUris[0]}`,
    `  consent          ${values.consent ? 'consent page (Accept / Deny)' : 'automatic'}`,
    '',
    `Users: ${emu.users.map((u) => `${u.full_name} <${u.email}> (${u.id})`).join(', ')}`,
    `Seeded: ${counts.length > 0 ? counts.join(', ') : 'nothing'}`,
  ];
  if (values.token) {
    const tokens = emu.issueTokens({ clientId: client.clientId });
    lines.push('', `Access token (1 h): ${tokens.accessToken}`, `Refresh token:      ${tokens.refreshToken}`);
    lines.push(`  curl -H "Authorization: Zoho-oauthtoken ${tokens.accessToken}" ${emu.apiUrl}/crm/v8/org`);
  }
  lines.push('', 'Press Ctrl+C to stop.');
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = () => {
    void emu.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

interface SeedFile {
  records?: Partial<Record<EmulatorModule, Record<string, unknown>[]>>;
  users?: EmulatorUserInit[];
  clients?: EmulatorClientInit[];
}

async function readSeed(path: string): Promise<SeedFile> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${path}: expected a JSON object`);
  const records: Partial<Record<EmulatorModule, Record<string, unknown>[]>> = {};
  for (const module of ['Contacts', 'Leads', 'Accounts', 'Calls', 'Notes'] as const) {
    const list = raw[module];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new Error(`${path}: "${module}" must be an array of records`);
    records[module] = list as Record<string, unknown>[];
  }
  const out: SeedFile = { records };
  if (Array.isArray(raw.users)) out.users = raw.users as EmulatorUserInit[];
  if (Array.isArray(raw.clients)) out.clients = raw.clients as EmulatorClientInit[];
  return out;
}

main().catch((err: unknown) => {
  process.stderr.write(`zoho-crm-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
