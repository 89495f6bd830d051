/**
 * `Call_Duration` text → `Call_Duration_in_seconds` (docs/zoho-facts.md §10 Q1): `"a:b"` is minutes:seconds
 * or hours:minutes depending on the `durationReading` option; `"h:m:s"` is always hours:minutes:seconds.
 * @internal
 * @module
 */

/** How a two-part `Call_Duration` is read. */
export type DurationReading = 'mm:ss' | 'HH:mm';

const CALL_DURATION = /^(?:(\d+):)?(\d+):(\d{1,2})$/;

/**
 * The seconds a `Call_Duration` text stands for, or undefined when it is not a duration (not `a:b` or
 * `h:m:s`, or a part after the first over 59).
 */
export function callDurationSeconds(text: unknown, reading: DurationReading): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = CALL_DURATION.exec(text.trim());
  if (!m) return undefined;
  const [, hours, first = '0', last = '0'] = m;
  if (Number(last) > 59 || (hours !== undefined && Number(first) > 59)) return undefined;
  if (hours !== undefined) return Number(hours) * 3600 + Number(first) * 60 + Number(last);
  return reading === 'HH:mm' ? Number(first) * 3600 + Number(last) * 60 : Number(first) * 60 + Number(last);
}
