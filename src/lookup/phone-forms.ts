/**
 * The strings a person may have typed into a Zoho phone field for one number, and the COQL `like`
 * patterns that find them whatever the punctuation. Zoho stores phone fields as free text and does not
 * document how `search?phone=` matches (docs/zoho-facts.md Q4), so when a search cannot be trusted the
 * lookup asks again with these. Pure.
 *
 * @module
 */
import type { PhoneSearchReading } from '../calibration/calibration.js';
import { numberWritings } from '../phone/normalize.js';

const SEPARATORS = [' ', '-', '.'] as const;
const DIGIT_RUNS = /\d+/g;

/** The groups of digits in a formatted number, e.g. `(415) 555-2671` → `415`, `555`, `2671`. */
function groupsOf(formatted: string): string[] {
  return Array.from(formatted.matchAll(DIGIT_RUNS), (run) => run[0]);
}

/** Only the digits of a string. @internal */
export function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

/**
 * How a number is usually written: digit strings (`4155552671`, `14155552671`, `02079460958`,
 * `0014155552671`), E.164, libphonenumber's national and international formats, and those with spaces,
 * dashes or dots between the groups (`415.555.2671`, `+1-415-555-2671`, `1 415 555 2671`,
 * `001 415 555 2671`). At most 20 distinct strings, best first.
 * @internal
 */
export function writtenForms(e164: string): string[] {
  const w = numberWritings(e164);
  const cc = w.callingCode;
  const nsn = w.nationalNumber;
  const nationalGroups = groupsOf(w.national);
  // The international format's groups after the calling code.
  const intlGroups = groupsOf(w.international).slice(1);
  const forms = [nsn, `${cc}${nsn}`, e164, w.national, w.international, nationalGroups.join('')];
  for (const sep of SEPARATORS) forms.push(nationalGroups.join(sep));
  for (const sep of SEPARATORS) forms.push(`+${cc}${sep}${intlGroups.join(sep)}`);
  for (const sep of SEPARATORS) forms.push(`${cc}${sep}${intlGroups.join(sep)}`);
  forms.push(`00${cc}${nsn}`, `00${cc} ${intlGroups.join(' ')}`);
  return [...new Set(forms)];
}

/**
 * The search terms to try after the first ones, for an org whose `search?phone=` may compare whole
 * strings: the digit strings and E.164 first, then (unless the reading is known to compare digits) the
 * national and international formats. Terms in `tried` are left out.
 * @internal
 */
export function fallbackSearchTerms(
  e164: string,
  reading: PhoneSearchReading,
  tried: readonly string[],
): string[] {
  const w = numberWritings(e164);
  const cc = w.callingCode;
  const nsn = w.nationalNumber;
  const terms = [nsn, `${cc}${nsn}`, digitsOf(w.national), `00${cc}${nsn}`];
  if (reading !== 'digits-exact') terms.push(e164, w.national, w.international);
  const seen = new Set(reading === 'digits-exact' ? tried.map(digitsOf) : tried);
  const out: string[] = [];
  for (const term of terms) {
    const key = reading === 'digits-exact' ? digitsOf(term) : term;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(term);
  }
  return out;
}

/**
 * COQL `like` patterns that end with the last four digits of the number, written together (`%2671`)
 * or split as people group them (`%26 71`, `%2-671`, `%2.671`, …): every usual way of writing the
 * number ends with one of them (`(415) 555-2671`, `+33 1 23 45 67 89`, `912 345 678`, `01.23.45.67.89`).
 * Seven patterns; only `%` at the start, the one form Zoho's COQL documents.
 * @internal
 */
export function tailPatterns(e164: string): string[] {
  const nsn = numberWritings(e164).nationalNumber;
  // Every national significant number has at least four digits.
  const tail = nsn.slice(-4);
  const patterns = [`%${tail}`];
  for (const sep of SEPARATORS) {
    patterns.push(`%${tail.slice(0, 2)}${sep}${tail.slice(2)}`, `%${tail.slice(0, 1)}${sep}${tail.slice(1)}`);
  }
  return patterns;
}
