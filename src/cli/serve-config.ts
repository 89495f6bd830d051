/**
 * `zoho-crm-connector serve`: its arguments and environment, read into one checked configuration.
 * Secrets come from the environment (or flags for local use) and, when absent, are generated once and
 * kept in the data directory with mode 0600 so a restart keeps tokens readable and links valid.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';

/** @internal */
export interface ServeConfig {
  port: number;
  host: string;
  dataDir: string;
  redisUrl: string | undefined;
  publicUrl: string;
  apiKeys: string[];
  adminPassword: string | undefined;
  /** An emulator's origin that stands in for Zoho (development and tests). */
  emulator: string | undefined;
  encryptionKey: string;
  stateSecret: string;
  publicLinkSecret: string;
  sessionSecret: string;
}

/** @internal */
export const SERVE_USAGE = `Usage: zoho-crm-connector serve [options]

Serves every tenant's Zoho CRM connector over HTTP (see docs/pbx-service.md).

Options:
  --port <n>               TCP port (default 8787)
  --host <address>         interface to bind (default 127.0.0.1; use 0.0.0.0 behind a TLS proxy)
  --data-dir <dir>         tokens, journal, settings and generated secrets (default ./data)
  --redis-url <url>        keep tokens, journal and settings in Redis instead (a cluster of services)
  --public-url <url>       how Zoho and browsers reach this service (default http://<host>:<port>);
                           the redirect URI is <public-url>/api/auth/callback/zoho
  --api-key <keys>         comma-separated API keys for /v1 and /metrics (or PBX_API_KEY)
  --admin-password <text>  the admin page's password (or PBX_ADMIN_PASSWORD; else an API key logs in)
  --emulator <url>         use a zoho-crm-emulator at this origin instead of Zoho (development)
  -h, --help               this text

Environment: PBX_API_KEY, PBX_ADMIN_PASSWORD, ZCC_ENCRYPTION_KEY (base64, 32 bytes), ZCC_STATE_SECRET,
ZCC_PUBLIC_LINK_SECRET, ZCC_SESSION_SECRET. Secrets not given are generated into <data-dir>/secrets.json.
`;

const GENERATED = ['encryptionKey', 'stateSecret', 'publicLinkSecret', 'sessionSecret'] as const;

/** Reads the flags and the environment; `undefined` when `--help` was asked. @internal */
export async function readServeConfig(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<ServeConfig | undefined> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: './data' },
      'redis-url': { type: 'string' },
      'public-url': { type: 'string' },
      'api-key': { type: 'string' },
      'admin-password': { type: 'string' },
      emulator: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const issues: Array<{ path: string; message: string }> = [];
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    issues.push({ path: '--port', message: 'must be 0 to 65535' });
  const apiKeys = (values['api-key'] ?? env.PBX_API_KEY ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (apiKeys.length === 0) issues.push({ path: '--api-key', message: 'is required (or PBX_API_KEY)' });
  const host = values.host as string;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const publicUrl = (values['public-url'] ?? `http://${shownHost}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(publicUrl)) {
    issues.push({ path: '--public-url', message: 'must be an origin such as https://pbx.example.com' });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'zoho-crm-connector serve');

  const dataDir = values['data-dir'] as string;
  const secrets = (await loadSecrets(dataDir, env, true)) as Secrets;
  return {
    port,
    host,
    dataDir,
    redisUrl: values['redis-url'],
    publicUrl,
    apiKeys,
    adminPassword: values['admin-password'] ?? env.PBX_ADMIN_PASSWORD,
    emulator: values.emulator,
    ...secrets,
  };
}

/** The secrets `serve` keeps. @internal */
export type Secrets = Record<(typeof GENERATED)[number], string>;

/**
 * Secrets from the environment, else from `<dataDir>/secrets.json`; the missing ones are generated and
 * saved there when `generate` (serve), else left out (doctor only reads what serve wrote). @internal
 */
export async function loadSecrets(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  generate: boolean,
): Promise<Partial<Secrets>> {
  const given: Partial<Record<keyof Secrets, string | undefined>> = {
    encryptionKey: env.ZCC_ENCRYPTION_KEY,
    stateSecret: env.ZCC_STATE_SECRET,
    publicLinkSecret: env.ZCC_PUBLIC_LINK_SECRET,
    sessionSecret: env.ZCC_SESSION_SECRET,
  };
  const file = join(dataDir, 'secrets.json');
  let saved: Partial<Secrets> = {};
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as Partial<Secrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: Partial<Secrets> = {};
  let changed = false;
  for (const name of GENERATED) {
    const value = given[name] || saved[name];
    if (value) secrets[name] = value;
    else if (generate) {
      secrets[name] = randomBytes(32).toString('base64');
      saved[name] = secrets[name];
      changed = true;
    }
  }
  if (changed) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
