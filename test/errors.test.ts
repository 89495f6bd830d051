import { inspect } from 'node:util';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConfigError,
  ErrorCode,
  isZohoCrmError,
  PhoneNumberError,
  RateLimitError,
  TokenStoreError,
  TransportError,
  ZohoApiError,
  ZohoCrmError,
} from '../src/errors.js';

const TOKEN = '1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210';

describe('error classes', () => {
  it.each([
    [new ConfigError([{ path: 'region', message: 'bad' }]), 'ConfigError', ErrorCode.CONFIG_INVALID],
    [new PhoneNumberError('TOO_SHORT', 'too short', 'US'), 'PhoneNumberError', ErrorCode.PHONE_INVALID],
    [new AuthError(ErrorCode.AUTH_NOT_CONNECTED, 'not connected'), 'AuthError', ErrorCode.AUTH_NOT_CONNECTED],
    [new ZohoApiError('boom', { status: 400, zohoCode: 'INVALID_DATA' }), 'ZohoApiError', ErrorCode.ZOHO_API],
    [new RateLimitError('slow down', {}), 'RateLimitError', ErrorCode.ZOHO_RATE_LIMIT],
    [new TransportError(ErrorCode.NETWORK, 'down'), 'TransportError', ErrorCode.NETWORK],
    [new TokenStoreError('file', 'get', 'corrupt'), 'TokenStoreError', ErrorCode.TOKEN_STORE],
  ] as const)('%o has a pinned name, a code and the brand', (error, name, code) => {
    expect(error).toBeInstanceOf(ZohoCrmError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(isZohoCrmError(error)).toBe(true);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(error.stack).toContain(name);
  });

  it('ZohoCrmError can be used directly', () => {
    const error = new ZohoCrmError(ErrorCode.ZOHO_API, 'plain');
    expect(error.name).toBe('ZohoCrmError');
    expect(error.retryable).toBe(false);
  });

  it('RateLimitError is a retryable ZohoApiError with 429 by default', () => {
    const error = new RateLimitError('slow', {
      retryAfterMs: 2000,
      creditsRemaining: 10,
      method: 'GET',
      path: '/x',
    });
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 2000, creditsRemaining: 10, retryable: true });
    expect(new RateLimitError('x', { status: 503 }, { retryable: false }).retryable).toBe(false);
  });

  it('TransportError is retryable except when the caller aborted', () => {
    expect(new TransportError(ErrorCode.TIMEOUT, 't').retryable).toBe(true);
    expect(new TransportError(ErrorCode.ABORTED, 'a').retryable).toBe(false);
    expect(new TransportError(ErrorCode.NETWORK, 'n', { method: 'GET', path: '/p' })).toMatchObject({
      method: 'GET',
      path: '/p',
    });
  });

  it('AuthError carries reauthorize and Zoho code', () => {
    const error = new AuthError(ErrorCode.AUTH_INVALID_GRANT, 'gone', {
      reauthorize: true,
      zohoCode: 'invalid_code',
    });
    expect(error).toMatchObject({ reauthorize: true, zohoCode: 'invalid_code', retryable: false });
    expect(new AuthError(ErrorCode.AUTH_THROTTLED, 't').reauthorize).toBe(false);
  });

  it('ZohoApiError defaults details to an empty object', () => {
    expect(new ZohoApiError('x', { status: 500 }).details).toEqual({});
  });

  it('PhoneNumberError keeps the problem and default country', () => {
    expect(new PhoneNumberError('INVALID_COUNTRY', 'bad', 'XX')).toMatchObject({
      problem: 'INVALID_COUNTRY',
      defaultCountry: 'XX',
    });
  });
});

describe('ConfigError', () => {
  it('names every path and joins messages', () => {
    const error = ConfigError.fromIssues([
      { path: ['lookup', 'order', 1], message: 'Invalid option' },
      { path: [], message: 'Expected object' },
      { path: ['clientSecret'], message: 'Required' },
    ]);
    expect(error.issues).toEqual([
      { path: 'lookup.order[1]', message: 'Invalid option' },
      { path: '', message: 'Expected object' },
      { path: 'clientSecret', message: 'Required' },
    ]);
    expect(error.message).toBe(
      'Invalid options: lookup.order[1]: Invalid option; (root): Expected object; clientSecret: Required',
    );
  });

  it('uses the given context', () => {
    expect(ConfigError.fromIssues([{ path: ['a'], message: 'm' }], 'store options').message).toBe(
      'Invalid store options: a: m',
    );
  });
});

describe('isZohoCrmError', () => {
  it('rejects other values', () => {
    expect(isZohoCrmError(new Error('x'))).toBe(false);
    expect(isZohoCrmError(null)).toBe(false);
    expect(isZohoCrmError('ZohoCrmError')).toBe(false);
    expect(isZohoCrmError({ name: 'ZohoCrmError', code: 'ZOHO_API' })).toBe(false);
  });

  it('works across realms through the global symbol brand', () => {
    const foreign = runInNewContext(
      `const e = new Error('x'); Object.defineProperty(e, Symbol.for('zoho-crm-connector/error'), { value: true }); e`,
    );
    expect(foreign instanceof ZohoCrmError).toBe(false);
    expect(isZohoCrmError(foreign)).toBe(true);
  });
});

describe('causes and serialisation', () => {
  it('keeps a library error as cause unchanged', () => {
    const inner = new TransportError(ErrorCode.NETWORK, 'down');
    const outer = new AuthError(ErrorCode.AUTH_REFRESH_FAILED, 'refresh failed', { cause: inner });
    expect(outer.cause).toBe(inner);
  });

  it('replaces a foreign cause by a clean copy with its code, dropping everything else', () => {
    const fetchError = Object.assign(new TypeError(`fetch failed for https://x/?refresh_token=${TOKEN}`), {
      options: { body: `client_secret=super-secret-value&refresh_token=${TOKEN}` },
      cause: { code: 'ECONNRESET' },
    });
    const error = new TransportError(ErrorCode.NETWORK, 'down', {}, { cause: fetchError });
    const cause = error.cause as Error & { code?: string; options?: unknown };
    expect(cause).not.toBe(fetchError);
    expect(cause.name).toBe('TypeError');
    expect(cause.code).toBe('ECONNRESET');
    expect(cause.options).toBeUndefined();
    expect(cause.message).not.toContain(TOKEN);
  });

  it('keeps a cause code given directly, and handles plain-object, string and odd causes', () => {
    const coded = new TransportError(
      ErrorCode.NETWORK,
      'x',
      {},
      { cause: { message: 'refused', code: 'ECONNREFUSED' } },
    );
    expect((coded.cause as { code?: string }).code).toBe('ECONNREFUSED');
    const nameless = new TransportError(ErrorCode.NETWORK, 'x', {}, { cause: { message: 'm', name: 42 } });
    expect((nameless.cause as Error).name).toBe('Error');
    const noMessage = new TransportError(ErrorCode.NETWORK, 'x', {}, { cause: { message: undefined } });
    expect((noMessage.cause as Error).message).toBe('');
    expect(new TransportError(ErrorCode.NETWORK, 'x', {}, { cause: `token ${TOKEN}` }).cause).toBe(
      'token [REDACTED]',
    );
    expect(new TransportError(ErrorCode.NETWORK, 'x', {}, { cause: 42 }).cause).toBe('[REDACTED]');
  });

  it('toJSON lists the public fields and a cause summary', () => {
    const error = new ZohoApiError(
      'Zoho API error INVALID_DATA',
      {
        status: 400,
        zohoCode: 'INVALID_DATA',
        details: { api_name: 'Phone' },
        method: 'POST',
        path: '/crm/v8/Leads',
      },
      { cause: new Error('inner') },
    );
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'ZohoApiError',
      code: 'ZOHO_API',
      message: 'Zoho API error INVALID_DATA',
      retryable: false,
      status: 400,
      zohoCode: 'INVALID_DATA',
      details: { api_name: 'Phone' },
      method: 'POST',
      path: '/crm/v8/Leads',
      cause: { name: 'Error', message: 'inner' },
    });
  });

  it('util.inspect shows stack and fields', () => {
    const text = inspect(new AuthError(ErrorCode.AUTH_NOT_CONNECTED, 'not connected'), { depth: 10 });
    expect(text).toContain('AuthError: not connected');
    expect(text).toContain('"code": "AUTH_NOT_CONNECTED"');
  });

  it('util.inspect falls back to name and message without a stack', () => {
    const error = new TransportError(ErrorCode.NETWORK, 'no stack');
    error.stack = undefined;
    expect(inspect(error)).toContain('TransportError: no stack');
  });

  it('util.inspect of a bare error prints the stack then code and retryable', () => {
    const text = inspect(new ZohoCrmError(ErrorCode.ZOHO_API, 'bare'));
    expect(text).toMatch(/^ZohoCrmError: bare/);
    expect(text).toContain('"retryable": false');
  });

  it('redacts token-shaped text from messages', () => {
    expect(new ZohoCrmError(ErrorCode.ZOHO_API, `bad token ${TOKEN}`).message).toBe('bad token [REDACTED]');
  });
});
