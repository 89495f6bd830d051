import { describe, expect, it } from 'vitest';
import { creditsForWrite, dailyCredits, EDITION_NAMES, EDITIONS } from '../src/editions.js';

// docs/zoho-facts.md §7.1 and §7.2.
describe('EDITIONS', () => {
  it.each([
    ['Free', 5, 5_000, 0, 5_000],
    ['Standard', 10, 50_000, 250, 100_000],
    ['Professional', 15, 50_000, 500, 3_000_000],
    ['Enterprise', 20, 50_000, 1_000, 5_000_000],
    ['Ultimate', 25, 50_000, 2_000, Number.POSITIVE_INFINITY],
  ] as const)(
    '%s: concurrency %i, credits %i + users × %i, max %d',
    (edition, concurrency, base, perUser, max) => {
      expect(EDITIONS[edition]).toEqual({
        edition,
        concurrency,
        subConcurrency: 10,
        baseCredits: base,
        creditsPerUser: perUser,
        maxCredits: max,
      });
    },
  );

  it('lists the five editions', () => {
    expect(EDITION_NAMES).toEqual(['Free', 'Standard', 'Professional', 'Enterprise', 'Ultimate']);
  });
});

describe('dailyCredits', () => {
  it('adds users and add-ons and caps at the edition maximum', () => {
    expect(dailyCredits('Enterprise', 10)).toBe(60_000);
    expect(dailyCredits('Standard', 1_000)).toBe(100_000);
    expect(dailyCredits('Free', 50)).toBe(5_000);
    expect(dailyCredits('Professional', 2, 1_000)).toBe(52_000);
    expect(dailyCredits('Ultimate', -5, -1)).toBe(50_000);
  });
});

describe('creditsForWrite', () => {
  it.each([
    [0, 1],
    [1, 1],
    [10, 1],
    [11, 2],
    [100, 10],
  ])('%i records → %i credits', (records, credits) => {
    expect(creditsForWrite(records)).toBe(credits);
  });
});
