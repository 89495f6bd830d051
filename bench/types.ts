/**
 * Every benchmark module (`bench/<topic>.ts`) exports `run(): Promise<BenchSection>`; `npm run bench`
 * runs them all in one process and writes docs/performance.md from the sections.
 */
export interface BenchSection {
  /** Heading in docs/performance.md, e.g. "Emulator: phone search throughput". */
  title: string;
  /** What was measured and how, one paragraph. */
  description: string;
  /** Table rows; every row has the same keys (the columns). */
  rows: Array<Record<string, string | number>>;
  /** Targets and whether they were met, e.g. "p99 < 20 ms: met (7.9 ms)". */
  targets?: Array<{ target: string; met: boolean; actual: string }>;
  notes?: string[];
}

/**
 * A smoke run (`npm run bench:smoke`, part of CI): every module runs end to end with tiny counts, so a
 * bench that no longer works fails CI instead of the next `npm run bench`. Its figures mean nothing:
 * nothing is written to docs/performance.md.
 */
export const SMOKE = process.env.BENCH_SMOKE === '1';

/** A count or time budget: `full` in a real run, `smoke` in a smoke run. */
export function sized(full: number, smoke: number): number {
  return SMOKE ? smoke : full;
}

/** Runs a bench module standalone: `npx tsx bench/<topic>.ts` prints its section. */
export async function printWhenMain(meta: ImportMeta, run: () => Promise<BenchSection>): Promise<void> {
  const { fileURLToPath } = await import('node:url');
  if (process.argv[1] && fileURLToPath(meta.url) === process.argv[1]) {
    const section = await run();
    console.log(`## ${section.title}\n\n${section.description}`);
    console.table(section.rows);
    for (const t of section.targets ?? [])
      console.log(`${t.met ? 'met' : 'MISSED'}: ${t.target} (${t.actual})`);
  }
}
