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
