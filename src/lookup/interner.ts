/**
 * Keeps one copy of strings that repeat across many cache entries (the ids of an org's few users own
 * every record): JSON parsing gives each record its own copy, and 100,000 cached callers would keep
 * 100,000 copies of a handful of ids.
 *
 * @module
 */

/** @internal */
export interface Interner {
  /** The kept copy of `value` (`value` itself the first time, or once the interner is full). */
  intern(value: string): string;
}

/**
 * An interner that keeps at most `max` distinct strings; past that, values are returned as they are
 * (an org with more owners than cached callers gains nothing from it).
 * @internal
 */
export function createInterner(max: number): Interner {
  const kept = new Map<string, string>();
  return {
    intern(value) {
      const known = kept.get(value);
      if (known !== undefined) return known;
      if (kept.size < max) kept.set(value, value);
      return value;
    },
  };
}
