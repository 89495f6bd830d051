/**
 * `zoho-crm-connector serve` as a real process (through tsx, from source) against the emulator: it
 * starts with file stores in a temporary data directory, answers the routes, keeps its generated
 * secrets private, and flushes and exits cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySettingsStore } from '../../src/stores/settings-memory.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const KEY = 'serve-api-key-0123456789abcdef';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (out.includes(text)) {
          child.stdout?.off('data', check);
          resolve(out);
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', () =>
        out.includes(text) ? resolve(out) : reject(new Error(`exited before "${text}":\n${out}`)),
      );
      check();
    });
  return { child, exit, waitFor, output: () => out };
}

describe('zoho-crm-connector serve', () => {
  let emulator: ZohoEmulator;
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    emulator = await startZohoEmulator({ autoConsent: true, dataCenter: 'us' });
    dataDir = await mkdtemp(join(tmpdir(), 'zcc-serve-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints its usage with --help and refuses to start without an API key', async () => {
    const help = run(['serve', '--help']);
    expect(await help.exit).toBe(0);
    expect(help.output()).toContain('--data-dir <dir>');
    const missing = run(['serve', '--data-dir', dataDir], { PBX_API_KEY: '' });
    expect(await missing.exit).toBe(1);
    expect(missing.output()).toContain('--api-key: is required');
    const unknown = run(['nonsense']);
    expect(await unknown.exit).toBe(1);
  });

  it('serves a tenant end to end with file stores, then stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const settings = createMemorySettingsStore(); // only to shape the PUT body like the admin form
    void settings;
    emulator.registerClient({
      clientId: '1000.SERVE',
      clientSecret: 'serve-client-secret-value',
      redirectUris: [`${publicUrl}/api/auth/callback/zoho`],
    });
    emulator.seed('Contacts', [{ First_Name: 'Grace', Last_Name: 'Hopper', Phone: '+1 415 555 2671' }]);
    const serve = run(['serve', '--port', String(port), '--data-dir', dataDir, '--emulator', emulator.url], {
      PBX_API_KEY: `old-key-that-is-long-enough-0,${KEY}`,
    });
    child = serve.child;
    await serve.waitFor('zoho-crm-connector service listening');
    const auth = { authorization: `Bearer ${KEY}` };

    expect((await fetch(`${publicUrl}/healthz`)).status).toBe(200);
    const put = await fetch(`${publicUrl}/v1/tenants/t1/settings`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: '1000.SERVE',
        clientSecret: 'serve-client-secret-value',
        region: 'US',
      }),
    });
    expect(put.status).toBe(200);
    const start = await fetch(`${publicUrl}/v1/tenants/t1/authorize`, { headers: auth, redirect: 'manual' });
    const consent = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
    const callback = await fetch(consent.headers.get('location') as string);
    expect(callback.status).toBe(200);
    const found = await fetch(`${publicUrl}/v1/tenants/t1/caller?number=%2B14155552671`, { headers: auth });
    expect(await found.json()).toMatchObject({ match: { name: 'Grace Hopper' } });

    // The data directory holds the stores and the generated secrets, private to the service user.
    const secrets = await stat(join(dataDir, 'secrets.json'));
    expect(secrets.mode & 0o077).toBe(0);
    const settingsFiles = await readFile(join(dataDir, 'secrets.json'), 'utf8');
    expect(settingsFiles).toContain('encryptionKey');

    // Every log line is JSON and carries no secret.
    const lines = serve.output().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(serve.output()).not.toContain('serve-client-secret-value');
    expect(serve.output()).not.toContain(KEY);

    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(0);
    expect(serve.output()).toContain('zoho-crm-connector service stopped');
  });
});
