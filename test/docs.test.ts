import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

/** Docs that match the code and the repository: what the guides promise, checked. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((path) => /\.(ts|md|json)$/.test(path) && !path.startsWith('docs/api/'));
const TMP = join(ROOT, '.tmp', 'docs-test');
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('docs', () => {
  it('the getting-started emulator snippet runs: it authorizes, then the lookup finds the seeded contact', async () => {
    const guide = read('docs/getting-started.md');
    const section = guide.slice(guide.indexOf('## Test your integration without Zoho'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(code.indexOf('handleCallback')).toBeGreaterThan(-1);
    expect(code.indexOf('handleCallback')).toBeLessThan(code.indexOf('lookupCaller'));
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, 'getting-started-snippet.ts');
    writeFileSync(file, `${code}\nexport {};\n`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await import(file);
    expect(log).toHaveBeenCalledWith('Ada Lovelace');
  });

  it('nothing cites a Zoho fact sheet the repository does not ship', () => {
    const missingSheet = ['ZOHO', 'API.md'].join('-'); // spelled apart so this file does not cite it
    const citing = tracked.filter((path) => read(path).includes(missingSheet));
    expect(citing).toEqual([]);
  });

  it('every section of docs/zoho-facts.md that source and docs cite exists', () => {
    const facts = read('docs/zoho-facts.md');
    const sections = new Set([...facts.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]));
    const questions = new Set([...facts.matchAll(/\*\*(Q\d+) /g)].map((m) => m[1]));
    const missing: string[] = [];
    let citations = 0;
    for (const path of tracked) {
      for (const cite of read(path).matchAll(
        /zoho-facts\.md[^§\n]{0,40}((?:\s*§[\d.]+(?: Q\d+)?[,;]?(?: and)?)+)/g,
      )) {
        for (const ref of (cite[1] ?? '').matchAll(/§(\d+(?:\.\d+)?)(?: (Q\d+))?/g)) {
          citations++;
          const section = (ref[1] ?? '').replace(/\.$/, '');
          if (!sections.has(section)) missing.push(`${path}: §${section}`);
          if (ref[2] && !questions.has(ref[2])) missing.push(`${path}: §${section} ${ref[2]}`);
        }
      }
    }
    expect(citations).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('custom field names are Zoho-style, never Salesforce-style (`__c`)', () => {
    const salesforce = tracked.filter((path) => /\b[A-Za-z][A-Za-z0-9_]*__c\b/.test(read(path)));
    expect(salesforce).toEqual([]);
  });

  it('the README says which moduleResolution the subpath exports need', () => {
    const readme = read('README.md');
    for (const mode of ['"node16"', '"nodenext"', '"bundler"']) expect(readme).toContain(mode);
    const subpaths = Object.keys(JSON.parse(read('package.json')).exports as Record<string, unknown>).filter(
      (key) => key !== '.' && key !== './package.json',
    );
    for (const subpath of subpaths) expect(readme).toContain(subpath.slice(1));
  });

  it('the CHANGELOG does not advertise the internal parseConnectorOptions', () => {
    expect(read('CHANGELOG.md')).not.toContain('parseConnectorOptions');
    expect(read('src/options.ts')).toMatch(/@internal[\s\S]*export function parseConnectorOptions/);
  });
});
