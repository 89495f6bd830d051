import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  correctionFor,
  decideReading,
  secondsAsRead,
  tellsReadingsApart,
  writeFormatFor,
} from '../../src/journal/duration-reading.js';
import { formatDuration } from '../../src/journal/map-call.js';

const READINGS = ['mm:ss', 'HH:mm'] as const;

describe('secondsAsRead', () => {
  it.each([
    ['04:12', 'mm:ss', 252],
    ['04:12', 'HH:mm', 15_120],
    ['75:03', 'mm:ss', 4503],
    ['00:00', 'HH:mm', 0],
    ['01:15:03', 'mm:ss', 4503],
    ['01:15:03', 'HH:mm', 4503],
    [' 4:7 ', 'mm:ss', 247],
  ] as const)('%s read as %s is %i s', (text, reading, seconds) => {
    expect(secondsAsRead(text, reading)).toBe(seconds);
  });

  it.each(['', '12', '1:2:3:4', 'a:b', '-1:30', '1.5:00'])('%j is no duration', (text) => {
    expect(secondsAsRead(text, 'mm:ss')).toBeUndefined();
  });
});

describe('writing for a reading', () => {
  it('the form written for a reading is read back as the true duration, whatever the duration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 * 3600 }),
        fc.constantFrom(...READINGS),
        (seconds, reading) => {
          expect(secondsAsRead(formatDuration(seconds, writeFormatFor(reading)), reading)).toBe(seconds);
        },
      ),
    );
  });

  it('only two-part non-zero texts tell the readings apart', () => {
    expect(tellsReadingsApart('00:01')).toBe(true);
    expect(tellsReadingsApart('04:12')).toBe(true);
    expect(tellsReadingsApart('00:00')).toBe(false);
    expect(tellsReadingsApart('00:04:12')).toBe(false);
    expect(tellsReadingsApart('soon')).toBe(false);
  });

  it('writes minutes and seconds while the reading is unknown', () => {
    expect(writeFormatFor('unknown')).toBe('mm:ss');
    expect(writeFormatFor('mm:ss')).toBe('mm:ss');
    expect(writeFormatFor('HH:mm')).toBe('hh:mm:ss');
  });
});

describe('decideReading', () => {
  it('any answered call written as minutes and seconds tells the reading from the seconds Zoho stored', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 * 3600 }),
        fc.constantFrom(...READINGS),
        (seconds, reading) => {
          const text = formatDuration(seconds, 'mm:ss');
          const stored = secondsAsRead(text, reading);
          expect(decideReading([{ seconds, text, storedSeconds: stored }]).reading).toBe(reading);
        },
      ),
    );
  });

  it('zero, three-part and unread samples do not vote', () => {
    const verdict = decideReading([
      { seconds: 0, text: '00:00', storedSeconds: 0 },
      { seconds: 252, text: '00:04:12', storedSeconds: 252 },
      { seconds: 252, text: '04:12' },
      { seconds: 252, storedSeconds: 252 },
    ]);
    expect(verdict).toEqual({ votes: { 'mm:ss': 0, 'HH:mm': 0, neither: 0 } });
  });

  it('disagreeing samples, or a value neither reading gives, decide nothing', () => {
    expect(
      decideReading([
        { seconds: 252, text: '04:12', storedSeconds: 252 },
        { seconds: 45, text: '00:45', storedSeconds: 2700 },
      ]).reading,
    ).toBeUndefined();
    const odd = decideReading([
      { seconds: 252, text: '04:12', storedSeconds: 15_120 },
      { seconds: 45, text: '00:45', storedSeconds: 46 },
    ]);
    expect(odd).toEqual({ votes: { 'mm:ss': 0, 'HH:mm': 1, neither: 1 } });
  });
});

describe('correctionFor', () => {
  it('rewrites a text Zoho read the other way, by the stored seconds or by the reading', () => {
    expect(correctionFor({ seconds: 252, text: '04:12', storedSeconds: 15_120 }, 'HH:mm')).toBe('00:04:12');
    expect(correctionFor({ seconds: 252, text: '04:12' }, 'HH:mm')).toBe('00:04:12');
    expect(correctionFor({ seconds: 4503, text: '75:03' }, 'HH:mm')).toBe('01:15:03');
  });

  it('leaves right records, unknown readings and unknown texts alone', () => {
    expect(correctionFor({ seconds: 252, text: '04:12', storedSeconds: 252 }, 'mm:ss')).toBeUndefined();
    expect(correctionFor({ seconds: 252, text: '04:12' }, 'mm:ss')).toBeUndefined();
    expect(correctionFor({ seconds: 252, text: '00:04:12' }, 'HH:mm')).toBeUndefined();
    expect(correctionFor({ seconds: 252, text: '04:12' }, 'unknown')).toBeUndefined();
    expect(correctionFor({ seconds: 252 }, 'HH:mm')).toBeUndefined();
    // Zoho's seconds are right even though the text is not the form the journal writes: nothing to do.
    expect(correctionFor({ seconds: 252, text: '0:4:12', storedSeconds: 252 }, 'HH:mm')).toBeUndefined();
    // The form the journal writes already, yet Zoho holds other seconds: no text would do better.
    expect(correctionFor({ seconds: 252, text: '00:04:12', storedSeconds: 240 }, 'HH:mm')).toBeUndefined();
  });

  it('after a correction, the record reads true under the reading', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 * 3600 }),
        fc.constantFrom(...READINGS),
        (seconds, reading) => {
          const text = formatDuration(seconds, 'mm:ss');
          const fixed = correctionFor(
            { seconds, text, storedSeconds: secondsAsRead(text, reading) },
            reading,
          );
          expect(secondsAsRead(fixed ?? text, reading)).toBe(seconds);
        },
      ),
    );
  });
});
