/**
 * `zoho-crm-connector doctor` as a real process (through tsx, from source) against the emulator, over the
 * stores and secrets a `serve` data directory holds: a table, exit 1 on a failed check, exit 0 when all
 * is well, and the write probes leave nothing behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZohoCrmConnector } from '../../src/connector.js';
import { DEFAULT_SCOPES, DIAGNOSE_SCOPES } from '../../src/oauth/scopes.js';
import { createFileStore } from '../../src/stores/file.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { runCli, serveDataDir } from '../helpers/cli.js';
import { authorize } from '../integration/helpers.js';

const CLIENT = {
  clientId: '1000.DOCTOR',
  clientSecret: 'doctor-client-secret-value',
  redirectUri: 'http://127.0.0.1:8787/api/auth/callback/zoho',
};

describe('zoho-crm-connector doctor', () => {
  let emulator: ZohoEmulator;
  let dataDir: string;
  let encryptionKey: string;

  beforeAll(async () => {
    emulator = await startZohoEmulator({ autoConsent: true, searchIndexDelayMs: 0 });
    emulator.registerClient({ ...CLIENT, redirectUris: [CLIENT.redirectUri] });
    // The data directory as serve leaves it: generated secrets, the tenant's settings.
    ({ dataDir, encryptionKey } = await serveDataDir('zcc-doctor-', CLIENT));
  });
  afterAll(async () => {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints its usage, and refuses without a tenant or outside a data directory', async () => {
    const help = await runCli(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--connection <id>');
    const missing = await runCli(['doctor', '--data-dir', dataDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--connection: is required');
    const empty = await mkdtemp(join(tmpdir(), 'zcc-doctor-empty-'));
    const nowhere = await runCli(['doctor', '--data-dir', empty, '--connection', 't1']);
    await rm(empty, { recursive: true, force: true });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('secrets.json');
    const unknown = await runCli([
      'doctor',
      '--data-dir',
      dataDir,
      '--connection',
      'nobody',
      '--emulator',
      emulator.url,
    ]);
    expect(unknown.code).toBe(1);
  });

  it('prints the table and exits 1 while the tenant is not authorized', async () => {
    const result = await runCli([
      'doctor',
      '--data-dir',
      dataDir,
      '--connection',
      't1',
      '--emulator',
      emulator.url,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^check\s+status\s+summary$/m);
    expect(result.stdout).toMatch(/^authorization\s+fail\s+not authorized/m);
    expect(result.stdout).toMatch(/^scopes\s+skip\s+needs an authorized connection$/m);
    expect(result.stdout).toContain('FAILED: 1 failed');
    expect(result.stdout).not.toContain(CLIENT.clientSecret);
  });

  it('passes once authorized, and --write measures and cleans up', async () => {
    const zoho = new ZohoCrmConnector({
      connectionId: 't1',
      ...CLIENT,
      scopes: [...DEFAULT_SCOPES, ...DIAGNOSE_SCOPES],
      tokenStore: createFileStore({ path: join(dataDir, 'tokens'), encryptionKey }),
      endpoints: { regions: emulator.regions },
    });
    await authorize(zoho);
    await zoho.close();

    const read = await runCli([
      'doctor',
      '--data-dir',
      dataDir,
      '--connection',
      't1',
      '--emulator',
      emulator.url,
    ]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toMatch(/^authorization\s+pass/m);
    expect(read.stdout).toMatch(/^phone-search\s+skip/m);
    expect(read.stdout).toMatch(/^ok: 0 failed/m);

    const write = await runCli([
      'doctor',
      '--data-dir',
      dataDir,
      '--connection',
      't1',
      '--write',
      '--emulator',
      emulator.url,
    ]);
    expect(write.code, write.stderr).toBe(0);
    expect(write.stdout).toMatch(/^phone-search\s+pass\s+search\?phone= matches digits-contains/m);
    expect(write.stdout).toMatch(/^call-duration\s+pass\s+Call_Duration "01:02" is read as mm:ss/m);
    expect(write.stdout).toMatch(/^ {2}indexLagMs\s+\d+$/m); // measured on the real clock
    expect(emulator.records('Leads')).toEqual([]);
    expect(emulator.records('Calls')).toEqual([]);

    const json = await runCli([
      'doctor',
      '--data-dir',
      dataDir,
      '--connection',
      't1',
      '--json',
      '--emulator',
      emulator.url,
    ]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; calibration: { phoneSearch: string } };
    expect(report.ok).toBe(true);
    expect(report.calibration.phoneSearch).toBe('digits-contains'); // kept from the --write run
  });
});
