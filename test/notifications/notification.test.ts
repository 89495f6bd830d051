import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, ZohoApiError } from '../../src/errors.js';
import { parseChangeNotification, tokenMatches } from '../../src/notifications/notification.js';
import {
  defaultChannelId,
  readWatchAnswer,
  WatchOptionsSchema,
  watchBody,
  zohoDateTime,
} from '../../src/notifications/watch-request.js';
import { configErrorFromIssues } from '../../src/options.js';

/** Zoho's documented sample (v7 enable.html, "Sample response received at the notification URL"). */
const SAMPLE = {
  server_time: 1718117126473,
  query_params: {},
  module: 'Leads',
  resource_uri: 'https://www.zohoapis.com/crm/v2/Leads',
  ids: ['5725767000003000064'],
  affected_fields: [],
  operation: 'insert',
  channel_id: '1000000068001',
  token: 'TOKEN_FOR_VERIFICATION_OF_1000000068001',
};

describe('parseChangeNotification', () => {
  it("reads Zoho's documented sample, parsed or as text", () => {
    expect(parseChangeNotification(SAMPLE)).toEqual(SAMPLE);
    expect(parseChangeNotification(JSON.stringify(SAMPLE))).toEqual(SAMPLE);
    expect(parseChangeNotification(new TextEncoder().encode(JSON.stringify(SAMPLE)))).toEqual(SAMPLE);
  });

  it('takes ids and channel ids sent as JSON numbers as strings, and optional keys absent', () => {
    const { server_time: _t, query_params: _q, resource_uri: _r, affected_fields: _a, ...bare } = SAMPLE;
    expect(parseChangeNotification({ ...bare, ids: [42], channel_id: 1000000068001 })).toMatchObject({
      ids: ['42'],
      channel_id: '1000000068001',
    });
  });

  it.each([
    ['not JSON', '{"ids": [', /not JSON/],
    ['no ids', { ...SAMPLE, ids: undefined }, /at ids/],
    ['an unknown operation', { ...SAMPLE, operation: 'merge' }, /at operation/],
    ['an id that is not a number', { ...SAMPLE, ids: ['1; drop'] }, /at ids\.0/],
    ['a module that is not an API name', { ...SAMPLE, module: '../Leads' }, /at module/],
    ['null', null, /at \(root\)/],
  ])('refuses %s with NOTIFICATION_INVALID, naming the path', (_name, body, message) => {
    let error: unknown;
    try {
      parseChangeNotification(body);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: ErrorCode.NOTIFICATION_INVALID });
    expect((error as Error).message).toMatch(message);
  });

  it('names at most five paths, comma-separated', () => {
    const body = { ...SAMPLE, ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] };
    expect(() => parseChangeNotification(body)).toThrow(
      'Not a Zoho change notification: unexpected shape at ids.0, ids.1, ids.2, ids.3, ids.4.',
    );
  });
});

describe('tokenMatches', () => {
  it('accepts only the very token, and never a notification without one', async () => {
    expect(await tokenMatches('s3cret-token', 's3cret-token')).toBe(true);
    expect(await tokenMatches('s3cret-tokeN', 's3cret-token')).toBe(false);
    expect(await tokenMatches('s3cret-token-and-more', 's3cret-token')).toBe(false);
    expect(await tokenMatches('', 's3cret-token')).toBe(false);
    expect(await tokenMatches(undefined, 's3cret-token')).toBe(false);
    // Even against an empty channel token (which handleNotification refuses before asking).
    expect(await tokenMatches(undefined, '')).toBe(false);
  });
});

describe('the watch request', () => {
  const spec = {
    notifyUrl: 'https://pbx.example.com/zoho/notify',
    channelToken: 'tok',
    channelId: '1000000068001',
    modules: ['Contacts', 'Leads'] as const,
  };

  it('sends one channel with the modules as `.all` events and an ISO expiry with an offset', () => {
    const at = Date.UTC(2026, 11, 4, 6, 56, 18, 123);
    expect(watchBody(spec, at)).toEqual({
      watch: [
        {
          channel_id: '1000000068001',
          events: ['Contacts.all', 'Leads.all'],
          channel_expiry: '2026-12-04T06:56:18+00:00',
          token: 'tok',
          notify_url: 'https://pbx.example.com/zoho/notify',
        },
      ],
    });
    expect(zohoDateTime(at)).toBe('2026-12-04T06:56:18+00:00');
  });

  it("reads the expiry Zoho answered (the earliest of its events), or Zoho's one-hour default", () => {
    const answer = (events: object[]) => ({
      watch: [{ code: 'SUCCESS', status: 'success', message: 'ok', details: { events } }],
    });
    expect(
      readWatchAnswer(
        answer([
          { channel_expiry: '2026-12-04T12:00:00+05:30', resource_name: 'Contacts', channel_id: '1' },
          { channel_expiry: '2026-12-04T07:00:00+00:00', resource_name: 'Leads', channel_id: '1' },
        ]),
        200,
        0,
      ),
    ).toBe(Date.parse('2026-12-04T06:30:00Z'));
    expect(readWatchAnswer(answer([]), 200, 1_000)).toBe(1_000 + 3_600_000);
  });

  it('turns a refusal or another shape into a ZohoApiError', () => {
    const refused = () => readWatchAnswer({ watch: [{ code: 'INVALID_DATA', status: 'error' }] }, 200, 0);
    expect(refused).toThrow(ZohoApiError);
    expect(refused).toThrow(expect.objectContaining({ zohoCode: 'INVALID_DATA', code: ErrorCode.ZOHO_API }));
    expect(() => readWatchAnswer({ data: [] }, 200, 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.ZOHO_INVALID_RESPONSE }),
    );
  });

  it('derives a stable 15-digit channel id per connection', () => {
    const a = defaultChannelId('tenant-42');
    expect(a).toMatch(/^[1-9]\d{14}$/);
    expect(defaultChannelId('tenant-42')).toBe(a);
    expect(defaultChannelId('tenant-43')).not.toBe(a);
  });
});

describe('watchChanges options', () => {
  const check = (options: object) => {
    const parsed = WatchOptionsSchema.safeParse(options);
    return parsed.success
      ? undefined
      : configErrorFromIssues(parsed.error.issues, options, 'watchChanges options');
  };
  const base = { notifyUrl: 'https://pbx.example.com/zoho/notify', channelToken: 'tok' };

  it('accepts https anywhere and http on loopback only', () => {
    expect(check(base)).toBeUndefined();
    expect(check({ ...base, notifyUrl: 'http://127.0.0.1:8080/n' })).toBeUndefined();
    expect(check({ ...base, notifyUrl: 'http://localhost/n' })).toBeUndefined();
    for (const notifyUrl of ['http://pbx.example.com/n', 'ftp://localhost/n', 'not a url']) {
      expect(check({ ...base, notifyUrl })).toMatchObject({ issues: [{ path: 'notifyUrl' }] });
    }
  });

  it('refuses a channel token over 50 characters without echoing it, and unknown keys', () => {
    const channelToken = `secret-${'x'.repeat(50)}`;
    const error = check({ ...base, channelToken });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues[0]?.path).toBe('channelToken');
    expect(JSON.stringify(error)).not.toContain(channelToken);
    expect(check({ ...base, channelToken: '' })?.issues[0]?.path).toBe('channelToken');
    expect(check({ ...base, channelID: '1' })).toBeInstanceOf(ConfigError);
    expect(check({ ...base, channelId: '12a' })?.issues[0]?.path).toBe('channelId');
    expect(check({ ...base, modules: ['Deals'] })?.issues[0]?.path).toBe('modules[0]');
  });
});
