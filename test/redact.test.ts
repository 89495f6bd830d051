import { describe, expect, it } from 'vitest';
import { createSafeLogger, noopLogger } from '../src/logger.js';
import { isSecretKey, maskPhone, REDACTED, redactText, redactValue, urlPath } from '../src/redact.js';

const TOKEN = '1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210';

describe('redactText', () => {
  it.each([
    [`token ${TOKEN}`, 'token [REDACTED]'],
    ['Authorization: Zoho-oauthtoken abc.def', 'Authorization: Zoho-oauthtoken [REDACTED]'],
    ['Bearer xyz', 'Bearer [REDACTED]'],
    ['client_secret=abc&code=1000.x', 'client_secret=[REDACTED]&code=[REDACTED]'],
    [
      'see https://accounts.zoho.com/oauth/v2/token/revoke?token=abc now',
      'see https://accounts.zoho.com/oauth/v2/token/revoke now',
    ],
    ['plain text', 'plain text'],
  ])('%j → %j', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it('removes known secret values; ignores very short ones', () => {
    expect(redactText('the secret is hunter22', ['hunter22'])).toBe('the secret is [REDACTED]');
    expect(redactText('abc', ['ab', ''])).toBe('abc');
  });
});

describe('redactValue', () => {
  it('replaces secret keys deeply and redacts strings', () => {
    const value = {
      accessToken: 'a',
      refresh_token: 'b',
      'client-secret': 'c',
      code: 'INVALID_DATA',
      nested: [{ Authorization: 'Zoho-oauthtoken z', note: `x ${TOKEN}` }],
      empty: null,
      missing: undefined,
      when: new Date(0),
      fn: () => 1,
      n: 1,
    };
    expect(redactValue(value)).toEqual({
      accessToken: REDACTED,
      refresh_token: REDACTED,
      'client-secret': REDACTED,
      code: 'INVALID_DATA',
      nested: [{ Authorization: REDACTED, note: 'x [REDACTED]' }],
      empty: null,
      missing: undefined,
      when: new Date(0),
      fn: undefined,
      n: 1,
    });
  });

  it('summarises errors and bounds depth', () => {
    expect(redactValue(new Error(`bad ${TOKEN}`))).toEqual({ name: 'Error', message: 'bad [REDACTED]' });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 12; i++) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    expect(JSON.stringify(redactValue(root))).toContain('[Object]');
  });

  it('accepts secrets as any iterable', () => {
    expect(redactValue('my-secret-1', new Set(['my-secret-1']))).toBe(REDACTED);
  });
});

describe('helpers', () => {
  it('isSecretKey ignores case, dashes and underscores; code is not a secret key', () => {
    expect(isSecretKey('Refresh-Token')).toBe(true);
    expect(isSecretKey('code')).toBe(false);
    expect(isSecretKey('phone')).toBe(false);
  });

  it.each([
    ['https://www.zohoapis.com/crm/v8/Contacts/search?phone=1', '/crm/v8/Contacts/search'],
    ['https://www.zohoapis.com', '/'],
    ['/crm/v8/Calls#x', '/crm/v8/Calls'],
    ['/crm/v8/Calls', '/crm/v8/Calls'],
  ])('urlPath(%j) → %j', (url, expected) => {
    expect(urlPath(url)).toBe(expected);
  });

  it.each([
    ['+14155552671', '+1********71'],
    ['(415) 555-2671', '4*******71'],
    ['101', '***'],
  ])('maskPhone(%j) → %j', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });
});

describe('createSafeLogger', () => {
  it('redacts every line and survives a throwing logger', () => {
    const lines: unknown[] = [];
    const sink = {
      debug: (o: unknown, m: string) => lines.push(['debug', o, m]),
      info: (o: unknown, m: string) => lines.push(['info', o, m]),
      warn: (o: unknown, m: string) => lines.push(['warn', o, m]),
      error: () => {
        throw new Error('broken sink');
      },
    };
    const logger = createSafeLogger(sink, () => ['s3cret-value']);
    logger.debug({ accessToken: 'x' }, 'd');
    logger.info({ note: 'has s3cret-value' }, `msg ${TOKEN}`);
    logger.warn({}, 'w');
    expect(() => logger.error({}, 'e')).not.toThrow();
    expect(lines).toEqual([
      ['debug', { accessToken: REDACTED }, 'd'],
      ['info', { note: `has ${REDACTED}` }, `msg ${REDACTED}`],
      ['warn', {}, 'w'],
    ]);
  });

  it('returns the no-op logger when none is given', () => {
    expect(createSafeLogger(undefined)).toBe(noopLogger);
    expect(createSafeLogger(noopLogger)).toBe(noopLogger);
    expect(() => noopLogger.info({}, 'x')).not.toThrow();
  });
});
