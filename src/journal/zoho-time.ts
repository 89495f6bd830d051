/**
 * Zoho date-times for call activities: `yyyy-MM-ddTHH:mm:ss±HH:MM` in a given IANA time zone, computed
 * with `Intl` only (no date library) and independent of the process time zone. Pure.
 *
 * Zoho rejects fractional seconds plus `Z` (`2025-01-10T14:03:00.000Z` → `INVALID_DATA`) and accepts an
 * explicit offset (`+00:00`), so the output never has milliseconds and never ends in `Z`
 * (docs/zoho-facts.md §4.2 and §9).
 *
 * @module
 */

/**
 * Formats an instant as a Zoho date-time in a time zone: wall-clock time there plus the offset that
 * applied at that instant (daylight saving time included). Milliseconds are dropped (not rounded).
 * @param instant - The instant, as epoch milliseconds or a `Date`.
 * @param timeZone - IANA time zone name, e.g. `America/New_York`, `Asia/Kolkata`, `UTC`.
 * @returns E.g. `2025-03-09T03:00:00-04:00`.
 * @throws `RangeError` for an unknown time zone or an invalid date.
 * @example
 * ```ts
 * formatZohoDateTime(Date.UTC(2025, 2, 9, 7, 0, 0), 'America/New_York'); // '2025-03-09T03:00:00-04:00'
 * formatZohoDateTime(new Date('2025-01-10T19:03:00.250Z'), 'UTC');        // '2025-01-10T19:03:00+00:00'
 * formatZohoDateTime(Date.UTC(2025, 0, 10, 8, 33), 'Asia/Kolkata');       // '2025-01-10T14:03:00+05:30'
 * ```
 * @group Journal
 */
export function formatZohoDateTime(instant: number | Date, timeZone: string): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('formatZohoDateTime: invalid date');
  const seconds = Math.floor(ms / 1000) * 1000;
  const wall = _wallClock(seconds, timeZone);
  const offsetMinutes = Math.round(
    (Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - seconds) / 60_000,
  );
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${_pad(wall.year, 4)}-${_pad(wall.month)}-${_pad(wall.day)}` +
    `T${_pad(wall.hour)}:${_pad(wall.minute)}:${_pad(wall.second)}` +
    `${sign}${_pad(Math.floor(abs / 60))}:${_pad(abs % 60)}`
  );
}

/**
 * Whether `Intl` knows an IANA time-zone name (in this runtime's ICU data).
 * @param timeZone - E.g. `Europe/Berlin`.
 * @returns `true` when {@link formatZohoDateTime} can use it.
 * @example
 * ```ts
 * isValidTimeZone('Europe/Berlin'); // true
 * isValidTimeZone('Mars/Olympus');  // false
 * ```
 * @internal
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.trim() === '') return false;
  try {
    _formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

// --- Internal helpers ---

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** One formatter per time zone: creating `Intl.DateTimeFormat` is far more expensive than using it. */
const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function _formatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = FORMATTERS.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (FORMATTERS.size > 64) FORMATTERS.clear();
    FORMATTERS.set(timeZone, formatter);
  }
  return formatter;
}

function _wallClock(ms: number, timeZone: string): WallClock {
  const out: Record<string, number> = {};
  for (const part of _formatter(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year ?? 0,
    month: out.month ?? 1,
    day: out.day ?? 1,
    // Older ICU versions print midnight as 24 (same day) even with h23.
    hour: (out.hour ?? 0) % 24,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

function _pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}
