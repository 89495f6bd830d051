import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { type PbxCall, parsePbxCall } from '../../src/journal/pbx-call.js';

const CALL: PbxCall = {
  id: 'pbx-7f3a9c',
  direction: 'inbound',
  trunk: true,
  from: '+14155552671',
  to: '+14155550100',
  agent: { extension: '201', email: 'grace@example.com', name: 'Grace Hopper' },
  startedAt: '2025-01-10T19:02:41Z',
  answeredAt: new Date('2025-01-10T19:03:00Z'),
  endedAt: '2025-01-10T14:07:12-05:00',
  status: 'answered',
  recording: { url: 'https://pbx.example.com/recordings/7f3a9c.wav' },
  transcription: { url: 'https://pbx.example.com/t/7f3a9c', summary: 'Wants a quote' },
  notes: ['Asked for a quote for 20 seats'],
};

function issues(input: unknown): ConfigError['issues'] {
  try {
    parsePbxCall(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('Invalid PbxCall:');
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePbxCall', () => {
  it('README example: dates become epoch ms, the rest is kept', () => {
    expect(parsePbxCall(CALL)).toEqual({
      ...CALL,
      startedAt: Date.parse('2025-01-10T19:02:41Z'),
      answeredAt: Date.parse('2025-01-10T19:03:00Z'),
      endedAt: Date.parse('2025-01-10T19:07:12Z'),
    });
  });

  it('trims and drops empty optional strings', () => {
    const call = parsePbxCall({
      ...CALL,
      id: '  c1 ',
      agent: { extension: ' 201 ', email: '', name: '' },
      transcription: { url: 'https://pbx.example.com/t/1', summary: ' ' },
      notes: [],
      answeredAt: undefined,
    });
    expect(call.id).toBe('c1');
    expect(call.agent).toEqual({ extension: '201' });
    expect(call.transcription).toEqual({ url: 'https://pbx.example.com/t/1' });
    expect(call).not.toHaveProperty('notes');
    expect(call).not.toHaveProperty('answeredAt');
    expect(
      parsePbxCall({ ...CALL, agent: undefined, recording: undefined, transcription: undefined }),
    ).not.toHaveProperty('agent');
  });

  it.each([
    ['missing id', { ...CALL, id: undefined }, 'id'],
    ['empty id', { ...CALL, id: '  ' }, 'id'],
    ['id with control characters', { ...CALL, id: 'a\nb' }, 'id'],
    ['long id', { ...CALL, id: 'x'.repeat(201) }, 'id'],
    ['bad direction', { ...CALL, direction: 'sideways' }, 'direction'],
    ['trunk not boolean', { ...CALL, trunk: 'yes' }, 'trunk'],
    ['empty from', { ...CALL, from: '' }, 'from'],
    ['bad start date', { ...CALL, startedAt: 'yesterday' }, 'startedAt'],
    ['local time without offset', { ...CALL, startedAt: '2025-01-10T19:02:41' }, 'startedAt'],
    ['invalid Date', { ...CALL, endedAt: new Date('nope') }, 'endedAt'],
    ['epoch number', { ...CALL, endedAt: 1736535761000 }, 'endedAt'],
    ['end before start', { ...CALL, endedAt: '2025-01-10T19:00:00Z' }, 'endedAt'],
    ['answer before start', { ...CALL, answeredAt: '2025-01-10T19:00:00Z' }, 'answeredAt'],
    ['answer after end', { ...CALL, answeredAt: '2025-01-10T20:00:00Z' }, 'answeredAt'],
    ['bad status', { ...CALL, status: 'ringing' }, 'status'],
    ['recording not a URL', { ...CALL, recording: { url: 'recordings/1.wav' } }, 'recording.url'],
    ['recording not http', { ...CALL, recording: { url: 'ftp://pbx.example.com/1.wav' } }, 'recording.url'],
    ['unknown key', { ...CALL, colour: 'blue' }, ''],
    ['empty note', { ...CALL, notes: ['ok', ' '] }, 'notes[1]'],
    ['agent without extension', { ...CALL, agent: { email: 'a@example.com' } }, 'agent.extension'],
  ])('rejects %s, naming %j', (_label, input, path) => {
    expect(issues(input).map((issue) => issue.path)).toContain(path);
  });

  it('never echoes the values it rejects (phone numbers are personal data)', () => {
    const error = issues({ ...CALL, from: 42, to: '', direction: '+14155552671' });
    expect(JSON.stringify(error)).not.toContain('4155552671');
  });

  it('rejects a non-object', () => {
    expect(issues(null)[0]?.path).toBe('');
  });
});

describe('finding 7: call dates are bounded to what Zoho accepts (four-digit years, 1970 to 9999)', () => {
  it.each([
    ['endedAt in the year 100000', { endedAt: new Date(Date.UTC(100_000, 0, 1)) }, 'endedAt'],
    ['startedAt in the year 0', { startedAt: '0000-01-01T00:00:00Z' }, 'startedAt'],
    ['startedAt before 1970', { startedAt: new Date(Date.UTC(1969, 11, 31, 23, 0)) }, 'startedAt'],
    ['answeredAt at the end of 9999', { answeredAt: '9999-12-31T23:00:00Z' }, 'answeredAt'],
  ])('refuses %s with a ConfigError naming the field', (_label, edit, field) => {
    const found = issues({ ...CALL, ...edit });
    expect(found.map((issue) => issue.path)).toContain(field);
    expect(found.find((issue) => issue.path === field)?.message).toMatch(/1970.*9999/);
  });

  it('accepts the edges of the window', () => {
    const start = new Date(Date.UTC(1970, 0, 1)).toISOString();
    const call = { ...CALL, startedAt: start, answeredAt: undefined, endedAt: '9999-12-30T23:59:59Z' };
    expect(parsePbxCall(call).endedAt).toBe(Date.parse('9999-12-30T23:59:59Z'));
  });
});
