/**
 * The outputs in docs/diagnose.md come from real runs: each block is `diagnose()` against the emulator in
 * one mode, rendered by doctor's formatter. The test fails when the page and the code disagree;
 * `UPDATE_DOCS=1` rewrites the blocks instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatReport } from '../../src/cli/doctor.js';
import type { DiagnoseReport } from '../../src/diagnose/types.js';
import { DEFAULT_SCOPES, DIAGNOSE_SCOPES } from '../../src/oauth/scopes.js';
import type { ZohoEmulatorOptions } from '../../src/testing/emulator/types.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { authorize, closeConnectors, connectorFor, registerClient } from '../integration/helpers.js';

const PAGE = fileURLToPath(new URL('../../docs/diagnose.md', import.meta.url));
const T0 = Date.parse('2026-12-01T10:00:00Z');
const blocks = new Map<string, string>();
const live: ZohoEmulator[] = [];

// A fixed date makes the authorization time in the output reproducible; the probes wait on the emulator's clock.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: T0 });
});
afterEach(async () => {
  await closeConnectors();
  await Promise.all(live.splice(0).map((emu) => emu.close()));
});
afterAll(() => {
  vi.useRealTimers();
});

async function run(
  emulatorOptions: ZohoEmulatorOptions,
  { write = true, scopes = [...DEFAULT_SCOPES, ...DIAGNOSE_SCOPES], authorized = true } = {},
): Promise<DiagnoseReport> {
  const emu = await startZohoEmulator({ autoConsent: true, ...emulatorOptions });
  live.push(emu);
  registerClient(emu);
  const zoho = connectorFor(emu, { connectionId: 'tenant-42', scopes });
  if (authorized) await authorize(zoho);
  return zoho.diagnose({
    write,
    clock: { now: () => emu.now(), sleep: async (ms) => emu.advanceTime(ms) },
  });
}

const text = (report: DiagnoseReport) => `\`\`\`text\n${formatReport(report, 'tenant-42')}\`\`\``;

describe('docs/diagnose.md outputs', () => {
  it('a healthy connection with the write probes', async () => {
    blocks.set('write', text(await run({ searchIndexDelayMs: 2000 })));
  });

  it('read-only, custom and absent phone fields', async () => {
    const report = await run(
      {
        absentFields: { Contacts: ['Mobile'] },
        fields: { Contacts: [{ apiName: 'Work_Phone', dataType: 'phone' }] },
      },
      { write: false },
    );
    blocks.set('read-only', text(report));
  });

  it('every emulator mode', async () => {
    const rows = [
      '| `phoneMatch` | `durationReading` | `searchIndexDelayMs` | phone-search | call-duration | index-lag |',
      '| --- | --- | --- | --- | --- | --- |',
    ];
    for (const phoneMatch of ['digits-contains', 'digits-suffix', 'digits-exact', 'exact'] as const) {
      for (const durationReading of ['mm:ss', 'HH:mm'] as const) {
        for (const searchIndexDelayMs of [0, 2000]) {
          const report = await run({ phoneMatch, durationReading, searchIndexDelayMs });
          expect(report.calibration).toMatchObject({
            phoneSearch: phoneMatch,
            durationFormat: durationReading,
            indexLagMs: searchIndexDelayMs,
          });
          const cell = (id: string) => {
            const check = report.checks.find((c) => c.id === id);
            return `${check?.status}: ${check?.summary.replaceAll('|', '\\|')}`;
          };
          rows.push(
            `| ${phoneMatch} | ${durationReading} | ${searchIndexDelayMs} | ${cell('phone-search')} | ${cell('call-duration')} | ${cell('index-lag')} |`,
          );
          await closeConnectors();
        }
      }
    }
    blocks.set('modes', rows.join('\n'));
  });

  it('without the DELETE scopes', async () => {
    blocks.set('no-delete-scopes', text(await run({}, { scopes: [...DEFAULT_SCOPES] })));
  });

  it('a mandatory custom Calls field', async () => {
    const report = await run({
      fields: { Calls: [{ apiName: 'Region', dataType: 'text', mandatory: true }] },
    });
    expect(report.ok).toBe(false);
    blocks.set('mandatory-field', text(report));
  });

  it('not authorized', async () => {
    blocks.set('not-authorized', text(await run({}, { authorized: false })));
  });

  it('match the page', () => {
    const page = readFileSync(PAGE, 'utf8');
    let next = page;
    for (const [name, block] of blocks) {
      const pattern = new RegExp(`(<!-- doctor-output:${name} -->\\n)[\\s\\S]*?(<!-- /doctor-output -->)`);
      expect(pattern.test(next), `marker ${name}`).toBe(true);
      next = next.replace(pattern, (_, open: string, close: string) => `${open}${block}\n${close}`);
    }
    if (process.env.UPDATE_DOCS) writeFileSync(PAGE, next);
    else
      expect(
        page,
        'docs/diagnose.md is stale: run UPDATE_DOCS=1 npx vitest run test/diagnose/docs-output.test.ts',
      ).toBe(next);
  });
});
