/**
 * The `zoho-crm-emulator` bin, run as a real process (through tsx, from source): it prints its URLs
 * and a ready-made client, serves the seed file, and exits cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../src/testing/cli.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; output: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out}`)), 15_000);
    const check = () => {
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on('data', check);
    void exit.then(() => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  return { child, output, exit };
}

describe('zoho-crm-emulator CLI', () => {
  it('prints its URLs and a ready client, serves the seed file, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zoho-emu-cli-'));
    dirs.push(dir);
    const seed = join(dir, 'seed.json');
    await writeFile(
      seed,
      JSON.stringify({
        Contacts: [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }],
        Leads: [{ Last_Name: 'Doe', Company: 'Initech' }],
      }),
    );
    const { child, output, exit } = run([
      '--port',
      '0',
      '--edition',
      'Professional',
      '--seed',
      seed,
      '--token',
    ]);
    const text = await output;
    expect(text).toContain('Zoho CRM emulator (Professional, data centre US)');
    expect(text).toMatch(/client id\s+1000\.EMULATORCLIENT/);
    expect(text).toMatch(/client secret\s+emulator-secret/);
    expect(text).toMatch(/redirect URI\s+http:\/\/localhost:3000\/callback/);
    expect(text).toContain('Seeded: 1 Contacts, 1 Leads');
    const apiUrl = /API domain\s+(\S+)/.exec(text)?.[1] ?? '';
    const token = /Access token \(1 h\): (\S+)/.exec(text)?.[1] ?? '';
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/us$/);
    const res = await fetch(`${apiUrl}/crm/v8/Contacts/search?phone=4155552671`, {
      headers: { authorization: `Zoho-oauthtoken ${token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: Array<{ Full_Name: string }> }).data[0]?.Full_Name).toBe(
      'Ada Lovelace',
    );
    const accountsUrl = /accounts server\s+(\S+)/.exec(text)?.[1] ?? '';
    const auth = await fetch(
      `${accountsUrl}/oauth/v2/auth?${new URLSearchParams({
        client_id: '1000.EMULATORCLIENT',
        response_type: 'code',
        redirect_uri: 'http://localhost:3000/callback',
        scope: 'ZohoCRM.modules.ALL',
      })}`,
      { redirect: 'manual' },
    );
    expect(auth.status).toBe(302);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('explains bad arguments and exits 1', async () => {
    const { output, exit } = run(['--edition', 'Gold']);
    expect(await exit).toBe(1);
    expect(await output).toContain(
      '--edition must be one of Free, Standard, Professional, Enterprise, Ultimate',
    );
  });
});
