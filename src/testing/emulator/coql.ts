/**
 * `POST /crm/v8/coql`: the subset of COQL a phone lookup needs (docs/zoho-facts.md §2.4): `select <fields>
 * from <Module> [where <criteria>] [order by ...] [limit n [offset m] | limit m, n]`, comparisons
 * `=`, `!=`, `<`, `>`, `<=`, `>=`, `like`, `not like`, `in`, `not in`, `is [not] null`, joined by
 * `and`/`or` with Zoho's pairwise bracketing rule (no level may hold two operators).
 * @internal
 * @module
 */
import type { FieldDef, ModuleDef } from './modules.js';
import type { StoredRecord } from './record-store.js';
import { json, MESSAGES, noContent, zohoError } from './responses.js';
import type { EmulatorStateImpl } from './state.js';

/** Most fields in a SELECT. */
export const COQL_MAX_FIELDS = 50;
/** Most conditions in a WHERE. */
export const COQL_MAX_CRITERIA = 25;
/** Largest LIMIT. */
export const COQL_MAX_LIMIT = 2000;
/** Deepest reachable record (offset + limit). */
export const COQL_MAX_OFFSET = 10_000;

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: string; pos: number }
  | { t: 'punct'; v: string; pos: number };

type Cond =
  | { kind: 'cmp'; field: string; op: string; values: Literal[]; pos: number }
  | { kind: 'and' | 'or'; left: Cond; right: Cond };

type Literal = string | number | boolean | null;

interface Query {
  fields: string[];
  module: string;
  where: Cond | undefined;
  order: Array<{ field: string; desc: boolean }>;
  limit: number;
  offset: number;
}

class CoqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Parses and runs a COQL query. The module scope is checked by `canRead` once the module is known. */
export function runCoql(
  state: EmulatorStateImpl,
  selectQuery: unknown,
  canRead: (module: ModuleDef) => boolean,
): { response: Response; credits: number } {
  if (typeof selectQuery !== 'string' || selectQuery.trim() === '') {
    return {
      response: zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, {
        param_name: 'select_query',
      }),
      credits: 1,
    };
  }
  let query: Query;
  try {
    query = parse(selectQuery);
  } catch (err) {
    if (err instanceof CoqlError)
      return { response: zohoError(400, err.code, err.message, err.details), credits: 1 };
    throw err;
  }
  const credits = query.limit <= 200 ? 1 : query.limit <= 1000 ? 2 : 3;
  const def = [...state.org.modules.values()].find(
    (m) => m.apiName.toLowerCase() === query.module.toLowerCase(),
  );
  if (!def) {
    return {
      response: zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        reason: 'invalid module',
        module: query.module,
      }),
      credits,
    };
  }
  if (!canRead(def)) {
    return { response: zohoError(401, 'OAUTH_SCOPE_MISMATCH', MESSAGES.OAUTH_SCOPE_MISMATCH), credits: 0 };
  }
  const columns = [
    ...query.fields,
    ...query.order.map((o) => o.field),
    ...(query.where ? condFields(query.where) : []),
  ];
  for (const column of columns) {
    if (column !== 'id' && !def.byName.has(column)) {
      return {
        response: zohoError(400, 'INVALID_QUERY', 'column given seems to be invalid', {
          column_name: column,
        }),
        credits,
      };
    }
  }
  if (state.options.coqlLikeOnPhoneFields === 'reject' && query.where) {
    const like = condList(query.where).find(
      (c) => (c.op === 'like' || c.op === 'not like') && def.byName.get(c.field)?.dataType === 'phone',
    );
    if (like) {
      return {
        response: zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_OPERATOR, {
          column_name: like.field,
          operator: like.op,
        }),
        credits,
      };
    }
  }

  let rows: StoredRecord[] = [...state.store.list(def.apiName)];
  if (query.where) {
    const where = query.where;
    rows = rows.filter((r) => evaluate(def, where, r.data));
  }
  if (query.order.length > 0) rows.sort((a, b) => compareRows(a.data, b.data, query.order));
  const page = rows.slice(query.offset, query.offset + query.limit);
  const more = rows.length > query.offset + query.limit;
  if (page.length === 0) {
    return {
      response:
        state.options.coqlEmptyResult === 'no-content'
          ? noContent()
          : json(200, { data: [], info: { count: 0, more_records: false } }),
      credits,
    };
  }
  const data = page.map((r) => {
    const out: Record<string, unknown> = {};
    for (const f of query.fields) out[f] = coqlValue(def.byName.get(f), r.data[f]);
    out.id = r.id;
    return out;
  });
  return { response: json(200, { data, info: { count: data.length, more_records: more } }), credits };
}

// --- Parsing ---

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= input.length) throw syntax(i, input.slice(i, i + 10));
        if (input[j] === "'") {
          if (input[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += input[j];
        j++;
      }
      out.push({ t: 'string', v, pos: i });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(input.slice(i));
    if (num && !/[A-Za-z_]/.test(input[i + num[0].length] ?? '')) {
      out.push({ t: 'number', v: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_$][A-Za-z0-9_$.]*/.exec(input.slice(i));
    if (ident) {
      out.push({ t: 'ident', v: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const punct = /^(!=|<>|>=|<=|[=<>(),*])/.exec(input.slice(i));
    if (punct) {
      out.push({ t: 'punct', v: punct[0], pos: i });
      i += punct[0].length;
      continue;
    }
    throw syntax(i, input.slice(i, i + 10));
  }
  return out;
}

function parse(input: string): Query {
  const tokens = tokenize(input);
  let p = 0;
  const peek = () => tokens[p];
  const isKw = (t: Token | undefined, kw: string) => t?.t === 'ident' && t.v.toLowerCase() === kw;
  const fail = (t: Token | undefined): never => {
    throw syntax(t?.pos ?? input.length, t?.v ?? '');
  };
  const expectKw = (kw: string) => {
    if (!isKw(peek(), kw)) fail(peek());
    p++;
  };
  const ident = (): string => {
    const t = peek();
    if (t?.t !== 'ident' || RESERVED.has(t.v.toLowerCase())) return fail(t);
    p++;
    return t.v;
  };
  const intLit = (): number => {
    const t = peek();
    if (t?.t !== 'number' || !/^\d+$/.test(t.v)) return fail(t);
    p++;
    return Number(t.v);
  };

  expectKw('select');
  if (peek()?.v === '*') fail(peek());
  const fields = [ident()];
  while (peek()?.v === ',') {
    p++;
    fields.push(ident());
  }
  if (fields.length > COQL_MAX_FIELDS) {
    throw new CoqlError('LIMIT_EXCEEDED', 'select fields limit exceeded', {
      clause: 'select',
      limit: COQL_MAX_FIELDS,
    });
  }
  expectKw('from');
  const module = ident();

  let where: Cond | undefined;
  if (isKw(peek(), 'where')) {
    p++;
    const cond = (): Cond => {
      const left = term();
      const t = peek();
      if (!isKw(t, 'and') && !isKw(t, 'or')) return left;
      p++;
      const right = term();
      // Zoho's rule: more than two criteria must be bracketed pairwise, ((A and B) and C).
      const next = peek();
      if (isKw(next, 'and') || isKw(next, 'or')) fail(next);
      return { kind: (t as Token).v.toLowerCase() as 'and' | 'or', left, right };
    };
    const term = (): Cond => {
      if (peek()?.v === '(') {
        p++;
        const inner = cond();
        if (peek()?.v !== ')') fail(peek());
        p++;
        return inner;
      }
      return comparison();
    };
    const literal = (): Literal => {
      const t = peek();
      if (t?.t === 'string') {
        p++;
        return t.v;
      }
      if (t?.t === 'number') {
        p++;
        return Number(t.v);
      }
      if (isKw(t, 'true') || isKw(t, 'false')) {
        p++;
        return (t as Token).v.toLowerCase() === 'true';
      }
      return fail(t);
    };
    const comparison = (): Cond => {
      const start = peek();
      const field = ident();
      const t = peek();
      const pos = start?.pos ?? 0;
      if (isKw(t, 'is')) {
        p++;
        let op = 'is null';
        if (isKw(peek(), 'not')) {
          p++;
          op = 'is not null';
        }
        expectKw('null');
        return { kind: 'cmp', field, op, values: [], pos };
      }
      let negate = false;
      if (isKw(t, 'not')) {
        p++;
        negate = true;
      }
      const opTok = peek();
      if (isKw(opTok, 'like')) {
        p++;
        return { kind: 'cmp', field, op: negate ? 'not like' : 'like', values: [literal()], pos };
      }
      if (isKw(opTok, 'in')) {
        p++;
        if (peek()?.v !== '(') fail(peek());
        p++;
        const values = [literal()];
        while (peek()?.v === ',') {
          p++;
          values.push(literal());
        }
        if (peek()?.v !== ')') fail(peek());
        p++;
        if (values.length > 50)
          throw new CoqlError('LIMIT_EXCEEDED', 'in clause limit exceeded', { clause: 'where', limit: 50 });
        return { kind: 'cmp', field, op: negate ? 'not in' : 'in', values, pos };
      }
      if (negate || opTok?.t !== 'punct' || !['=', '!=', '<>', '<', '>', '<=', '>='].includes(opTok.v))
        return fail(opTok);
      p++;
      return { kind: 'cmp', field, op: opTok.v === '<>' ? '!=' : opTok.v, values: [literal()], pos };
    };
    where = cond();
    const n = countCriteria(where);
    if (n > COQL_MAX_CRITERIA) {
      throw new CoqlError('LIMIT_EXCEEDED', 'where clause limit exceeded', {
        clause: 'where',
        limit: COQL_MAX_CRITERIA,
      });
    }
  }

  const order: Array<{ field: string; desc: boolean }> = [];
  if (isKw(peek(), 'order')) {
    p++;
    expectKw('by');
    for (;;) {
      const field = ident();
      let desc = false;
      if (isKw(peek(), 'asc')) p++;
      else if (isKw(peek(), 'desc')) {
        p++;
        desc = true;
      }
      order.push({ field, desc });
      if (peek()?.v !== ',') break;
      p++;
    }
  }

  let limit = 200;
  let offset = 0;
  if (isKw(peek(), 'limit')) {
    p++;
    const first = intLit();
    if (peek()?.v === ',') {
      p++;
      offset = first;
      limit = intLit();
    } else {
      limit = first;
      if (isKw(peek(), 'offset')) {
        p++;
        offset = intLit();
      }
    }
  }
  if (p < tokens.length) fail(peek());
  if (limit < 1 || limit > COQL_MAX_LIMIT) {
    throw new CoqlError('LIMIT_EXCEEDED', 'limit exceeded', { clause: 'limit', limit: COQL_MAX_LIMIT });
  }
  if (offset + limit > COQL_MAX_OFFSET) {
    throw new CoqlError('LIMIT_EXCEEDED', 'Max records limit exceeded', {
      clause: 'offset',
      limit: COQL_MAX_OFFSET,
    });
  }
  return { fields, module, where, order, limit, offset };
}

const RESERVED = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'order',
  'by',
  'limit',
  'offset',
  'like',
  'in',
  'not',
  'is',
  'null',
]);

function syntax(pos: number, near: string): CoqlError {
  return new CoqlError('SYNTAX_ERROR', MESSAGES.INVALID_QUERY, { line: 1, column: pos + 1, near });
}

function countCriteria(c: Cond): number {
  return c.kind === 'cmp' ? 1 : countCriteria(c.left) + countCriteria(c.right);
}

function condFields(c: Cond): string[] {
  return condList(c).map((cmp) => cmp.field);
}

function condList(c: Cond): Extract<Cond, { kind: 'cmp' }>[] {
  return c.kind === 'cmp' ? [c] : [...condList(c.left), ...condList(c.right)];
}

// --- Evaluation ---

function evaluate(def: ModuleDef, c: Cond, data: Record<string, unknown>): boolean {
  if (c.kind !== 'cmp') {
    return c.kind === 'and'
      ? evaluate(def, c.left, data) && evaluate(def, c.right, data)
      : evaluate(def, c.left, data) || evaluate(def, c.right, data);
  }
  const field = def.byName.get(c.field);
  const raw = c.field === 'id' ? data.id : data[c.field];
  const stored = comparable(field, raw);
  switch (c.op) {
    case 'is null':
      return stored === undefined;
    case 'is not null':
      return stored !== undefined;
    case '=':
      return stored !== undefined && equal(field, stored, c.values[0] ?? null);
    case '!=':
      return stored === undefined || !equal(field, stored, c.values[0] ?? null);
    case 'in':
      return stored !== undefined && c.values.some((v) => equal(field, stored, v));
    case 'not in':
      return stored === undefined || !c.values.some((v) => equal(field, stored, v));
    case 'like':
    case 'not like': {
      const pattern = String(c.values[0] ?? '');
      const re = new RegExp(`^${pattern.split('%').map(escapeRegExp).join('.*')}$`, 'is');
      const hit = stored !== undefined && re.test(String(stored));
      return c.op === 'like' ? hit : !hit;
    }
    default: {
      if (stored === undefined) return false;
      const a = ordered(field, stored);
      const b = ordered(field, c.values[0] ?? null);
      if (a === undefined || b === undefined) return false;
      return c.op === '<' ? a < b : c.op === '>' ? a > b : c.op === '<=' ? a <= b : a >= b;
    }
  }
}

/** The comparable form of a stored value (lookups compare by id); undefined for empty. */
function comparable(field: FieldDef | undefined, raw: unknown): string | number | boolean | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'object') {
    const id = (raw as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  }
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  void field;
  return undefined;
}

function equal(field: FieldDef | undefined, stored: string | number | boolean, value: Literal): boolean {
  if (value === null) return false;
  if (field?.dataType === 'datetime' || field?.dataType === 'date')
    return Date.parse(String(stored)) === Date.parse(String(value));
  if (typeof stored === 'string' && typeof value === 'string')
    return stored.toLowerCase() === value.toLowerCase();
  return String(stored) === String(value);
}

function ordered(field: FieldDef | undefined, v: unknown): number | bigint | string | undefined {
  if (v === null || v === undefined) return undefined;
  if (field?.dataType === 'datetime' || field?.dataType === 'date') {
    const t = Date.parse(String(v));
    return Number.isNaN(t) ? undefined : t;
  }
  if (field === undefined && /^\d+$/.test(String(v))) return BigInt(String(v)); // id
  if (typeof v === 'number') return v;
  const n = Number(v);
  return Number.isNaN(n) ? String(v).toLowerCase() : n;
}

function compareRows(a: Record<string, unknown>, b: Record<string, unknown>, order: Query['order']): number {
  for (const o of order) {
    const x = ordered(undefined, comparable(undefined, a[o.field]));
    const y = ordered(undefined, comparable(undefined, b[o.field]));
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const r = x < y ? -1 : 1;
    return o.desc ? -r : r;
  }
  return 0;
}

function coqlValue(field: FieldDef | undefined, raw: unknown): unknown {
  if (raw === undefined) return null;
  if (
    field &&
    (field.dataType === 'lookup' || field.dataType === 'ownerlookup') &&
    raw &&
    typeof raw === 'object'
  ) {
    return { id: (raw as { id?: unknown }).id };
  }
  return raw;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
