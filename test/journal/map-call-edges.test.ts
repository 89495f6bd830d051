/**
 * Edges of the PBX call → Zoho Calls mapping: exact length limits, whitespace, where the recording link
 * goes, and parties that are not public numbers.
 */
import { describe, expect, it } from 'vitest';
import {
  bmpSafe,
  type CallActivityOptions,
  clampDescription,
  linkFields,
  RECORDING_FIELD_MAX_LENGTH,
  SUBJECT_MAX_LENGTH,
  subjectText,
  toCallActivity,
} from '../../src/journal/map-call.js';
import type { NormalizedCall } from '../../src/journal/pbx-call.js';
import type { CallerMatch } from '../../src/lookup/types.js';

const T0 = Date.parse('2025-01-10T19:02:41Z');
const OPTIONS: CallActivityOptions = { timeZone: 'UTC', defaultCountry: 'US' };
const CALL: NormalizedCall = {
  id: 'c-1',
  direction: 'inbound',
  trunk: true,
  from: '+14155552671',
  to: '+14155550100',
  startedAt: T0,
  answeredAt: T0 + 5_000,
  endedAt: T0 + 65_000,
  status: 'answered',
};
const LEAD: CallerMatch = {
  module: 'Leads',
  id: '42',
  name: 'Grace Hopper',
  phone: '+14155552671',
  field: 'Phone',
  source: 'zoho',
};
const url = (length: number) => {
  const base = 'https://pbx.example.com/r/';
  return base + 'x'.repeat(length - base.length);
};

describe('length limits', () => {
  it('a subject of exactly 255 characters is kept whole; one more is cut with an ellipsis', () => {
    const exact = 's'.repeat(SUBJECT_MAX_LENGTH);
    expect(subjectText(exact)).toBe(exact);
    const cut = subjectText(`${'s'.repeat(SUBJECT_MAX_LENGTH)}t`);
    expect(cut).toHaveLength(SUBJECT_MAX_LENGTH);
    expect(cut.endsWith('s…')).toBe(true);
  });

  it('a cut subject does not end in a space before the ellipsis', () => {
    const words = `${'a'.repeat(SUBJECT_MAX_LENGTH - 2)} ${'b'.repeat(20)}`;
    expect(subjectText(words)).toBe(`${'a'.repeat(SUBJECT_MAX_LENGTH - 2)}…`);
  });

  it('a description of exactly 32,000 characters is kept whole; one more is cut', () => {
    const exact = 'd'.repeat(32_000);
    expect(clampDescription(exact)).toBe(exact);
    const cut = clampDescription(`${exact}e`);
    expect(cut).toHaveLength(32_000);
    expect(cut.endsWith('d…')).toBe(true);
  });

  it('a recording link of exactly 255 characters goes into the recording field', () => {
    const link = url(RECORDING_FIELD_MAX_LENGTH);
    expect(toCallActivity(CALL, null, { ...OPTIONS, recordingUrl: link }).Voice_Recording__s).toBe(link);
    const long = url(RECORDING_FIELD_MAX_LENGTH + 1);
    const record = toCallActivity(CALL, null, { ...OPTIONS, recordingUrl: long });
    expect(record.Voice_Recording__s).toBeUndefined();
    expect(record.Description).toContain(`Recording: ${long}`);
  });
});

describe('where the recording link goes', () => {
  const link = url(60);
  const where = (recordingTarget?: CallActivityOptions['recordingTarget']) => {
    const record = toCallActivity(CALL, null, {
      ...OPTIONS,
      recordingUrl: link,
      ...(recordingTarget ? { recordingTarget } : {}),
    });
    return {
      field: record.Voice_Recording__s === link,
      description: (record.Description ?? '').includes(`Recording: ${link}`),
    };
  };

  it('both by default, the field only, or the description only', () => {
    expect(where()).toEqual({ field: true, description: true });
    expect(where('both')).toEqual({ field: true, description: true });
    expect(where('field')).toEqual({ field: true, description: false });
    expect(where('description')).toEqual({ field: false, description: true });
  });
});

describe('text clean-up', () => {
  it('subjects are trimmed, and an empty one becomes "Call"', () => {
    expect(subjectText('  Follow-up   call  ')).toBe('Follow-up call');
    expect(subjectText(' \t ')).toBe('Call');
    expect(subjectText('📞')).toBe('Call');
  });

  it('text with nothing to remove keeps its spacing (a summary may be laid out on purpose)', () => {
    expect(bmpSafe('  - quote\n  - demo  ')).toBe('  - quote\n  - demo  ');
    expect(bmpSafe('Call 📞  back')).toBe('Call back');
  });

  it('a blank or padded record name in the subject falls back to the number or is trimmed', () => {
    const subject = (name: string) =>
      toCallActivity(CALL, { ...LEAD, name }, { ...OPTIONS, subject: 'Call with {name}!' }).Subject;
    expect(subject('  ')).toBe('Call with +1 415 555 2671!');
    expect(subject('🙂')).toBe('Call with +1 415 555 2671!');
    expect(subject(' Grace Hopper ')).toBe('Call with Grace Hopper!');
  });

  it('a party that is not a public number is shown as given, trimmed', () => {
    const internal = { ...CALL, from: ' Reception ', status: 'missed' as const };
    delete (internal as Partial<NormalizedCall>).answeredAt;
    const record = toCallActivity(internal, null, { ...OPTIONS, subject: '{number}!' });
    expect(record.Subject).toBe('Reception!');
    expect(record.Caller_ID).toBeUndefined();
  });

  it('an anonymous caller is shown as "anonymous"', () => {
    const anonymous = { ...CALL, from: 'anonymous', status: 'missed' as const };
    expect(toCallActivity(anonymous, null, OPTIONS).Subject).toBe('Missed call from anonymous');
  });
});

describe('call shape', () => {
  it('an unanswered call starts when it rang, even when the PBX reports an answer time (voicemail)', () => {
    const voicemail: NormalizedCall = { ...CALL, status: 'voicemail', answeredAt: T0 + 20_000 };
    expect(toCallActivity(voicemail, null, OPTIONS).Call_Start_Time).toBe('2025-01-10T19:02:41+00:00');
  });

  it('a description without links has no blank lines', () => {
    const record = toCallActivity(
      { ...CALL, agent: { extension: '201', name: 'Grace Hopper' }, status: 'missed' },
      null,
      OPTIONS,
    );
    expect(record.Description).toBe('Outcome: missed\nAgent: Grace Hopper (ext. 201)\nPBX call ID: c-1');
  });

  it('a PBX directory match links nothing', () => {
    const pbx: CallerMatch = { ...LEAD, module: 'PBX', field: 'PBX' };
    expect(linkFields(pbx)).toEqual({});
    expect(linkFields(null)).toEqual({});
  });
});
