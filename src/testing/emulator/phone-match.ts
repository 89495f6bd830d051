/**
 * Phone matching for `search?phone=` (the rule is configurable: Zoho does not document it).
 * @internal
 * @module
 */
import type { PhoneMatchMode } from './types.js';

/** A phone value prepared once per record so searches stay cheap. */
export interface IndexedPhone {
  readonly field: string;
  readonly raw: string;
  readonly lower: string;
  readonly digits: string;
}

/** Compares a prepared query with a prepared stored value. */
export type PhoneMatcher = (query: IndexedPhone, stored: IndexedPhone) => boolean;

/** Only the digits of a string. */
export function digitsOf(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) out += value[i];
  }
  return out;
}

/** Prepares a phone value for matching. */
export function indexPhone(field: string, raw: string): IndexedPhone {
  const trimmed = raw.trim();
  return { field, raw: trimmed, lower: trimmed.toLowerCase(), digits: digitsOf(trimmed) };
}

/** The matcher for a mode. */
export function createPhoneMatcher(mode: PhoneMatchMode): PhoneMatcher {
  if (typeof mode === 'function') return (q, s) => mode(q.raw, s.raw);
  switch (mode) {
    case 'digits-contains':
      return (q, s) => q.digits.length > 0 && s.digits.includes(q.digits);
    case 'digits-exact':
      return (q, s) => q.digits.length > 0 && s.digits === q.digits;
    case 'digits-suffix':
      return (q, s) =>
        q.digits.length > 0 &&
        s.digits.length > 0 &&
        (s.digits.endsWith(q.digits) || q.digits.endsWith(s.digits));
    case 'exact':
      return (q, s) => q.raw.length > 0 && s.raw === q.raw;
    case 'contains':
      return (q, s) => q.lower.length > 0 && s.lower.includes(q.lower);
    default:
      throw new TypeError(`unknown phoneMatch mode ${JSON.stringify(mode)}`);
  }
}
