/**
 * `GET /crm/v8/{Module}/search` (docs/zoho-facts.md §2.2): criteria, email, phone and word searches over the
 * search index, 204 on no match, `per_page` ≤ 200, at most 2000 reachable records.
 * @internal
 * @module
 */
import {
  type CriteriaNode,
  conditionsOf,
  isCriteriaError,
  MAX_IN_VALUES,
  parseCriteria,
} from './criteria.js';
import type { FieldDef, ModuleDef } from './modules.js';
import { indexPhone } from './phone-match.js';
import type { StoredRecord } from './record-store.js';
import type { SearchView } from './record-view.js';
import { json, MESSAGES, noContent, zohoError } from './responses.js';
import type { EmulatorStateImpl } from './state.js';

/** Records reachable through one search, whatever the paging. */
export const SEARCH_LIMIT = 2000;
/** Largest `per_page`. */
export const MAX_PER_PAGE = 200;

type Predicate = (view: SearchView) => boolean;

/** Answers a search request. */
export function search(state: EmulatorStateImpl, def: ModuleDef, q: URLSearchParams): Response {
  const paging = readPaging(q);
  if (paging instanceof Response) return paging;

  const predicate = buildPredicate(state, def, q);
  if (predicate instanceof Response) return predicate;
  const now = state.now();
  const candidates = phoneCandidates(state, def, q, now);

  const { page, perPage } = paging;
  const start = (page - 1) * perPage;
  if (start >= SEARCH_LIMIT) {
    return zohoError(400, 'LIMIT_REACHED', 'search results are limited to 2000 records', {
      limit: SEARCH_LIMIT,
    });
  }
  const end = Math.min(start + perPage, SEARCH_LIMIT);
  const hits: StoredRecord[] = [];
  let seen = 0;
  let more = false;
  for (const rec of candidates ?? state.store.list(def.apiName)) {
    const view = state.store.searchView(rec, now);
    if (!view || !predicate(view)) continue;
    if (seen >= end) {
      more = end < SEARCH_LIMIT;
      break;
    }
    if (seen >= start) hits.push(rec);
    seen++;
  }
  if (hits.length === 0) return noContent();
  const fields = readFields(q);
  return json(200, {
    data: hits.map((r) => project(r.data, fields)),
    info: { per_page: perPage, count: hits.length, page, more_records: more },
  });
}

/**
 * `GET /{Module}/actions/count`: how many records match `criteria`/`email`/`phone`/`word` (all records
 * when none is given), as `{"count": n}`.
 */
export function countRecords(state: EmulatorStateImpl, def: ModuleDef, q: URLSearchParams): Response {
  const searching = ['criteria', 'email', 'phone', 'word'].some((p) => (q.get(p) ?? '') !== '');
  const records = state.store.list(def.apiName);
  if (!searching) return json(200, { count: records.length });
  const predicate = buildPredicate(state, def, q);
  if (predicate instanceof Response) return predicate;
  const now = state.now();
  let count = 0;
  for (const rec of records) {
    const view = state.store.searchView(rec, now);
    if (view && predicate(view)) count++;
  }
  return json(200, { count });
}

/** `fields=A,B` → the set of fields to return (plus `id`), or undefined for all. */
export function readFields(q: URLSearchParams): Set<string> | undefined {
  const raw = q.get('fields');
  if (!raw) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 ? new Set(names) : undefined;
}

/** A record limited to some fields (always with `id`). */
export function project(
  data: Record<string, unknown>,
  fields: Set<string> | undefined,
): Record<string, unknown> {
  if (!fields) return data;
  const out: Record<string, unknown> = { id: data.id };
  for (const f of fields) if (f in data) out[f] = data[f];
  return out;
}

/** `page` and `per_page`, validated. */
export function readPaging(q: URLSearchParams): { page: number; perPage: number } | Response {
  const page = intParam(q.get('page'), 1);
  if (page === undefined || page < 1) {
    return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, { param_name: 'page' });
  }
  const perPage = intParam(q.get('per_page'), MAX_PER_PAGE);
  if (perPage === undefined || perPage < 1 || perPage > MAX_PER_PAGE) {
    return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
      param_name: 'per_page',
      maximum: MAX_PER_PAGE,
    });
  }
  return { page, perPage };
}

// --- Internal helpers ---

/** For a phone search (and no criteria/email, which take precedence) the phone index's candidates. */
function phoneCandidates(
  state: EmulatorStateImpl,
  def: ModuleDef,
  q: URLSearchParams,
  now: number,
): StoredRecord[] | undefined {
  if (!state.store.phoneMatchByDigits || q.get('criteria') || q.get('email')) return undefined;
  const phone = q.get('phone');
  if (!phone) return undefined;
  return state.store.phoneCandidates(def.apiName, indexPhone('', phone).digits, now);
}

function intParam(value: string | null, dflt: number): number | undefined {
  if (value === null || value === '') return dflt;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** Precedence: criteria > email > phone > word (docs/zoho-facts.md §2.2). */
function buildPredicate(state: EmulatorStateImpl, def: ModuleDef, q: URLSearchParams): Predicate | Response {
  const criteria = q.get('criteria');
  if (criteria !== null && criteria !== '') return criteriaPredicate(state, def, criteria);
  const email = q.get('email');
  if (email !== null && email !== '') {
    const wanted = email.trim().toLowerCase();
    return (view) => view.emails.includes(wanted);
  }
  const phone = q.get('phone');
  if (phone !== null && phone !== '') {
    const query = indexPhone('', phone);
    const match = state.store.phoneMatcher;
    return (view) => {
      for (const p of view.phones) if (match(query, p)) return true;
      return false;
    };
  }
  const word = q.get('word');
  if (word !== null && word !== '') {
    const trimmed = word.trim();
    if (trimmed.length < 2 || !/^[\p{L}\p{N}\s.@'_-]+$/u.test(trimmed)) {
      return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
        param_name: 'word',
        reason: 'the word must have at least 2 characters and no special characters',
      });
    }
    const tokens = trimmed.toLowerCase().split(/\s+/);
    return (view) => tokens.every((t) => view.text.includes(t));
  }
  return zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, {
    param_name: 'criteria, email, phone or word',
  });
}

const TEXT_OPERATORS = new Set(['equals', 'not_equal', 'starts_with', 'in']);
const ORDERED_OPERATORS = new Set([
  'equals',
  'not_equal',
  'in',
  'greater_than',
  'greater_equal',
  'less_than',
  'less_equal',
  'between',
]);
const ALL_OPERATORS = new Set([...TEXT_OPERATORS, ...ORDERED_OPERATORS]);

function criteriaPredicate(state: EmulatorStateImpl, def: ModuleDef, criteria: string): Predicate | Response {
  const parsed = parseCriteria(criteria);
  if (isCriteriaError(parsed)) {
    return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
      reason: parsed.reason,
      ...(parsed.details ?? {}),
    });
  }
  for (const cond of conditionsOf(parsed)) {
    const field = fieldOf(def, cond.field);
    if (!field) {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        api_name: cond.field,
        reason: 'invalid field',
      });
    }
    if (!ALL_OPERATORS.has(cond.operator)) {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        operator: cond.operator,
        reason: 'invalid operator',
      });
    }
    const allowed = allowedOperators(field);
    if (!allowed.has(cond.operator)) {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        api_name: cond.field,
        operator: cond.operator,
        reason: 'the operator is not supported for this field',
      });
    }
    if (field.dataType === 'phone' && state.options.criteriaOnPhoneFields === 'reject') {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        api_name: cond.field,
        reason: 'the field is not searchable with criteria',
      });
    }
    const n = cond.values.length;
    const multi = cond.operator === 'in' || cond.operator === 'between';
    if (!multi && n !== 1) {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        api_name: cond.field,
        reason: "a ',' in a value must be escaped as '\\,'",
      });
    }
    if (cond.operator === 'between' && n !== 2) {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        api_name: cond.field,
        reason: 'between takes two values',
      });
    }
    if (cond.operator === 'in' && n > MAX_IN_VALUES) {
      return zohoError(400, 'INVALID_QUERY', MESSAGES.INVALID_QUERY, {
        api_name: cond.field,
        limit: MAX_IN_VALUES,
      });
    }
  }
  const contains = state.options.criteriaEquals === 'contains';
  return (view) => evaluate(parsed, def, view.data, contains);
}

function fieldOf(def: ModuleDef, name: string): FieldDef | undefined {
  if (name === 'id') return ID_FIELD;
  return def.byName.get(name);
}

const ID_FIELD: FieldDef = {
  apiName: 'id',
  label: 'Record Id',
  dataType: 'integer',
  mandatory: false,
  readOnly: true,
  custom: false,
  unique: true,
  id: '0',
};

function allowedOperators(field: FieldDef): Set<string> {
  switch (field.dataType) {
    case 'integer':
    case 'datetime':
    case 'date':
      return ORDERED_OPERATORS;
    case 'boolean':
      return new Set(['equals', 'not_equal']);
    case 'lookup':
    case 'ownerlookup':
    case 'picklist':
      return new Set(['equals', 'not_equal', 'in']);
    default:
      return TEXT_OPERATORS;
  }
}

function evaluate(
  node: CriteriaNode,
  def: ModuleDef,
  data: Readonly<Record<string, unknown>>,
  contains: boolean,
): boolean {
  if (node.kind !== 'cond') {
    return node.kind === 'and'
      ? node.children.every((c) => evaluate(c, def, data, contains))
      : node.children.some((c) => evaluate(c, def, data, contains));
  }
  const field = fieldOf(def, node.field);
  if (!field) return false;
  const stored = data[node.field];
  const values = node.values;
  switch (field.dataType) {
    case 'integer':
    case 'datetime':
    case 'date':
      return compareOrdered(field, stored, node.operator, values);
    case 'boolean': {
      const eq = String(stored) === values[0]?.toLowerCase();
      return node.operator === 'equals' ? eq : !eq;
    }
    case 'lookup':
    case 'ownerlookup': {
      const ref =
        stored && typeof stored === 'object' ? (stored as { id?: unknown; name?: unknown }) : undefined;
      const eq = (v: string) =>
        ref !== undefined &&
        (ref.id === v || (typeof ref.name === 'string' && ref.name.toLowerCase() === v.toLowerCase()));
      if (node.operator === 'not_equal') return !eq(values[0] ?? '');
      return values.some(eq);
    }
    default: {
      const text =
        typeof stored === 'string'
          ? stored.toLowerCase()
          : typeof stored === 'number'
            ? String(stored)
            : undefined;
      const same = (v: string) => text !== undefined && text === v.toLowerCase();
      switch (node.operator) {
        case 'equals': {
          const v = values[0]?.toLowerCase() ?? '';
          return text !== undefined && (contains ? text.includes(v) : text === v);
        }
        case 'not_equal':
          return !same(values[0] ?? '');
        case 'starts_with':
          return text?.startsWith(values[0]?.toLowerCase() ?? '') === true;
        case 'in':
          return values.some(same);
        default:
          return false;
      }
    }
  }
}

function compareOrdered(
  field: FieldDef,
  stored: unknown,
  operator: string,
  values: readonly string[],
): boolean {
  // Record ids have 19 digits: compare them as BigInt, not as doubles.
  const toNum = (v: unknown): number | bigint | undefined => {
    if (v === null || v === undefined || v === '') return undefined;
    if (field.apiName === 'id') return /^\d+$/.test(String(v)) ? BigInt(String(v)) : undefined;
    const n = field.dataType === 'datetime' || field.dataType === 'date' ? Date.parse(String(v)) : Number(v);
    return Number.isNaN(n) ? undefined : n;
  };
  const s = toNum(stored);
  const vs = values.map(toNum);
  if (s === undefined) return operator === 'not_equal';
  const v = vs[0];
  switch (operator) {
    case 'equals':
      return s === v;
    case 'not_equal':
      return s !== v;
    case 'in':
      return vs.includes(s);
    case 'greater_than':
      return v !== undefined && s > v;
    case 'greater_equal':
      return v !== undefined && s >= v;
    case 'less_than':
      return v !== undefined && s < v;
    case 'less_equal':
      return v !== undefined && s <= v;
    case 'between':
      return v !== undefined && vs[1] !== undefined && s >= v && s <= (vs[1] as number | bigint);
    default:
      return false;
  }
}
