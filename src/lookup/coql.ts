/**
 * COQL over a module's phone fields (COQL reads the database: no search-index lag): exact equality with
 * the usual writings of a number, or `like` with the number's last digits. Pure.
 * Zoho's rules (docs/zoho-facts.md §2.4): string values in single quotes with `'` doubled; more than two
 * conditions must be bracketed pairwise, `((A or B) or C)`; at most 25 conditions; LIMIT ≤ 2000.
 *
 * @module
 */
import { writtenForms } from './phone-forms.js';

/** Most conditions in one COQL WHERE clause. @internal */
export const COQL_MAX_CONDITIONS = 25;

/** Quotes a COQL string literal. @internal */
export function coqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Joins conditions pairwise: `((a or b) or c)`. @internal */
export function bracketPairwise(conditions: readonly string[], operator: 'and' | 'or'): string {
  const [first, ...rest] = conditions;
  if (first === undefined) throw new RangeError('at least one condition is required');
  return rest.reduce((left, right) => `(${left} ${operator} ${right})`, first);
}

/**
 * `select … from Module where (Phone in (…) or Mobile in (…)) limit N`.
 * @internal
 */
export function phoneEqualityQuery(
  module: string,
  fields: readonly string[],
  phoneFields: readonly string[],
  e164: string,
  limit = 50,
): string {
  const values = writtenForms(e164).map(coqlString).join(', ');
  const where = bracketPairwise(
    phoneFields.slice(0, COQL_MAX_CONDITIONS).map((field) => `${field} in (${values})`),
    'or',
  );
  return `select ${fields.join(', ')} from ${module} where ${where} limit ${limit}`;
}

/**
 * The phone fields split into groups whose `like` conditions fit one query (`patterns` per field, at
 * most 25 conditions a query). @internal
 */
export function likeFieldGroups(phoneFields: readonly string[], patterns: number): string[][] {
  const perQuery = Math.max(1, Math.floor(COQL_MAX_CONDITIONS / Math.max(1, patterns)));
  const groups: string[][] = [];
  for (let i = 0; i < phoneFields.length; i += perQuery) groups.push(phoneFields.slice(i, i + perQuery));
  return groups;
}

/**
 * `select … from Module where ((Phone like '%2671' or Phone like '%26 71') or …) limit N offset M`:
 * every record whose given phone fields end with one of `patterns`.
 * @internal
 */
export function phoneLikeQuery(
  module: string,
  fields: readonly string[],
  phoneFields: readonly string[],
  patterns: readonly string[],
  page: { limit: number; offset: number },
): string {
  const conditions = phoneFields.flatMap((field) =>
    patterns.map((pattern) => `${field} like ${coqlString(pattern)}`),
  );
  const where = bracketPairwise(conditions.slice(0, COQL_MAX_CONDITIONS), 'or');
  const offset = page.offset > 0 ? ` offset ${page.offset}` : '';
  return `select ${fields.join(', ')} from ${module} where ${where} limit ${page.limit}${offset}`;
}
