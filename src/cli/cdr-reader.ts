/**
 * Reading a CDR export for `zoho-crm-connector import`, one record at a time (a file of any size is never
 * held in memory): CSV with a header row of `PbxCall` field names (`agent.extension`, `recording.url`…),
 * or JSON Lines with one `PbxCall` object per line. Validation is the journal's (`importCalls`): this
 * only turns rows into objects. A row the format cannot make sense of (a wrong number of cells, bad JSON,
 * an unterminated quote) stops the read with its line number.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** The file formats `import` reads. @internal */
export type CdrFormat = 'csv' | 'jsonl';

/** The CSV columns every row needs (the required `PbxCall` fields). @internal */
export const REQUIRED_COLUMNS = ['id', 'direction', 'trunk', 'from', 'to', 'startedAt', 'endedAt', 'status'];

/** The format a file name implies, if any. @internal */
export function formatOf(path: string): CdrFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  return undefined;
}

/** The records of a file (`-`: standard input) as plain objects, in order. @internal */
export async function* readCdrs(path: string, format: CdrFormat): AsyncGenerator<Record<string, unknown>> {
  const input: Readable = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  try {
    if (format === 'jsonl') yield* jsonLines(input, path);
    else yield* csvRecords(input, path);
  } finally {
    if (input !== process.stdin) input.destroy();
  }
}

/** How many records a file holds (a first, cheap pass for the progress bar's total). @internal */
export async function countCdrs(path: string, format: CdrFormat): Promise<number> {
  let count = 0;
  for await (const _ of readCdrs(path, format)) count++;
  return count;
}

// --- JSON Lines ---

async function* jsonLines(input: Readable, name: string): AsyncGenerator<Record<string, unknown>> {
  let line = 0;
  for await (const text of lines(input)) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TypeError(`${name} line ${line}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TypeError(`${name} line ${line}: not a JSON object`);
    }
    yield value as Record<string, unknown>;
  }
}

async function* lines(input: Readable): AsyncGenerator<string> {
  let rest = '';
  let first = true;
  for await (const chunk of input) {
    let text = String(chunk);
    if (first) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    rest += text;
    let end = rest.indexOf('\n');
    while (end !== -1) {
      yield rest.slice(0, end).replace(/\r$/, '');
      rest = rest.slice(end + 1);
      end = rest.indexOf('\n');
    }
  }
  if (rest !== '') yield rest.replace(/\r$/, '');
}

// --- CSV (RFC 4180: quoted cells may hold commas, quotes as "" and line breaks) ---

async function* csvRecords(input: Readable, name: string): AsyncGenerator<Record<string, unknown>> {
  let header: string[] | undefined;
  for await (const { cells, line } of csvRows(input, name)) {
    if (!header) {
      header = checkHeader(cells, name);
      continue;
    }
    if (cells.length === 1 && cells[0]?.trim() === '') continue; // a blank line
    if (cells.length !== header.length) {
      throw new TypeError(
        `${name} line ${line}: ${cells.length} cells, the header has ${header.length} columns`,
      );
    }
    yield toCall(header, cells);
  }
}

async function* csvRows(input: Readable, name: string): AsyncGenerator<{ cells: string[]; line: number }> {
  /** `start` of a cell, inside an unquoted cell, inside quotes, or just after a quote inside quotes. */
  let state: 'start' | 'plain' | 'quoted' | 'quote' = 'start';
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let first = true;
  for await (const chunk of input) {
    let text = String(chunk);
    if (first) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    for (const char of text) {
      if (state === 'quoted') {
        if (char === '"') state = 'quote';
        else {
          if (char === '\n') line++;
          cell += char;
        }
        continue;
      }
      if (state === 'quote') {
        if (char === '"') {
          cell += '"'; // "" inside quotes
          state = 'quoted';
          continue;
        }
        state = 'plain'; // the quoted section ended; this character is read as outside quotes
      }
      if (char === '"' && state === 'start') state = 'quoted';
      else if (char === ',') {
        cells.push(cell);
        cell = '';
        state = 'start';
      } else if (char === '\n') {
        cells.push(cell);
        yield { cells, line: rowLine };
        cells = [];
        cell = '';
        state = 'start';
        line++;
        rowLine = line;
      } else if (char !== '\r') {
        cell += char;
        state = 'plain';
      }
    }
  }
  if (state === 'quoted') throw new TypeError(`${name} line ${rowLine}: a quoted cell is not closed`);
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    yield { cells, line: rowLine };
  }
}

function checkHeader(cells: string[], name: string): string[] {
  const header = cells.map((c) => c.trim());
  const bad = header.filter((c) => !/^[A-Za-z]+(\.[A-Za-z]+)?$/.test(c));
  if (bad.length > 0) {
    throw new TypeError(
      `${name} line 1: ${JSON.stringify(bad[0])} is not a PbxCall field name (e.g. agent.extension)`,
    );
  }
  const repeated = header.find((c, i) => header.indexOf(c) !== i);
  if (repeated) throw new TypeError(`${name} line 1: column ${repeated} appears twice`);
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new TypeError(`${name} line 1: missing columns ${missing.join(', ')}`);
  return header;
}

/** A row as a `PbxCall`-shaped object: empty cells left out, `trunk` a boolean, `notes` one per line. */
function toCall(header: string[], cells: string[]): Record<string, unknown> {
  const call: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const raw = (cells[i] ?? '').trim();
    if (raw === '') return;
    let value: unknown = raw;
    if (column === 'trunk') value = BOOLEANS[raw.toLowerCase()] ?? raw;
    else if (column === 'notes') value = raw.split(/\r?\n/).filter((n) => n.trim() !== '');
    else if (column === 'transfers') value = parseJson(raw);
    const [head, sub] = column.split('.') as [string, string | undefined];
    if (sub === undefined) call[head] = value;
    else {
      const parent = (call[head] ?? {}) as Record<string, unknown>;
      parent[sub] = value;
      call[head] = parent;
    }
  });
  return call;
}

const BOOLEANS: Record<string, boolean> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  '1': true,
  '0': false,
};

/** A JSON cell (transfers), or the text itself for validation to name. */
function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
