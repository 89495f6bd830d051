/**
 * `zoho-crm-connector import` as a real process (through tsx, from source) against the emulator, over the
 * stores and secrets of a `serve` data directory: CSV (quoted cells with commas, quotes and line breaks)
 * and JSON Lines, a summary, progress lines when stderr is not a terminal, a re-run that skips what is
 * logged, and a broken file stopping with its line number.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/import.js';
import { ZohoCrmConnector } from '../../src/connector.js';
import { createFileStore } from '../../src/stores/file.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { runCli, serveDataDir } from '../helpers/cli.js';
import { authorize } from '../integration/helpers.js';

const CLIENT = {
  clientId: '1000.IMPORT',
  clientSecret: 'import-client-secret-value',
  redirectUri: 'http://127.0.0.1:8787/api/auth/callback/zoho',
};

const HEADER =
  'id,direction,trunk,from,to,agent.extension,startedAt,answeredAt,endedAt,status,recording.url,notes';
const CSV = [
  HEADER,
  'cdr-1,inbound,true,+14155552671,+14155550100,201,2025-01-10T09:00:00Z,2025-01-10T09:00:05Z,2025-01-10T09:04:00Z,answered,https://pbx.example.com/rec/1.wav,"Wants a quote, 20 seats\nSaid ""call me Monday"""',
  'cdr-2,outbound,yes,201,+14155552672,201,2025-01-10T10:00:00Z,,2025-01-10T10:00:30Z,no-answer,,',
  'cdr-3,inbound,true,+14155552673,+14155550100,,2025-01-10T11:00:00Z,,2025-01-10T10:00:00Z,missed,,', // ends before it starts
  'cdr-4,internal,false,201,202,,2025-01-10T12:00:00Z,,2025-01-10T12:01:00Z,answered,,',
].join('\r\n');

describe('zoho-crm-connector import', () => {
  let emulator: ZohoEmulator;
  let dataDir: string;
  const base = () => ['import', '--data-dir', dataDir, '--connection', 't1', '--emulator', emulator.url];

  beforeAll(async () => {
    emulator = await startZohoEmulator({ autoConsent: true, searchIndexDelayMs: 0 });
    emulator.registerClient({ ...CLIENT, redirectUris: [CLIENT.redirectUri] });
    const made = await serveDataDir('zcc-import-', CLIENT);
    dataDir = made.dataDir;
    const { encryptionKey } = made;
    const zoho = new ZohoCrmConnector({
      connectionId: 't1',
      ...CLIENT,
      tokenStore: createFileStore({ path: join(dataDir, 'tokens'), encryptionKey }),
      endpoints: { regions: emulator.regions },
    });
    await authorize(zoho);
    await zoho.close();
    await writeFile(join(dataDir, 'cdrs.csv'), `\uFEFF${CSV}\r\n`);
  });
  afterAll(async () => {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints its usage with the CSV columns, and refuses without a tenant, a file or a format', async () => {
    const help = await runCli(['import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('agent.extension');
    expect(help.stdout).toContain('JSON Lines');
    const missing = await runCli(['import', '--data-dir', dataDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--connection: is required');
    expect(missing.stderr).toContain('<file>: is required');
    const unknown = await runCli([...base(), join(dataDir, 'cdrs.txt')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--format: is required');
  });

  it('imports a CSV export, prints progress and a summary, and a re-run skips what is logged', async () => {
    const first = await runCli([...base(), join(dataDir, 'cdrs.csv')]);
    expect(first.code, first.stderr).toBe(1); // one call failed
    expect(first.stdout).toMatch(/^ {2}read {5}4 of 4$/m);
    expect(first.stdout).toMatch(/^ {2}logged {3}2$/m);
    expect(first.stdout).toMatch(/^ {2}skipped {2}1 /m);
    expect(first.stdout).toMatch(/^ {2}failed {3}1$/m);
    expect(first.stdout).toContain('call 3 (cdr-3): CONFIG_INVALID');
    expect(first.stdout).toContain('endedAt');
    expect(first.stderr).toMatch(/^\[#+\] 100% 4\/4: 2 logged, 1 skipped, 1 failed, 0 queued$/m); // not a TTY
    expect(first.stdout + first.stderr).not.toContain(CLIENT.clientSecret);

    const calls = emulator.records('Calls');
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.Call_Type).sort()).toEqual(['Inbound', 'Outbound']);
    expect(emulator.records('Notes').map((n) => n.Note_Content)).toEqual([
      'Wants a quote, 20 seats',
      'Said "call me Monday"',
    ]);

    const again = await runCli([...base(), join(dataDir, 'cdrs.csv')]);
    expect(again.code).toBe(1); // cdr-3 is still invalid
    expect(again.stdout).toMatch(/^ {2}logged {3}0$/m);
    expect(again.stdout).toMatch(/^ {2}skipped {2}3 /m);
    expect(emulator.records('Calls')).toHaveLength(2);
  });

  it('imports JSON Lines, and stops at a broken row with its line number', async () => {
    const jsonl = join(dataDir, 'more.jsonl');
    const call = (id: string) =>
      JSON.stringify({
        id,
        direction: 'inbound',
        trunk: true,
        from: '+14155552674',
        to: '+14155550100',
        startedAt: '2025-01-11T09:00:00Z',
        endedAt: '2025-01-11T09:00:20Z',
        status: 'missed',
      });
    await writeFile(jsonl, `${call('cdr-1')}\n\n${call('cdr-5')}\n`);
    const ok = await runCli([...base(), jsonl]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ {2}logged {3}1$/m);
    expect(ok.stdout).toMatch(/^ {2}skipped {2}1 /m);
    expect(emulator.records('Calls')).toHaveLength(3);

    const broken = join(dataDir, 'broken.csv');
    await writeFile(broken, `${HEADER}\ncdr-9,inbound\n`);
    const bad = await runCli([...base(), broken]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('broken.csv line 2: 2 cells, the header has 12 columns');
  });
});

describe('the progress line', () => {
  it('draws a bar when the total is known, counts otherwise', () => {
    const p = { done: 250, logged: 200, skipped: 40, failed: 5, queued: 5 };
    expect(progressLine({ ...p, total: 1_000 }, 10)).toBe(
      '[###.......]  25% 250/1,000: 200 logged, 40 skipped, 5 failed, 5 queued',
    );
    expect(progressLine(p)).toBe('250 calls: 200 logged, 40 skipped, 5 failed, 5 queued');
  });
});
