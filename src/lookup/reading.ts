/**
 * What the lookup's own traffic proves about how Zoho's `search?phone=` matches (docs/zoho-facts.md Q4),
 * so that later misses can be trusted or the search skipped. Pure: the engine decides when the premises
 * hold (every phone field of the module known, the search page complete, the record old enough to be
 * indexed) and writes the result through the calibration keeper.
 *
 * @module
 */
import type { PhoneSearchReading } from '../calibration/calibration.js';
import type { ZohoRecord } from '../crm/schemas.js';
import { digitsOf } from './phone-forms.js';

/** The digit strings of a record's non-empty phone fields. */
function storedDigits(record: ZohoRecord, phoneFields: readonly string[]): string[] {
  const out: string[] = [];
  for (const field of phoneFields) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    const digits = digitsOf(value);
    if (digits) out.push(digits);
  }
  return out;
}

/**
 * A search for the digit string `term` returned `record`. When no phone field of the record holds
 * exactly those digits, Zoho matched a value it does not hold verbatim: the reading is tolerant.
 * - `digits-contains` when no field can be explained by a suffix either (a field contains the term
 *   with digits after it);
 * - `digits-suffix` when one digit string ends with the other (true under `digits-contains` too: both
 *   make a miss trustworthy);
 * - undefined when a field holds exactly the term's digits (any reading explains the hit).
 * @internal
 */
export function searchHitEvidence(
  term: string,
  record: ZohoRecord,
  phoneFields: readonly string[],
): 'digits-contains' | 'digits-suffix' | undefined {
  const wanted = digitsOf(term);
  if (!wanted) return undefined;
  const stored = storedDigits(record, phoneFields);
  if (stored.some((digits) => digits === wanted)) return undefined;
  if (stored.some((digits) => digits.endsWith(wanted) || wanted.endsWith(digits))) return 'digits-suffix';
  if (stored.some((digits) => digits.includes(wanted))) return 'digits-contains';
  return undefined;
}

/**
 * A search for `term` did not return `record`, which COQL then found holding the number, and which had
 * been in Zoho long enough to be indexed. Whatever could have matched it was not used:
 * - a field holds exactly the term's digits: the search compares strings (`exact`);
 * - a field's digits end with the term: neither containment nor suffix (`digits-exact` at most; only an
 *   exact-string proof tells `exact` apart);
 * - otherwise nothing is proven.
 * @internal
 */
export function escalationEvidence(
  term: string,
  record: ZohoRecord,
  phoneFields: readonly string[],
): 'exact' | 'digits-exact' | undefined {
  const wanted = digitsOf(term);
  if (!wanted) return undefined;
  const stored = storedDigits(record, phoneFields);
  if (stored.some((digits) => digits === wanted)) return 'exact';
  if (stored.some((digits) => digits.endsWith(wanted))) return 'digits-exact';
  return undefined;
}

/**
 * Whether `evidence` from traffic should replace the `current` reading: it must say something new and
 * never weaken a stronger proof (`digits-suffix` does not replace `digits-contains`; `digits-exact`
 * does not replace `exact`); a tolerant proof always replaces a strict belief (a search that matched a
 * different string cannot be exact).
 * @internal
 */
export function shouldRecord(current: PhoneSearchReading, evidence: PhoneSearchReading): boolean {
  if (evidence === current || evidence === 'unknown') return false;
  switch (evidence) {
    case 'digits-contains':
      return true;
    case 'digits-suffix':
      return current !== 'digits-contains';
    case 'exact':
      return current === 'unknown' || current === 'digits-exact';
    case 'digits-exact':
      return current === 'unknown';
  }
}

/** Whether the reading is known to compare whole strings or whole digit strings. @internal */
export function isStrict(reading: PhoneSearchReading): boolean {
  return reading === 'exact' || reading === 'digits-exact';
}
