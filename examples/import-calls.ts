/**
 * Backfill: `zoho.importCalls()` journals the calls of a CDR export (here, 250 calls produced one by one,
 * as a file read line by line would) 100 per insert, with progress after each window; running it again
 * skips everything, which is how an interrupted import resumes. For a CSV or JSON Lines file, the
 * `zoho-crm-connector import` command does the same from a shell.
 *
 * Run: npx tsx examples/import-calls.ts   (embedded emulator; set ZOHO_* to use a real org)
 */
import type { ImportProgress, PbxCall } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

const CALLS = 250;

/** The export: calls of two days ago, one every two minutes (a real one would parse a file here). */
async function* cdrExport(first: number): AsyncGenerator<PbxCall> {
  for (let i = 0; i < CALLS; i++) {
    const start = first + i * 120_000;
    yield {
      id: `cdr-example-${first}-${i}`,
      direction: 'inbound',
      trunk: true,
      from: i % 2 === 0 ? '+1 (415) 555-2671' : '+1 212-555-0147', // Ada (a Contact), Grace (a Lead)
      to: '+14155550100',
      agent: { extension: '201' },
      startedAt: new Date(start),
      answeredAt: new Date(start + 6_000),
      endedAt: new Date(start + 96_000),
      status: 'answered',
    };
  }
}

export async function main(): Promise<{
  first: Omit<ImportProgress, 'total'>;
  again: Omit<ImportProgress, 'total'>;
  windows: number;
}> {
  const { zoho, close } = await connect({ journal: { enabled: true } });
  try {
    const first = Date.now() - 2 * 86_400_000;
    let windows = 0;
    const summary = await zoho.importCalls(cdrExport(first), {
      total: CALLS,
      onProgress: (p) => {
        windows++;
        console.log(`${p.done}/${p.total}: ${p.logged} logged, ${p.skipped} skipped, ${p.failed} failed`);
      },
    });
    const again = await zoho.importCalls(cdrExport(first));
    console.log(`again: ${again.logged} logged, ${again.skipped} skipped (nothing is written twice)`);
    const counts = ({ done, logged, skipped, failed, queued }: ImportProgress) => ({
      done,
      logged,
      skipped,
      failed,
      queued,
    });
    return { first: counts(summary), again: counts(again), windows };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
