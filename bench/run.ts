/**
 * `npm run bench`: runs every benchmark module in one process, one after the other, and writes
 * docs/performance.md with the machine, the date and every figure. Each module can also run alone:
 * `node --expose-gc --import tsx bench/<topic>.ts`. `npm run bench:smoke` (CI) runs every module with
 * tiny counts and writes nothing: it only proves that each one still works.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { type BenchSection, SMOKE } from './types.js';

const MODULES = [
  'lookup',
  'shared-cache',
  'emulator',
  'phone',
  'lookup-cold',
  'lookup-reading',
  'journal',
  'import',
  'registry',
  'server',
  'package',
  'official-sdk',
];

function table(rows: BenchSection['rows']): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: string | number | undefined) =>
    value === undefined ? '' : typeof value === 'number' ? value.toLocaleString('en-US') : value;
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((c) => cell(row[c])).join(' | ')} |`),
  ].join('\n');
}

const only = process.argv.slice(2);
const sections: BenchSection[] = [];
for (const name of MODULES) {
  if (only.length > 0 && !only.includes(name)) continue;
  // A module that cannot be imported (renamed, or a dependency missing) fails the run, never skips.
  const mod = (await import(`./${name}.js`)) as { run: () => Promise<BenchSection> };
  process.stdout.write(`running ${name}…\n`);
  const started = performance.now();
  const section = await mod.run();
  process.stdout.write(`${name} ran in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  sections.push(section);
  console.log(`\n## ${section.title}\n`);
  console.table(section.rows);
  for (const t of section.targets ?? [])
    console.log(`${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.actual}`);
  for (const note of section.notes ?? []) console.log(`- ${note}`);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  '# Performance',
  '',
  `Measured on ${new Date().toISOString().slice(0, 10)} with Node.js ${process.version} on ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM (${process.platform}/${process.arch}).`,
  '',
  'Reproduce with `npm run bench` (it rewrites this file). Every figure below comes from that one run.',
  '',
  '## Targets',
  '',
  '| target | result | measured |',
  '| --- | --- | --- |',
  ...sections.flatMap((s) =>
    (s.targets ?? []).map((t) => `| ${t.target} | ${t.met ? 'met' : '**missed**'} | ${t.actual} |`),
  ),
  '',
];
for (const section of sections) {
  lines.push(`## ${section.title}`, '', section.description, '', table(section.rows), '');
  for (const note of section.notes ?? []) lines.push(`- ${note}`);
  if (section.notes?.length) lines.push('');
}
if (SMOKE) {
  console.log(`\nbench smoke: ${sections.length} modules ran with tiny counts; their figures are not kept`);
} else if (only.length === 0) {
  writeFileSync(new URL('../docs/performance.md', import.meta.url), lines.join('\n'));
}
