import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { ErrorCode } from '../src/errors.js';
import { ServiceErrorCode } from '../src/server/http.js';

/**
 * Every error code the library produces is in the `ErrorCode` table and in docs/errors.md; every error
 * class is documented there too. The codes are collected from the source, so a new code written as a
 * string literal anywhere in src fails this test until it is added to both.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DOC = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
const SERVICE_DOC = readFileSync(join(ROOT, 'docs', 'pbx-service.md'), 'utf8');

/**
 * Zoho's own codes that src writes into a `code` property because the object mirrors a Zoho answer (a
 * per-record write outcome), not a library error. They reach hosts as `zohoCode`.
 */
const ZOHO_OUTCOME_CODES: Record<string, string> = {
  'journal/fate.ts:INTERNAL_ERROR': 'a write outcome for a record Zoho answered nothing for',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // The emulator (src/testing) speaks Zoho's codes, not the library's.
    if (entry.isDirectory()) return path === join(SRC, 'testing') ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
}

/** `file:CODE` for every code the source produces. */
function codesInSource(): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const name = relative(SRC, file);
    const text = withoutComments(readFileSync(file, 'utf8'));
    for (const match of text.matchAll(/\bErrorCode\.([A-Z][A-Z0-9_]*)/g)) found.add(`${name}:${match[1]}`);
    // `code: 'X'` and `code: cond ? a : 'X'` in object literals (errors, journal records, log fields).
    for (const match of text.matchAll(/\bcode:\s*([^,}\n;]*)/g)) {
      for (const literal of (match[1] ?? '').matchAll(/'([A-Z][A-Z0-9_]+)'/g))
        found.add(`${name}:${literal[1]}`);
    }
    // The PBX service's error answers: `errorResponse(404, 'NOT_FOUND', …)`, `new BodyError(413, 'BODY_…'`.
    for (const match of text.matchAll(/(?:errorResponse|new BodyError)\(\s*\d+,\s*'([A-Z][A-Z0-9_]+)'/g)) {
      found.add(`${name}:${match[1]}`);
    }
    // A code passed straight to an error constructor.
    for (const match of text.matchAll(
      /new (?:ZohoCrmError|AuthError|TransportError)\(\s*'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g,
    )) {
      found.add(`${name}:${match[1]}`);
    }
  }
  return found;
}

const table = new Set<string>(Object.values(ErrorCode));
const serviceTable = new Set<string>(Object.values(ServiceErrorCode));
const isServiceFile = (site: string) => site.startsWith(`server${sep}`);

describe('error codes', () => {
  const sites = codesInSource();
  const codes = new Set(
    [...sites].filter((site) => !(site in ZOHO_OUTCOME_CODES)).map((s) => s.split(':')[1]),
  );

  it('the scan finds the codes it must (it is not empty by accident)', () => {
    for (const code of ['CONFIG_INVALID', 'CONNECTOR_CLOSED', 'JOURNAL_CALL_NOT_LOGGED', 'UNEXPECTED']) {
      expect(codes).toContain(code);
    }
  });

  it('every code used in src is in the ErrorCode table (the PBX service: or in ServiceErrorCode)', () => {
    const unknown = [...sites]
      .filter((site) => !(site in ZOHO_OUTCOME_CODES))
      .filter((site) => {
        const code = site.split(':')[1] as string;
        return !table.has(code) && !(isServiceFile(site) && serviceTable.has(code));
      });
    expect(unknown).toEqual([]);
  });

  it('the scan sees the service’s own codes, and each is documented in docs/pbx-service.md', () => {
    const used = new Set([...sites].filter(isServiceFile).map((site) => site.split(':')[1] as string));
    for (const code of ['NOT_FOUND', 'TENANT_UNKNOWN', 'BODY_TOO_LARGE', 'UNAUTHORIZED']) {
      expect(used).toContain(code);
    }
    expect([...serviceTable].filter((code) => !SERVICE_DOC.includes(`| \`${code}\` |`))).toEqual([]);
    // No service code shadows an SDK code: a host can tell which family answered.
    expect([...serviceTable].filter((code) => table.has(code))).toEqual([]);
  });

  it('every code in the table is documented in docs/errors.md', () => {
    expect([...table].filter((code) => !DOC.includes(`\`${code}\``))).toEqual([]);
  });

  it('every error class is documented in docs/errors.md', () => {
    const classes = Object.entries(errors)
      .filter(
        ([name, value]) => typeof value === 'function' && name.endsWith('Error') && name !== 'isZohoCrmError',
      )
      .map(([name]) => name);
    expect(classes).toContain('JournalStoreError');
    expect(classes.filter((name) => !DOC.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('the Zoho outcome codes allowed above are still where they are said to be', () => {
    for (const site of Object.keys(ZOHO_OUTCOME_CODES)) expect(sites).toContain(site);
  });
});
