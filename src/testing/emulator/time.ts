/**
 * Date-time helpers: Zoho's ISO 8601 format with an offset, in a given IANA time zone.
 * @internal
 * @module
 */

/** Zoho's DateTime input: `yyyy-MM-ddTHH:mm:ss±HH:mm` or a bare `Z`, no fractional seconds. */
const ZOHO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-](\d{2}):(\d{2}))$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether a string names a time zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Offsets (minutes) per time zone and quarter hour: zones change offset only on quarter hours. */
const offsets = new Map<string, number>();
const QUARTER_HOUR = 900_000;

/** The UTC offset of a time zone at an instant, in minutes. */
function offsetMinutes(epochMs: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(epochMs / QUARTER_HOUR)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const seconds = Math.floor(epochMs / 1000) * 1000;
    const parts: Record<string, string> = {};
    for (const p of formatter(timeZone).formatToParts(new Date(seconds))) parts[p.type] = p.value;
    const asUtc = Date.parse(
      `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}Z`,
    );
    offset = Math.round((asUtc - seconds) / 60_000);
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** Formats epoch ms as `2025-01-10T09:03:00-05:00` in the given time zone (whole seconds). */
export function formatZohoDateTime(epochMs: number, timeZone: string): string {
  const offsetMin = offsetMinutes(epochMs, timeZone);
  const local = new Date(Math.floor(epochMs / 1000) * 1000 + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * Parses Zoho's DateTime input. Returns epoch ms, or undefined for anything else: no offset, fractional
 * seconds (`.000Z` is rejected by Zoho, docs/zoho-facts.md §4.2), impossible dates.
 */
export function parseZohoDateTime(value: string): number | undefined {
  const m = ZOHO_DATETIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    return undefined;
  if (m[8] !== undefined && (Number(m[8]) > 14 || Number(m[9]) > 59)) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  // Reject dates that Date.parse rolled over (2025-02-30).
  const probe = new Date(Date.UTC(Number(y), month - 1, day));
  if (probe.getUTCDate() !== day) return undefined;
  return ms;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
