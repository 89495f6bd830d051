/**
 * Zoho CRM editions and their API limits, as data. Sources: docs/zoho-facts.md §7.1 (Zoho's API-limits page)
 * and §7.2 (Kaizen #203 for concurrency).
 *
 * @module
 */
import { ConfigError, type ConfigIssue } from './errors.js';

/**
 * A Zoho CRM edition.
 * @group Editions
 */
export type Edition = 'Free' | 'Standard' | 'Professional' | 'Enterprise' | 'Ultimate';

/**
 * The API limits of one edition.
 * @group Editions
 */
export interface EditionLimits {
  /** Edition name. */
  readonly edition: Edition;
  /** Simultaneous API calls per org per app; one more draws HTTP 429 `TOO_MANY_REQUESTS`. */
  readonly concurrency: number;
  /** Simultaneous resource-heavy calls (multi-record writes of more than 10 records, COQL), every edition. */
  readonly subConcurrency: number;
  /** Base credits per rolling 24 hours. */
  readonly baseCredits: number;
  /** Extra credits per user licence per 24 hours. */
  readonly creditsPerUser: number;
  /** Ceiling on credits per 24 hours (`Infinity` for Ultimate). */
  readonly maxCredits: number;
}

function limits(
  edition: Edition,
  concurrency: number,
  baseCredits: number,
  creditsPerUser: number,
  maxCredits: number,
): EditionLimits {
  return Object.freeze({ edition, concurrency, subConcurrency: 10, baseCredits, creditsPerUser, maxCredits });
}

/**
 * Limits per edition (Standard also covers Starter; Enterprise covers Zoho One; Ultimate covers CRM Plus).
 * @group Editions
 */
export const EDITIONS: Readonly<Record<Edition, EditionLimits>> = Object.freeze({
  Free: limits('Free', 5, 5_000, 0, 5_000),
  Standard: limits('Standard', 10, 50_000, 250, 100_000),
  Professional: limits('Professional', 15, 50_000, 500, 3_000_000),
  Enterprise: limits('Enterprise', 20, 50_000, 1_000, 5_000_000),
  Ultimate: limits('Ultimate', 25, 50_000, 2_000, Number.POSITIVE_INFINITY),
});

/**
 * Every edition name.
 * @group Editions
 */
export const EDITION_NAMES: readonly Edition[] = Object.freeze(Object.keys(EDITIONS) as Edition[]);

/**
 * API credits an org gets per rolling 24 hours: base + users × per-user, plus purchased add-ons,
 * capped at the edition's maximum.
 * @throws {@link ConfigError} for an unknown edition or a count that is not a number.
 * @example
 * ```ts
 * dailyCredits('Enterprise', 10); // 60_000
 * ```
 * @group Editions
 */
export function dailyCredits(edition: Edition, users: number, addOnCredits = 0): number {
  const issues: ConfigIssue[] = [];
  if (typeof edition !== 'string' || !Object.hasOwn(EDITIONS, edition)) {
    issues.push({ path: 'edition', message: `must be one of ${EDITION_NAMES.join(', ')}` });
  }
  if (!isNumber(users)) issues.push({ path: 'users', message: 'must be a number' });
  if (!isNumber(addOnCredits)) issues.push({ path: 'addOnCredits', message: 'must be a number' });
  if (issues.length > 0) throw new ConfigError(issues, 'dailyCredits arguments');
  const e = EDITIONS[edition];
  return Math.min(
    e.maxCredits,
    e.baseCredits + Math.max(0, users) * e.creditsPerUser + Math.max(0, addOnCredits),
  );
}

/**
 * Credits one API call costs (Zoho's table): insert/update/upsert 1 per 10 records (so 1 to 10 per call),
 * everything else 1 unless stated.
 * @throws {@link ConfigError} when `records` is not a number.
 * @example
 * ```ts
 * creditsForWrite(100); // 10
 * ```
 * @group Editions
 */
export function creditsForWrite(records: number): number {
  if (!isNumber(records)) {
    throw new ConfigError([{ path: 'records', message: 'must be a number' }], 'creditsForWrite arguments');
  }
  return Math.max(1, Math.ceil(records / 10));
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}
