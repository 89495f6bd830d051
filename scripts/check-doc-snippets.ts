/**
 * Typechecks every ```ts block of README.md and docs/*.md against the source (`npm run check:docs`).
 * Each block becomes a module of its own; names a guide uses without defining them (the `zoho` of the
 * previous paragraph, a host's `req`) are declared once, globally, in snippets/prelude.d.ts, and a block's
 * own declarations shadow them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, '.tmp', 'doc-snippets');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const sources = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
let count = 0;
for (const source of sources) {
  const text = readFileSync(join(root, source), 'utf8');
  let index = 0;
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    const name = `${source.replace(/[/.]/g, '_')}_${++index}.ts`;
    writeFileSync(join(out, name), `// ${source}, block ${index}\n${match[1]}\nexport {};\n`);
    count++;
  }
}
writeFileSync(
  join(out, 'prelude.d.ts'),
  readFileSync(join(root, 'scripts', 'doc-snippets-prelude.d.ts'), 'utf8'),
);
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: { noEmit: true, noUnusedLocals: false, baseUrl: '../..' },
    include: ['./*.ts'],
  }),
);
try {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(out, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
  console.log(`${count} code blocks from ${sources.length} documents typecheck`);
} catch {
  console.error('Some documentation code blocks do not typecheck (files in .tmp/doc-snippets).');
  process.exit(1);
}
