/**
 * How Zoho reads `Call_Duration`, as pure functions: the seconds a text stands for under each reading,
 * the format to write under a reading, the reading a read-back proves, and the correction a record needs.
 * No I/O; `duration-learning.ts` does the reading back and remembering.
 *
 * Zoho's CRM page says `Call_Duration` is "HH:mm", Bigin's says mm:ss (docs/zoho-facts.md §10 Q1). A
 * two-part text means different durations under the two readings unless it is `00:00`; a three-part
 * `H:MM:SS` text is taken as hours, minutes and seconds under both (UNVERIFIED for an HH:mm org).
 *
 * @module
 */
import type { DurationReading } from '../calibration/calibration.js';
import { type DurationFormat, formatDuration } from './map-call.js';

/** A reading that is known. @internal */
export type KnownReading = Exclude<DurationReading, 'unknown'>;

/**
 * The seconds Zoho stores for a `Call_Duration` text under a reading: `a:b` is minutes and seconds
 * (`mm:ss`) or hours and minutes (`HH:mm`); `h:m:s` is hours, minutes and seconds under both.
 * @returns The seconds, or undefined for a text that is neither.
 * @example
 * ```ts
 * secondsAsRead('04:12', 'mm:ss'); // 252
 * secondsAsRead('04:12', 'HH:mm'); // 15120
 * ```
 * @internal
 */
export function secondsAsRead(text: string, reading: KnownReading): number | undefined {
  const parts = text.trim().split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^\d{1,6}$/.test(p))) return undefined;
  const [a, b, c] = parts.map(Number) as [number, number, number | undefined];
  if (c !== undefined) return a * 3600 + b * 60 + c;
  return reading === 'mm:ss' ? a * 60 + b : a * 3600 + b * 60;
}

/**
 * Whether a text tells the two readings apart: a two-part, non-zero text. `00:00` and three-part texts
 * are read the same way under both.
 * @example
 * ```ts
 * tellsReadingsApart('04:12'); // true
 * tellsReadingsApart('00:04:12'); // false
 * ```
 * @internal
 */
export function tellsReadingsApart(text: string): boolean {
  const mm = secondsAsRead(text, 'mm:ss');
  const hm = secondsAsRead(text, 'HH:mm');
  return mm !== undefined && hm !== undefined && mm !== hm;
}

/**
 * The format to write under a reading: minutes and seconds where Zoho reads `mm:ss`; hours, minutes
 * and seconds where it reads `HH:mm` (keeps the seconds, which `HH:mm` cannot hold); minutes and
 * seconds while unknown (the likelier reading).
 * @example
 * ```ts
 * writeFormatFor('HH:mm'); // 'hh:mm:ss'
 * ```
 * @internal
 */
export function writeFormatFor(reading: DurationReading): DurationFormat {
  return reading === 'HH:mm' ? 'hh:mm:ss' : 'mm:ss';
}

/** One record read back: the seconds it should last, and what Zoho holds. @internal */
export interface DurationSample {
  /** The call's real duration, whole seconds. */
  seconds: number;
  /** `Call_Duration` as Zoho holds it (or as written, when not read back). */
  text?: string | undefined;
  /** `Call_Duration_in_seconds` as Zoho computed it (undefined: not read, or empty). */
  storedSeconds?: number | undefined;
}

/** What a read-back proves. @internal */
export interface ReadingVerdict {
  /** The reading every telling sample agrees on; undefined when none tells or they disagree. */
  reading?: KnownReading;
  /** Samples that fit `mm:ss` only, `HH:mm` only, and neither. */
  votes: { 'mm:ss': number; 'HH:mm': number; neither: number };
}

/**
 * Decides the org's reading from records read back: a sample whose text tells the readings apart
 * votes for the reading that gives Zoho's stored seconds. Zero durations, three-part texts and
 * records without stored seconds do not vote; any disagreement (or a stored value neither reading
 * gives) leaves the reading undecided.
 * @example
 * ```ts
 * decideReading([{ seconds: 252, text: '04:12', storedSeconds: 15120 }]).reading; // 'HH:mm'
 * ```
 * @internal
 */
export function decideReading(samples: readonly DurationSample[]): ReadingVerdict {
  const votes = { 'mm:ss': 0, 'HH:mm': 0, neither: 0 };
  for (const sample of samples) {
    if (sample.text === undefined || sample.storedSeconds === undefined) continue;
    if (!tellsReadingsApart(sample.text)) continue;
    if (sample.storedSeconds === secondsAsRead(sample.text, 'mm:ss')) votes['mm:ss']++;
    else if (sample.storedSeconds === secondsAsRead(sample.text, 'HH:mm')) votes['HH:mm']++;
    else votes.neither++;
  }
  if (votes.neither > 0) return { votes };
  if (votes['mm:ss'] > 0 && votes['HH:mm'] === 0) return { reading: 'mm:ss', votes };
  if (votes['HH:mm'] > 0 && votes['mm:ss'] === 0) return { reading: 'HH:mm', votes };
  return { votes };
}

/**
 * The `Call_Duration` text a record needs under the org's reading, or undefined when it is right (or
 * nothing can be known yet). Zoho's stored seconds decide when they were read back; otherwise the text
 * is judged by how the reading takes it.
 * @param sample - The record: its real seconds and what Zoho holds (or what was written).
 * @param reading - The org's reading.
 * @example
 * ```ts
 * correctionFor({ seconds: 252, text: '04:12', storedSeconds: 15120 }, 'HH:mm'); // '00:04:12'
 * correctionFor({ seconds: 252, text: '04:12' }, 'mm:ss');                       // undefined
 * ```
 * @internal
 */
export function correctionFor(sample: DurationSample, reading: DurationReading): string | undefined {
  if (reading === 'unknown' || sample.text === undefined) return undefined;
  const wanted = formatDuration(sample.seconds, writeFormatFor(reading));
  if (sample.text.trim() === wanted) return undefined;
  const held = sample.storedSeconds ?? secondsAsRead(sample.text, reading);
  return held === sample.seconds ? undefined : wanted;
}
