import { describe, expect, it } from 'vitest';
import {
  bmpSafe,
  type CallActivityOptions,
  callMarker,
  callType,
  callUpdateLines,
  clampDescription,
  durationSeconds,
  formatDuration,
  linkFields,
  linkLines,
  placeRecording,
  RECORDING_FIELD_MAX_LENGTH,
  SUBJECT_MAX_LENGTH,
  subjectText,
  toCallActivity,
  toCallUpdate,
} from '../../src/journal/map-call.js';
import type { NormalizedCall, PbxCallStatus } from '../../src/journal/pbx-call.js';
import type { CallerMatch } from '../../src/lookup/types.js';

const T0 = Date.parse('2025-01-10T19:02:41Z');
const ANSWERED = Date.parse('2025-01-10T19:03:00Z');
const ENDED = Date.parse('2025-01-10T19:07:12Z'); // 252 s after answer, 271 s after start
const RECORDING = 'https://pbx.example.com/recordings/7f3a.wav';
const TRANSCRIPT = 'https://pbx.example.com/transcripts/7f3a';
const BASE: CallActivityOptions = { timeZone: 'America/New_York', defaultCountry: 'US' };

const CONTACT: CallerMatch = {
  module: 'Contacts',
  id: '4876876000000333001',
  name: 'Ada Lovelace',
  phone: '+14155552671',
  field: 'Phone',
  account: { id: '4876876000000333900', name: 'Analytical Engines Ltd' },
  source: 'zoho',
};
const CONTACT_ALONE: CallerMatch = { ...CONTACT, id: '4876876000000333002', account: undefined };
const LEAD: CallerMatch = {
  ...CONTACT_ALONE,
  module: 'Leads',
  id: '4876876000000444001',
  name: 'Grace Hopper',
};
const ACCOUNT: CallerMatch = {
  ...CONTACT_ALONE,
  module: 'Accounts',
  id: '4876876000000555001',
  name: 'Acme Inc',
};
const PBX: CallerMatch = { ...CONTACT_ALONE, module: 'PBX', id: 'pbx-17', name: 'Reception', field: 'PBX' };

function call(direction: 'inbound' | 'outbound', status: PbxCallStatus, extra: Partial<NormalizedCall> = {}) {
  const inbound = direction === 'inbound';
  const base: NormalizedCall = {
    id: `call-${direction}-${status}`,
    direction,
    trunk: true,
    from: inbound ? '+1 (415) 555-2671' : '201',
    to: inbound ? '+14155550100' : '(415) 555-2671',
    agent: { extension: '201', name: 'Grace Hopper', email: 'grace@example.com' },
    startedAt: T0,
    endedAt: ENDED,
    status,
  };
  if (status === 'answered') base.answeredAt = ANSWERED;
  return { ...base, ...extra };
}

describe('toCallActivity', () => {
  it('README example: an answered inbound call from a contact with an account', () => {
    const record = toCallActivity(call('inbound', 'answered'), CONTACT, {
      ...BASE,
      ownerId: '4876876000000225013',
      recordingUrl: RECORDING,
      outboundStatusField: 'Outgoing_Call_Status',
    });
    expect(record).toEqual({
      Subject: 'Inbound call from +1 415 555 2671',
      Call_Type: 'Inbound',
      Call_Start_Time: '2025-01-10T14:03:00-05:00',
      Call_Duration: '04:12',
      Call_Duration_in_seconds: 252,
      Who_Id: { id: CONTACT.id },
      What_Id: { id: '4876876000000333900' },
      $se_module: 'Accounts',
      Owner: { id: '4876876000000225013' },
      Voice_Recording__s: RECORDING,
      Caller_ID: '+14155552671',
      Dialled_Number: '+14155550100',
      Description: `Agent: Grace Hopper (ext. 201)\nRecording: ${RECORDING}\nPBX call ID: call-inbound-answered`,
    });
  });

  // Every call shape: direction × outcome × who the caller is × recording × transcription.
  const SHAPES: Array<['inbound' | 'outbound', PbxCallStatus, string, number, string]> = [
    // direction, status, Call_Type, seconds, subject
    ['inbound', 'answered', 'Inbound', 252, 'Inbound call from +1 415 555 2671'],
    ['inbound', 'missed', 'Missed', 0, 'Missed call from +1 415 555 2671'],
    ['inbound', 'no-answer', 'Missed', 0, 'Missed call from +1 415 555 2671'],
    ['inbound', 'busy', 'Missed', 0, 'Missed call from +1 415 555 2671 (busy)'],
    ['inbound', 'failed', 'Missed', 0, 'Missed call from +1 415 555 2671 (failed)'],
    ['inbound', 'voicemail', 'Missed', 0, 'Voicemail from +1 415 555 2671'],
    ['outbound', 'answered', 'Outbound', 252, 'Outbound call to +1 415 555 2671'],
    ['outbound', 'no-answer', 'Outbound', 271, 'Outbound call to +1 415 555 2671 (no answer)'],
    ['outbound', 'missed', 'Outbound', 271, 'Outbound call to +1 415 555 2671 (missed)'],
    ['outbound', 'busy', 'Outbound', 271, 'Outbound call to +1 415 555 2671 (busy)'],
    ['outbound', 'failed', 'Outbound', 271, 'Outbound call to +1 415 555 2671 (failed)'],
    ['outbound', 'voicemail', 'Outbound', 271, 'Outbound call to +1 415 555 2671 (voicemail)'],
  ];
  const MATCHES: Array<[string, CallerMatch | null, Record<string, unknown>]> = [
    [
      'contact with account',
      CONTACT,
      { Who_Id: { id: CONTACT.id }, What_Id: { id: '4876876000000333900' }, $se_module: 'Accounts' },
    ],
    ['contact', CONTACT_ALONE, { Who_Id: { id: CONTACT_ALONE.id } }],
    ['lead', LEAD, { What_Id: { id: LEAD.id }, $se_module: 'Leads' }],
    ['account', ACCOUNT, { What_Id: { id: ACCOUNT.id }, $se_module: 'Accounts' }],
    ['PBX directory', PBX, {}],
    ['unknown', null, {}],
  ];
  const LINK_KEYS = ['Who_Id', 'What_Id', '$se_module'];
  const table = SHAPES.flatMap((shape) =>
    MATCHES.flatMap((m) =>
      [false, true].flatMap((withRecording) =>
        [false, true].map((withTranscript) => [shape, m, withRecording, withTranscript] as const),
      ),
    ),
  );

  it.each(table)('%j × %j, recording %s, transcription %s', (shape, m, withRecording, withTranscript) => {
    const [direction, status, type, seconds, subject] = shape;
    const [, match, links] = m;
    const record = toCallActivity(call(direction, status), match, {
      ...BASE,
      ...(withRecording ? { recordingUrl: RECORDING } : {}),
      ...(withTranscript ? { transcriptionUrl: TRANSCRIPT, transcriptionSummary: 'Wants a quote' } : {}),
      outboundStatusField: 'Outgoing_Call_Status',
    });
    expect(record.Call_Type).toBe(type);
    expect(record.Subject).toBe(subject);
    expect(record.Call_Duration_in_seconds).toBe(seconds);
    expect(record.Call_Duration).toBe(formatDuration(seconds, 'mm:ss'));
    // Zoho: Inbound and Outbound never have a zero duration; Missed is 00:00.
    if (type === 'Missed') expect(record.Call_Duration).toBe('00:00');
    else expect(seconds).toBeGreaterThan(0);
    // Start: answer time for answered calls, ring start otherwise; always the org's offset, no ms, no Z.
    expect(record.Call_Start_Time).toBe(
      status === 'answered' ? '2025-01-10T14:03:00-05:00' : '2025-01-10T14:02:41-05:00',
    );
    // Exactly the link fields of the match, nothing else.
    const linkPart = Object.fromEntries(Object.entries(record).filter(([key]) => LINK_KEYS.includes(key)));
    expect(linkPart).toEqual(links);
    if ('What_Id' in record) expect(record.$se_module).toBeDefined();
    // The status field goes on outbound calls only.
    expect(record.Outgoing_Call_Status).toBe(direction === 'outbound' ? 'Completed' : undefined);
    // Numbers: the external party is the caller inbound and the dialled number outbound.
    if (direction === 'inbound') {
      expect(record).toMatchObject({ Caller_ID: '+14155552671', Dialled_Number: '+14155550100' });
    } else {
      expect(record.Dialled_Number).toBe('+14155552671');
      expect(record.Caller_ID).toBeUndefined(); // extension 201 is not a public number
    }
    // Links.
    expect(record.Voice_Recording__s).toBe(withRecording ? RECORDING : undefined);
    const description = record.Description as string;
    expect(description.includes(`Recording: ${RECORDING}`)).toBe(withRecording);
    expect(description.includes(`Transcription: ${TRANSCRIPT}\nSummary: Wants a quote`)).toBe(withTranscript);
    expect(description.includes('Outcome:')).toBe(status !== 'answered');
    expect(description.endsWith(`PBX call ID: call-${direction}-${status}`)).toBe(true);
    expect(record.Subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
  });

  it('puts the org time zone offset on the start time, across zones and a DST change', () => {
    const at = (iso: string, timeZone: string) =>
      toCallActivity(
        call('inbound', 'missed', { startedAt: Date.parse(iso), endedAt: Date.parse(iso) + 30_000 }),
        null,
        {
          ...BASE,
          timeZone,
        },
      ).Call_Start_Time;
    expect(at('2025-03-09T06:59:59Z', 'America/New_York')).toBe('2025-03-09T01:59:59-05:00');
    expect(at('2025-03-09T07:00:00Z', 'America/New_York')).toBe('2025-03-09T03:00:00-04:00');
    expect(at('2025-01-10T08:33:20.750Z', 'Asia/Kolkata')).toBe('2025-01-10T14:03:20+05:30');
    // Lord Howe leaves its 30-minute DST at 02:00 on 6 April 2025: 01:59 happens twice.
    expect(at('2025-04-05T14:59:00Z', 'Australia/Lord_Howe')).toBe('2025-04-06T01:59:00+11:00');
    expect(at('2025-04-05T15:29:00Z', 'Australia/Lord_Howe')).toBe('2025-04-06T01:59:00+10:30');
    expect(at('2025-01-10T19:03:00Z', 'UTC')).toBe('2025-01-10T19:03:00+00:00');
  });

  it('rounds answered calls to whole seconds and never below 1 s', () => {
    const short = call('inbound', 'answered', { answeredAt: ANSWERED, endedAt: ANSWERED + 400 });
    expect(toCallActivity(short, null, BASE)).toMatchObject({
      Call_Duration: '00:01',
      Call_Duration_in_seconds: 1,
    });
    const zero = call('outbound', 'answered', { answeredAt: ANSWERED, endedAt: ANSWERED });
    expect(toCallActivity(zero, null, BASE).Call_Duration).toBe('00:01');
    const noRing = call('outbound', 'busy', { startedAt: T0, endedAt: T0 });
    expect(toCallActivity(noRing, null, BASE).Call_Duration).toBe('00:01');
    const long = call('inbound', 'answered', { answeredAt: ANSWERED, endedAt: ANSWERED + 4_503_400 });
    expect(toCallActivity(long, null, BASE)).toMatchObject({
      Call_Duration: '75:03',
      Call_Duration_in_seconds: 4503,
    });
    expect(toCallActivity(long, null, { ...BASE, durationFormat: 'hh:mm:ss' }).Call_Duration).toBe(
      '01:15:03',
    );
    expect(
      toCallActivity(call('inbound', 'missed'), null, { ...BASE, durationFormat: 'hh:mm:ss' }).Call_Duration,
    ).toBe('00:00:00');
  });

  it('measures an answered call without answeredAt from its start', () => {
    const record = toCallActivity(call('inbound', 'answered', { answeredAt: undefined }), null, BASE);
    expect(record).toMatchObject({ Call_Start_Time: '2025-01-10T14:02:41-05:00', Call_Duration: '04:31' });
  });

  it.each([
    [
      'a template string',
      '{type} call with {name} ({status}, {direction}, agent {agent})',
      CONTACT_ALONE,
      'Inbound call with Ada Lovelace (answered, inbound, agent Grace Hopper)',
    ],
    ['the number when the caller is unknown', '{name} / {number}', null, '+1 415 555 2671 / +1 415 555 2671'],
    ['unknown placeholders kept', '{type} {nope}', null, 'Inbound {nope}'],
  ] as const)('renders %s', (_label, template, match, expected) => {
    expect(toCallActivity(call('inbound', 'answered'), match, { ...BASE, subject: template }).Subject).toBe(
      expected,
    );
  });

  it('renders a function template and falls back to "Call" for an empty subject', () => {
    const subject = (c: { name: string; agent: string }) => `📞 ${c.name} via ${c.agent}`;
    expect(toCallActivity(call('inbound', 'answered'), LEAD, { ...BASE, subject }).Subject).toBe(
      'Grace Hopper via Grace Hopper',
    );
    expect(toCallActivity(call('inbound', 'answered'), LEAD, { ...BASE, subject: () => '🙂' }).Subject).toBe(
      'Call',
    );
    const nothing = () => undefined as unknown as string;
    expect(toCallActivity(call('inbound', 'answered'), LEAD, { ...BASE, subject: nothing }).Subject).toBe(
      'Call',
    );
    const noAgent = call('inbound', 'answered', { agent: undefined });
    expect(toCallActivity(noAgent, null, { ...BASE, subject: '[{agent}]' }).Subject).toBe('[]');
    const extOnly = call('inbound', 'answered', { agent: { extension: '305' } });
    expect(toCallActivity(extOnly, null, { ...BASE, subject: '{agent}' }).Subject).toBe('305');
    expect(toCallActivity(extOnly, null, BASE).Description).toContain('Agent: ext. 305');
  });

  it('strips emoji from the subject, names and description and cuts the subject to 255 characters', () => {
    const match = { ...CONTACT_ALONE, name: '🌟 Zoë 👩🏽‍💻 Ünal' };
    const c = call('inbound', 'answered', { agent: { extension: '201', name: 'Sam 🎧' } });
    const record = toCallActivity(c, match, {
      ...BASE,
      subject: '{name}',
      transcriptionUrl: TRANSCRIPT,
      transcriptionSummary: 'Happy customer 😀👍',
    });
    expect(record.Subject).toBe('Zoë Ünal');
    expect(record.Description).toContain('Agent: Sam (ext. 201)');
    expect(record.Description).toContain('Summary: Happy customer');
    expect(record.Description).not.toMatch(/[\u{10000}-\u{10FFFF}]/u);
    const long = toCallActivity(c, null, { ...BASE, subject: `${'x'.repeat(300)}` }).Subject;
    expect(long).toHaveLength(SUBJECT_MAX_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });

  it('shows anonymous callers and raw SIP parties without linking or numbering them', () => {
    const anonymous = toCallActivity(call('inbound', 'missed', { from: 'anonymous' }), null, BASE);
    expect(anonymous.Subject).toBe('Missed call from anonymous');
    expect(anonymous.Caller_ID).toBeUndefined();
    const sip = toCallActivity(call('inbound', 'answered', { from: 'sip:alice@example.com' }), null, BASE);
    expect(sip.Subject).toBe('Inbound call from sip:alice@example.com');
    const emoji = toCallActivity(call('inbound', 'answered', { from: '🙃' }), null, BASE);
    expect(emoji.Subject).toBe('Inbound call from anonymous');
    const publicFrom = toCallActivity(call('outbound', 'answered', { from: '+14155550100' }), null, BASE);
    expect(publicFrom.Caller_ID).toBe('+14155550100');
  });

  it('places the recording link as configured', () => {
    const c = call('inbound', 'answered');
    const field = toCallActivity(c, null, { ...BASE, recordingUrl: RECORDING, recordingTarget: 'field' });
    expect(field.Voice_Recording__s).toBe(RECORDING);
    expect(field.Description).not.toContain('Recording:');
    const description = toCallActivity(c, null, {
      ...BASE,
      recordingUrl: RECORDING,
      recordingTarget: 'description',
    });
    expect(description.Voice_Recording__s).toBeUndefined();
    expect(description.Description).toContain(`Recording: ${RECORDING}`);
    const tooLong = `${RECORDING}?token=${'a'.repeat(RECORDING_FIELD_MAX_LENGTH)}`;
    const long = toCallActivity(c, null, { ...BASE, recordingUrl: tooLong, recordingTarget: 'field' });
    expect(long.Voice_Recording__s).toBeUndefined();
    expect(long.Description).toContain(`Recording: ${tooLong}`);
  });

  it('leaves out fields Zoho refused, adds the dedupe key and can drop the call id line', () => {
    const record = toCallActivity(call('outbound', 'answered', { from: '+14155550100' }), CONTACT_ALONE, {
      ...BASE,
      recordingUrl: RECORDING,
      outboundStatusField: 'Outgoing_Call_Status',
      dedupeField: 'PBX_Call_ID',
      includeCallId: false,
      omitFields: new Set([
        'Voice_Recording__s',
        'Caller_ID',
        'Dialled_Number',
        'Outgoing_Call_Status',
        'Call_Duration_in_seconds',
      ]),
    });
    expect(record).toEqual({
      Subject: 'Outbound call to +1 415 555 2671',
      Call_Type: 'Outbound',
      Call_Start_Time: '2025-01-10T14:03:00-05:00',
      Call_Duration: '04:12',
      Who_Id: { id: CONTACT_ALONE.id },
      PBX_Call_ID: 'call-outbound-answered',
      Description: `Agent: Grace Hopper (ext. 201)\nRecording: ${RECORDING}\n${callMarker('call-outbound-answered', false)}`,
    });
    expect(callMarker('call-outbound-answered', false)).toMatch(/^Journal ref: [0-9a-f]{16}$/);
  });

  it('always ends the description with the marker the journal finds the activity by, even when clamped', () => {
    const c = call('inbound', 'answered', { agent: undefined });
    expect(toCallActivity(c, null, { ...BASE, includeCallId: false }).Description).toBe(
      callMarker(c.id, false),
    );
    expect(callMarker('pbx-1')).toBe('PBX call ID: pbx-1');
    expect(callMarker('pbx-1', false)).not.toBe(callMarker('pbx-2', false));
    // Zoho cannot store an emoji as is: the id line stays and a ref line follows it.
    const emoji = toCallActivity({ ...c, id: 'call-📞' }, null, BASE).Description ?? '';
    expect(emoji.split('\n').slice(-2)).toEqual(['PBX call ID: call-📞', callMarker('call-📞')]);
    const long =
      toCallActivity(c, null, { ...BASE, transcriptionSummary: 'x'.repeat(40_000) }).Description ?? '';
    expect(long.length).toBeLessThanOrEqual(32_000);
    expect(long.endsWith(`\n${callMarker(c.id)}`)).toBe(true);
  });
});

describe('helpers', () => {
  it.each([
    ['inbound', 'answered', 'Inbound'],
    ['inbound', 'voicemail', 'Missed'],
    ['inbound', 'busy', 'Missed'],
    ['outbound', 'no-answer', 'Outbound'],
    ['outbound', 'answered', 'Outbound'],
  ] as const)('callType(%s, %s) = %s', (direction, status, expected) => {
    expect(callType(direction, status)).toBe(expected);
  });

  it('durationSeconds follows the rules of the module notes', () => {
    expect(durationSeconds(call('inbound', 'missed'))).toBe(0);
    expect(durationSeconds(call('outbound', 'busy'))).toBe(271);
    expect(durationSeconds(call('inbound', 'answered'))).toBe(252);
  });

  it.each([
    [0, 'mm:ss', '00:00'],
    [1, 'mm:ss', '00:01'],
    [59.6, 'mm:ss', '01:00'],
    [252, 'mm:ss', '04:12'],
    [3599, 'mm:ss', '59:59'],
    [4503, 'mm:ss', '75:03'],
    [360_000, 'mm:ss', '6000:00'],
    [-5, 'mm:ss', '00:00'],
    [4503, 'hh:mm:ss', '01:15:03'],
    [59, 'hh:mm:ss', '00:00:59'],
  ] as const)('formatDuration(%d, %s) = %s', (seconds, format, expected) => {
    expect(formatDuration(seconds, format)).toBe(expected);
  });

  it('bmpSafe keeps BMP text (accents, CJK, ☎) and removes emoji and joiners', () => {
    expect(bmpSafe('Zoë 李 ☎ ok')).toBe('Zoë 李 ☎ ok');
    expect(bmpSafe('Call 📞 with Zoë 👍🏽')).toBe('Call with Zoë');
    expect(bmpSafe('1\uFE0F\u20E3 keycap')).toBe('1 keycap');
    expect(bmpSafe('lone \uD83D surrogate')).toBe('lone surrogate');
  });

  it('subjectText collapses whitespace', () => {
    expect(subjectText('🔥 Hot lead \n call')).toBe('Hot lead call');
  });

  it('linkFields maps each module', () => {
    expect(linkFields(null)).toEqual({});
    expect(linkFields(LEAD)).toEqual({ What_Id: { id: LEAD.id }, $se_module: 'Leads' });
  });

  it('linkLines and clampDescription', () => {
    expect(linkLines({})).toBe('');
    expect(linkLines({ recording: RECORDING, transcriptionSummary: 'ok' })).toBe(
      `Recording: ${RECORDING}\nSummary: ok`,
    );
    expect(clampDescription('x'.repeat(40_000))).toHaveLength(32_000);
    expect(clampDescription('short')).toBe('short');
  });
});

describe('toCallUpdate (late links on an existing activity)', () => {
  it('places a recording by the same rule as the first write and appends only missing lines', () => {
    const url = 'https://pbx.example.com/r/1.wav';
    expect(toCallUpdate('9', { recordingUrl: url }, { recordingTarget: 'field' }, 'Agent: ext. 201')).toEqual(
      {
        id: '9',
        Voice_Recording__s: url,
      },
    );
    expect(
      toCallUpdate(
        '9',
        { recordingUrl: url },
        { recordingTarget: 'both' },
        `Agent: ext. 201\nRecording: ${url}`,
      ),
    ).toEqual({ id: '9', Voice_Recording__s: url });
    const refused = toCallUpdate(
      '9',
      { recordingUrl: url },
      { omitFields: new Set(['Voice_Recording__s']) },
      '',
    );
    expect(refused).toEqual({ id: '9', Description: `Recording: ${url}` });
    expect(placeRecording(`https://pbx.example.com/${'a'.repeat(300)}`, 'field')).toEqual({
      description: `https://pbx.example.com/${'a'.repeat(300)}`,
    });
  });

  it('replaces the record link (null clears the other side)', () => {
    expect(toCallUpdate('9', { link: { module: 'Leads', id: '42' } }, {})).toEqual({
      id: '9',
      Who_Id: null,
      What_Id: { id: '42' },
      $se_module: 'Leads',
    });
    expect(callUpdateLines({ link: { module: 'Leads', id: '42' } }, {})).toBe('');
  });
});
