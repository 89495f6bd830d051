/**
 * `zoho-crm-connector` subcommands run to completion as real processes (through tsx, from source), and
 * a data directory as `serve` leaves it (generated secrets, one tenant's settings), for the doctor and
 * import tests.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSecrets } from '../../src/cli/serve-config.js';
import { createFileSettingsStore } from '../../src/stores/file.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` until it exits (no encryption key from the environment). */
export function runCli(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ZCC_ENCRYPTION_KEY: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** A temporary `serve` data directory with generated secrets and tenant `t1` of this client in the US. */
export async function serveDataDir(
  prefix: string,
  client: { clientId: string; clientSecret: string },
): Promise<{ dataDir: string; encryptionKey: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const encryptionKey = (await loadSecrets(dataDir, {}, true)).encryptionKey as string;
  const settings = createFileSettingsStore({ path: join(dataDir, 'settings'), encryptionKey });
  await settings.set('t1', { clientId: client.clientId, clientSecret: client.clientSecret, region: 'US' });
  return { dataDir, encryptionKey };
}
