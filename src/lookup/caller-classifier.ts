/**
 * A raw caller ID → the E.164 number the caches are keyed by, or {@link NOT_PUBLIC} for an extension or
 * an anonymous caller. libphonenumber costs about 10 µs a parse and a caller rings again, so answers are
 * memoised: a plain Map with first-in-first-out eviction, as the answer for a caller ID never goes stale.
 *
 * @module
 */
import { classifyNumber } from '../phone/normalize.js';

/** The answer for a caller ID that is not a public number (extension, anonymous). @internal */
export const NOT_PUBLIC = '';

/** @internal */
export interface CallerClassifierOptions {
  defaultCountry: string;
  maxExtensionLength: number;
  /** Caller IDs memoised at most. */
  maxEntries: number;
  /**
   * Whether a caller ID sent as its own E.164 is memoised too. Not needed while the cache is read first:
   * once answered, such a caller ID is found in the cache under itself.
   */
  memoiseOwnE164: boolean;
}

/**
 * Creates the classifier: `(raw) => e164 | NOT_PUBLIC`; throws `PhoneNumberError` for a caller ID that
 * is no number at all.
 * @internal
 */
export function createCallerClassifier(options: CallerClassifierOptions): (raw: string) => string {
  const classified = new Map<string, string>();
  return (raw) => {
    const known = classified.get(raw);
    if (known !== undefined) return known;
    const number = classifyNumber(raw, options.defaultCountry, {
      maxExtensionLength: options.maxExtensionLength,
    });
    const value = number.kind === 'e164' ? number.e164 : NOT_PUBLIC;
    if (value === raw && !options.memoiseOwnE164) return raw;
    if (classified.size >= options.maxEntries) classified.delete(classified.keys().next().value as string);
    classified.set(raw, value);
    return value;
  };
}
