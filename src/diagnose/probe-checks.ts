/**
 * The write probes' judgements: which phone-search reading the search hits prove, how the test Call's
 * duration was read, how long the index lagged, the search terms and test number themselves, and a
 * probe that may have left its test record behind. Pure.
 *
 * @module
 */
import type { DurationReading, PhoneSearchReading } from '../calibration/calibration.js';
import { check } from './checks.js';
import type { DiagnoseCheck } from './types.js';

/** How a test record was cleaned up. @internal */
export interface Cleanup {
  /** The record's id, when Zoho said it created one. */
  id: string | undefined;
  /** True when nothing is left behind (deleted, or never created). */
  clean: boolean;
  /** Why something may be left behind. */
  problem?: string;
}

/**
 * How `search?phone=` matched the test Lead, stored as `+1 (415) 555-01xx`, by each term: the stored
 * string, all its digits, the national digits, and a run from its middle.
 * @internal
 */
export interface PhoneSearchHits {
  exact: boolean;
  allDigits: boolean;
  national: boolean;
  middle: boolean;
}

/** The reading the hits prove; `unknown` when they fit no reading. @internal */
export function phoneSearchReading(hits: PhoneSearchHits): PhoneSearchReading {
  const pattern = [hits.exact, hits.allDigits, hits.national, hits.middle].map(Number).join('');
  switch (pattern) {
    case '1111':
      return 'digits-contains';
    case '1110':
      return 'digits-suffix';
    case '1100':
      return 'digits-exact';
    case '1000':
      return 'exact';
    default:
      return 'unknown';
  }
}

const READING_EFFECT: Record<PhoneSearchReading, string> = {
  'digits-contains': 'a lookup needs one search per module and a miss is final',
  'digits-suffix': 'a lookup needs one search per module and a miss is final',
  'digits-exact': 'lookups search each way a number may be stored, or confirm a miss with COQL',
  exact: 'lookups search each way a number may be stored, or confirm a miss with COQL',
  unknown: 'lookups use the strategy that is right under every reading',
};

/** The `phone-search` check. @internal */
export function phoneSearchCheck(hits: PhoneSearchHits, terms: Record<string, string>): DiagnoseCheck {
  const reading = phoneSearchReading(hits);
  const details = { reading, terms, hits };
  if (reading === 'unknown') {
    return check(
      'phone-search',
      'warn',
      `search?phone= matched no known reading; ${READING_EFFECT.unknown}`,
      details,
    );
  }
  return check(
    'phone-search',
    'pass',
    `search?phone= matches ${reading}: ${READING_EFFECT[reading]}`,
    details,
  );
}

/** What `Call_Duration` `"01:02"` read back as. @internal */
export function durationReading(seconds: number | undefined): DurationReading {
  if (seconds === 62) return 'mm:ss';
  if (seconds === 3720) return 'HH:mm';
  return 'unknown';
}

/** The `call-duration` check from the read-back `Call_Duration_in_seconds`. @internal */
export function callDurationCheck(seconds: number | undefined, hasSecondsField: boolean): DiagnoseCheck {
  const reading = durationReading(seconds);
  const details = { sent: '01:02', readBack: seconds ?? null, reading };
  if (!hasSecondsField) {
    return check(
      'call-duration',
      'warn',
      'Zoho returned no Call_Duration_in_seconds to read the duration back from',
      details,
    );
  }
  if (reading === 'unknown') {
    return check(
      'call-duration',
      'warn',
      `Call_Duration "01:02" read back as ${seconds ?? 'nothing'} seconds: no known reading`,
      details,
    );
  }
  const meaning = reading === 'mm:ss' ? '1 minute 2 seconds' : '1 hour 2 minutes';
  return check('call-duration', 'pass', `Call_Duration "01:02" is read as ${reading} (${meaning})`, details);
}

/** The `index-lag` check. @internal */
export function indexLagCheck(lagMs: number | undefined, waitedMs: number): DiagnoseCheck {
  if (lagMs === undefined) {
    return check('index-lag', 'warn', `the test Lead was not found by search within ${seconds(waitedMs)}`, {
      waitedMs,
    });
  }
  return check('index-lag', 'pass', `a new record is found by search after ${seconds(lagMs)}`, {
    indexLagMs: lagMs,
  });
}

/** `+1 (415) 555-01xx`: a fictional US number, the last two digits from the run id. @internal */
export function testPhone(runId: string): string {
  let n = 0;
  for (const c of runId) n = (n * 31 + c.charCodeAt(0)) % 100;
  return `+1 (415) 555-01${String(n).padStart(2, '0')}`;
}

/**
 * The search terms for a stored phone value: the stored string, all digits, the national digits (all
 * but the leading country code), and a run from the middle that is neither a prefix nor a suffix.
 * @internal
 */
export function searchTerms(stored: string): Record<keyof PhoneSearchHits, string> {
  const digits = stored.replace(/\D/g, '');
  const national = digits.length > 10 ? digits.slice(digits.length - 10) : digits.slice(1);
  let middle = digits.slice(2, -2);
  for (
    let cut = 2;
    cut < digits.length / 2 && (digits.endsWith(middle) || digits.startsWith(middle));
    cut++
  ) {
    middle = digits.slice(cut, -cut);
  }
  return { exact: stored, allDigits: digits, national, middle };
}

/** A probe that may have left its test record behind fails, whatever it measured. @internal */
export function withCleanup(result: DiagnoseCheck, cleanup: Cleanup): DiagnoseCheck {
  if (cleanup.clean) return result;
  const problem = cleanup.problem ?? 'the test record may be left behind';
  return {
    ...result,
    status: 'fail',
    summary: `${result.summary}; ${problem}`,
    details: { ...result.details, leftBehind: cleanup.id ?? null },
  };
}

// --- Internal helpers ---

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
