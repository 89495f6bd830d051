import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { formatZohoDateTime, isValidTimeZone } from '../../src/journal/zoho-time.js';

/**
 * Instants and how Zoho must receive them in each org time zone. New York and Lord Howe (a 30-minute
 * DST shift) change offset inside the data; Kolkata, Kathmandu and Chatham have odd offsets.
 */
const CASES: Array<[label: string, utc: string, timeZone: string, expected: string]> = [
  ['UTC', '2025-01-10T19:03:00.250Z', 'UTC', '2025-01-10T19:03:00+00:00'],
  [
    'UTC, last ms of a second is dropped, not rounded',
    '2025-01-10T19:03:00.999Z',
    'UTC',
    '2025-01-10T19:03:00+00:00',
  ],
  ['New York winter', '2025-01-10T19:03:00Z', 'America/New_York', '2025-01-10T14:03:00-05:00'],
  [
    'New York, last second before spring forward',
    '2025-03-09T06:59:59Z',
    'America/New_York',
    '2025-03-09T01:59:59-05:00',
  ],
  [
    'New York, first second after spring forward',
    '2025-03-09T07:00:00Z',
    'America/New_York',
    '2025-03-09T03:00:00-04:00',
  ],
  [
    'New York, first 01:30 of fall back',
    '2025-11-02T05:30:00Z',
    'America/New_York',
    '2025-11-02T01:30:00-04:00',
  ],
  [
    'New York, second 01:30 of fall back',
    '2025-11-02T06:30:00Z',
    'America/New_York',
    '2025-11-02T01:30:00-05:00',
  ],
  [
    'New York, new year crosses the date line of UTC',
    '2025-01-01T04:59:59Z',
    'America/New_York',
    '2024-12-31T23:59:59-05:00',
  ],
  ['Kolkata (+05:30)', '2025-01-10T08:33:00Z', 'Asia/Kolkata', '2025-01-10T14:03:00+05:30'],
  ['Kathmandu (+05:45)', '2025-07-01T00:00:00Z', 'Asia/Kathmandu', '2025-07-01T05:45:00+05:45'],
  ['Lord Howe summer (+11:00)', '2025-01-01T00:00:00Z', 'Australia/Lord_Howe', '2025-01-01T11:00:00+11:00'],
  ['Lord Howe winter (+10:30)', '2025-07-01T00:00:00Z', 'Australia/Lord_Howe', '2025-07-01T10:30:00+10:30'],
  ['Chatham winter (+12:45)', '2025-07-01T00:00:00Z', 'Pacific/Chatham', '2025-07-01T12:45:00+12:45'],
  ['Berlin, leap day', '2024-02-29T23:30:00Z', 'Europe/Berlin', '2024-03-01T00:30:00+01:00'],
  ['Berlin summer', '2025-07-01T12:00:00Z', 'Europe/Berlin', '2025-07-01T14:00:00+02:00'],
  ['Honolulu (no DST)', '2025-07-01T12:00:00Z', 'Pacific/Honolulu', '2025-07-01T02:00:00-10:00'],
  ['Kiribati (+14:00)', '2025-07-01T12:00:00Z', 'Pacific/Kiritimati', '2025-07-02T02:00:00+14:00'],
  ['midnight is 00, not 24', '2025-07-01T22:00:00Z', 'Europe/Berlin', '2025-07-02T00:00:00+02:00'],
];

const ZOHO_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

function runTable(): void {
  for (const [, utc, timeZone, expected] of CASES) {
    expect(formatZohoDateTime(Date.parse(utc), timeZone)).toBe(expected);
    expect(formatZohoDateTime(new Date(utc), timeZone)).toBe(expected);
  }
}

describe('formatZohoDateTime', () => {
  it.each(CASES)('%s', (_label, utc, timeZone, expected) => {
    const text = formatZohoDateTime(Date.parse(utc), timeZone);
    expect(text).toBe(expected);
    expect(text).toMatch(ZOHO_SHAPE);
    // The text names the same instant, to the second.
    expect(Date.parse(text)).toBe(Math.floor(Date.parse(utc) / 1000) * 1000);
  });

  it('never emits Z or milliseconds, for any hour of a year in a DST zone', () => {
    const start = Date.UTC(2025, 0, 1);
    for (let hour = 0; hour < 366 * 24; hour += 7) {
      const instant = start + hour * 3_600_000 + 123;
      const text = formatZohoDateTime(instant, 'America/New_York');
      expect(text).toMatch(ZOHO_SHAPE);
      expect(Date.parse(text)).toBe(instant - 123);
    }
  });

  it('rejects an unknown time zone and an invalid date', () => {
    expect(() => formatZohoDateTime(0, 'Mars/Olympus')).toThrow(RangeError);
    expect(() => formatZohoDateTime(new Date('nope'), 'UTC')).toThrow(RangeError);
  });

  it('knows which time zones are valid', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone(42 as unknown as string)).toBe(false);
  });
});

describe('independence from the process time zone', () => {
  const original = process.env.TZ;
  afterEach(() => {
    if (original === undefined) delete process.env.TZ;
    else process.env.TZ = original;
  });

  it.each(['America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'])(
    'gives the same results with TZ=%s',
    (tz) => {
      process.env.TZ = tz;
      // Proof that the switch took effect for this process's own Date.
      const expected = { 'America/New_York': 300, 'Asia/Kolkata': -330, 'Australia/Lord_Howe': -660, UTC: 0 }[
        tz
      ];
      expect(new Date('2025-01-10T12:00:00Z').getTimezoneOffset()).toBe(expected);
      runTable();
    },
  );

  // This file and the mapping's table in fresh processes started with TZ set, as a deployment would run
  // them. The children run with JOURNAL_TZ_CHILD set, which skips this block (no recursion).
  describe.skipIf(process.env.JOURNAL_TZ_CHILD === '1')('in child processes started with TZ set', () => {
    const exec = promisify(execFile);
    const root = fileURLToPath(new URL('../../', import.meta.url));
    it.each(['America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'])(
      'passes under TZ=%s',
      async (tz) => {
        const { stdout } = await exec(
          process.execPath,
          [
            'node_modules/vitest/vitest.mjs',
            'run',
            'test/journal/zoho-time.test.ts',
            'test/journal/map-call.test.ts',
            '--typecheck.enabled=false',
          ],
          { cwd: root, env: { ...process.env, TZ: tz, JOURNAL_TZ_CHILD: '1', NO_COLOR: '1', CI: '1' } },
        );
        expect(stdout).toMatch(/Test Files\s+2 passed/);
        expect(stdout).toMatch(/Tests\s+\d+ passed/);
        expect(stdout).not.toMatch(/failed/);
      },
      180_000, // a whole vitest start in a child process: a hang guard sized for a loaded machine
    );
  });
});
