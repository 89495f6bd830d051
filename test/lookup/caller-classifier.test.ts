import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PhoneNumberError } from '../../src/errors.js';
import { createCallerClassifier, NOT_PUBLIC } from '../../src/lookup/caller-classifier.js';

// Counts libphonenumber's work: each call of classifyNumber is a parse the memo did not save.
const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/phone/normalize.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/phone/normalize.js')>();
  return {
    ...original,
    classifyNumber: (...args: Parameters<typeof original.classifyNumber>) => {
      parses.count++;
      return original.classifyNumber(...args);
    },
  };
});

const options = { defaultCountry: 'US', maxExtensionLength: 6, maxEntries: 100, memoiseOwnE164: false };

describe('caller classifier', () => {
  beforeEach(() => {
    parses.count = 0;
  });

  it('answers the E.164 of a public number, and NOT_PUBLIC for extensions and anonymous callers', () => {
    const classify = createCallerClassifier(options);
    expect(classify('(415) 555-2671')).toBe('+14155552671');
    expect(classify('201')).toBe(NOT_PUBLIC);
    expect(classify('anonymous')).toBe(NOT_PUBLIC);
    expect(() => classify('+1 555')).toThrow(PhoneNumberError);
  });

  it('uses its options: the default country and the longest extension', () => {
    const classify = createCallerClassifier({ ...options, defaultCountry: 'GB', maxExtensionLength: 3 });
    expect(classify('020 7946 0958')).toBe('+442079460958');
    expect(classify('201')).toBe(NOT_PUBLIC);
    expect(() => classify('2001')).toThrow(PhoneNumberError); // too long for an extension, too short for a number
    expect(createCallerClassifier(options)('2001')).toBe(NOT_PUBLIC);
  });

  it('parses a caller ID once: a repeat (number or extension) is answered from the memo', () => {
    const classify = createCallerClassifier(options);
    classify('(415) 555-2671');
    classify('201');
    expect(parses.count).toBe(2);
    expect(classify('(415) 555-2671')).toBe('+14155552671');
    expect(classify('201')).toBe(NOT_PUBLIC);
    expect(parses.count).toBe(2);
  });

  it('memoises a caller ID sent as its own E.164 only when asked to', () => {
    const unmemoised = createCallerClassifier(options);
    unmemoised('+14155552671');
    unmemoised('+14155552671');
    expect(parses.count).toBe(2);
    parses.count = 0;
    const memoised = createCallerClassifier({ ...options, memoiseOwnE164: true });
    expect(memoised('+14155552671')).toBe('+14155552671');
    expect(memoised('+14155552671')).toBe('+14155552671');
    expect(parses.count).toBe(1);
  });

  it('keeps at most maxEntries caller IDs, the first in evicted first (however recently it was used)', () => {
    const classify = createCallerClassifier({ ...options, maxEntries: 2 });
    classify('(415) 555-2671');
    classify('(415) 555-2672');
    classify('(415) 555-2672');
    classify('(415) 555-2671'); // used last, yet still the first in
    expect(parses.count).toBe(2); // full, nothing evicted yet
    classify('(415) 555-2673'); // evicts the first
    expect(parses.count).toBe(3);
    classify('(415) 555-2672');
    classify('(415) 555-2673');
    expect(parses.count).toBe(3);
    classify('(415) 555-2671');
    expect(parses.count).toBe(4);
  });
});
