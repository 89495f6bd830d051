/**
 * COQL for exact phone equality across a module's phone fields (no search-index lag). Pure.
 * Zoho's rules (docs/zoho-facts.md §2.4): string values in single quotes with `'` doubled; more than two
 * conditions must be bracketed pairwise, `((A or B) or C)`; at most 25 conditions; LIMIT ≤ 2000.
 *
 * @module
 */
import { formatForDisplay, phoneSearchTerms } from '../phone/normalize.js';

/** The stored forms an exact comparison should try for a number. @internal */
export function storedForms(e164: string): string[] {
  const forms = new Set<string>([e164, ...phoneSearchTerms(e164), formatForDisplay(e164)]);
  return [...forms];
}

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
  const values = storedForms(e164).map(coqlString).join(', ');
  const where = bracketPairwise(
    phoneFields.slice(0, 25).map((field) => `${field} in (${values})`),
    'or',
  );
  return `select ${fields.join(', ')} from ${module} where ${where} limit ${limit}`;
}
