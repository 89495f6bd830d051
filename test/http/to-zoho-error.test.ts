import { createFetchError } from 'ofetch';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ErrorCode,
  RateLimitError,
  TransportError,
  ZohoApiError,
  type ZohoCrmError,
} from '../../src/errors.js';
import {
  type HttpFailure,
  isRetryableStatus,
  parseRetryAfter,
  toZohoError,
} from '../../src/http/to-zoho-error.js';

const URL = 'https://www.zohoapis.com/crm/v8/Contacts/search?phone=4155552671';
const envelope = (code: string, message = 'msg', details: Record<string, unknown> = {}) =>
  JSON.stringify({ code, details, message, status: 'error' });
const response = (status: number, body?: string, headers?: Record<string, string>): HttpFailure => ({
  kind: 'response',
  method: 'get',
  url: URL,
  status,
  ...(body === undefined ? {} : { body }),
  ...(headers ? { headers: new Headers(headers) } : {}),
});

type Row = [
  label: string,
  failure: HttpFailure,
  klass: new (...args: never[]) => ZohoCrmError,
  expected: Record<string, unknown>,
];

// Status × Zoho code × body shape → typed error.
const TABLE: Row[] = [
  [
    '400 INVALID_DATA envelope',
    response(400, envelope('INVALID_DATA', 'invalid data', { api_name: 'Phone' })),
    ZohoApiError,
    {
      code: 'ZOHO_API',
      status: 400,
      zohoCode: 'INVALID_DATA',
      details: { api_name: 'Phone' },
      retryable: false,
    },
  ],
  [
    '400 envelope inside data[]',
    response(
      400,
      JSON.stringify({
        data: [
          {
            code: 'MANDATORY_NOT_FOUND',
            details: { api_name: 'Last_Name', json_path: '$.data[0].Last_Name' },
            message: 'required field not found',
            status: 'error',
          },
        ],
      }),
    ),
    ZohoApiError,
    { zohoCode: 'MANDATORY_NOT_FOUND', details: { api_name: 'Last_Name', json_path: '$.data[0].Last_Name' } },
  ],
  [
    '400 LIMIT_REACHED',
    response(400, envelope('LIMIT_REACHED')),
    ZohoApiError,
    { zohoCode: 'LIMIT_REACHED', retryable: false },
  ],
  [
    '400 envelope without message or details',
    response(400, JSON.stringify({ code: 'INVALID_QUERY', status: 'error' })),
    ZohoApiError,
    { zohoCode: 'INVALID_QUERY', details: {} },
  ],
  [
    '403 NO_PERMISSION',
    response(403, envelope('NO_PERMISSION')),
    ZohoApiError,
    { status: 403, zohoCode: 'NO_PERMISSION' },
  ],
  [
    '404 INVALID_URL_PATTERN',
    response(404, envelope('INVALID_URL_PATTERN')),
    ZohoApiError,
    { status: 404, zohoCode: 'INVALID_URL_PATTERN' },
  ],
  [
    '500 INTERNAL_ERROR is retryable',
    response(500, envelope('INTERNAL_ERROR')),
    ZohoApiError,
    { status: 500, zohoCode: 'INTERNAL_ERROR', retryable: true },
  ],
  [
    '401 INVALID_TOKEN',
    response(401, envelope('INVALID_TOKEN', 'invalid oauth token')),
    AuthError,
    { code: 'AUTH_INVALID_TOKEN', zohoCode: 'INVALID_TOKEN', reauthorize: false },
  ],
  [
    '401 OAUTH_SCOPE_MISMATCH',
    response(401, envelope('OAUTH_SCOPE_MISMATCH')),
    AuthError,
    { code: 'AUTH_SCOPE_MISMATCH', reauthorize: true },
  ],
  [
    '401 AUTHENTICATION_FAILURE',
    response(401, envelope('AUTHENTICATION_FAILURE')),
    AuthError,
    { code: 'AUTH_INVALID_TOKEN', zohoCode: 'AUTHENTICATION_FAILURE' },
  ],
  ['401 with no body', response(401, ''), AuthError, { code: 'AUTH_INVALID_TOKEN', zohoCode: undefined }],
  [
    '429 TOO_MANY_REQUESTS without Retry-After',
    response(429, envelope('TOO_MANY_REQUESTS')),
    RateLimitError,
    { code: 'ZOHO_RATE_LIMIT', status: 429, retryAfterMs: undefined, retryable: true },
  ],
  [
    '429 with Retry-After seconds and credits header',
    response(429, envelope('TOO_MANY_REQUESTS'), { 'retry-after': '3', 'x-api-credits-remaining': '120' }),
    RateLimitError,
    { retryAfterMs: 3000, creditsRemaining: 120 },
  ],
  [
    '429 with a non-numeric credits header',
    response(429, envelope('TOO_MANY_REQUESTS'), { 'x-api-credits-remaining': 'n/a' }),
    RateLimitError,
    { creditsRemaining: undefined },
  ],
  [
    'TOO_MANY_REQUESTS under another status',
    response(400, envelope('TOO_MANY_REQUESTS')),
    RateLimitError,
    { status: 400 },
  ],
  [
    '429 with non-JSON body',
    response(429, '<html>slow down</html>'),
    RateLimitError,
    { zohoCode: undefined },
  ],
  [
    'OAuth invalid_code with HTTP 200',
    response(200, '{"error":"invalid_code"}'),
    AuthError,
    { code: 'AUTH_INVALID_GRANT', reauthorize: true, zohoCode: 'invalid_code' },
  ],
  [
    'OAuth invalid_client with HTTP 200',
    response(200, '{"error":"invalid_client"}'),
    AuthError,
    { code: 'AUTH_INVALID_CLIENT', reauthorize: false },
  ],
  [
    'OAuth invalid_client_secret',
    response(200, '{"error":"invalid_client_secret"}'),
    AuthError,
    { code: 'AUTH_INVALID_CLIENT' },
  ],
  [
    'OAuth invalid_redirect_uri',
    response(200, '{"error":"invalid_redirect_uri"}'),
    AuthError,
    { code: 'AUTH_INVALID_REDIRECT_URI' },
  ],
  [
    'OAuth access_denied',
    response(200, '{"error":"access_denied"}'),
    AuthError,
    { code: 'AUTH_ACCESS_DENIED', reauthorize: true },
  ],
  [
    'OAuth throttle "Access Denied"',
    response(
      200,
      '{"error":"Access Denied","error_description":"You have made too many requests continuously."}',
    ),
    AuthError,
    { code: 'AUTH_THROTTLED', retryable: true },
  ],
  [
    'OAuth throttle without description',
    response(200, '{"error":"Access Denied"}'),
    AuthError,
    { code: 'AUTH_THROTTLED' },
  ],
  [
    'OAuth throttle by description only',
    response(200, '{"error":"other","error_description":"Token creation throttle limit reached"}'),
    AuthError,
    { code: 'AUTH_THROTTLED' },
  ],
  [
    'OAuth unknown error value',
    response(400, '{"error":"unsupported_grant_type"}'),
    AuthError,
    { code: 'AUTH_REFRESH_FAILED', zohoCode: 'unsupported_grant_type' },
  ],
  [
    'OAuth unknown error with description',
    response(200, '{"error":"weird","error_description":"something odd"}'),
    AuthError,
    { code: 'AUTH_REFRESH_FAILED' },
  ],
  [
    '502 with empty body',
    response(502, ''),
    ZohoApiError,
    { status: 502, zohoCode: undefined, retryable: true },
  ],
  ['503 with no body at all', response(503), ZohoApiError, { status: 503, retryable: true }],
  ['502 with short non-JSON body', response(502, '<html>Bad Gateway</html>'), ZohoApiError, { status: 502 }],
  ['500 with huge non-JSON body', response(500, 'x'.repeat(100_000)), ZohoApiError, { status: 500 }],
  [
    '400 with unrecognised JSON',
    response(400, '{"foo":"bar"}'),
    ZohoApiError,
    { status: 400, zohoCode: undefined },
  ],
  ['400 with a JSON array', response(400, '[1,2]'), ZohoApiError, { status: 400 }],
  ['408 is retryable', response(408, ''), ZohoApiError, { status: 408, retryable: true }],
  [
    'network',
    {
      kind: 'network',
      method: 'GET',
      url: URL,
      cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    },
    TransportError,
    { code: 'NETWORK', retryable: true },
  ],
  [
    "network, as ofetch's FetchError wraps fetch's TypeError",
    {
      kind: 'network',
      method: 'POST',
      url: URL,
      cause: createFetchError({
        request: URL,
        options: { method: 'POST' },
        error: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      } as never),
    },
    TransportError,
    { code: 'NETWORK', retryable: true, message: expect.stringContaining('(ECONNREFUSED)') },
  ],
  [
    'network with own code',
    { kind: 'network', method: 'GET', url: URL, cause: { message: 'x', code: 'ECONNRESET' } },
    TransportError,
    { code: 'NETWORK' },
  ],
  [
    'network without a code',
    { kind: 'network', method: 'GET', url: URL },
    TransportError,
    { code: 'NETWORK' },
  ],
  [
    'per-attempt timeout',
    { kind: 'timeout', method: 'GET', url: URL },
    TransportError,
    { code: 'TIMEOUT', retryable: true },
  ],
  ['deadline', { kind: 'deadline', method: 'GET', url: URL }, TransportError, { code: 'DEADLINE_EXCEEDED' }],
  [
    'caller abort',
    { kind: 'aborted', method: 'GET', url: URL },
    TransportError,
    { code: 'ABORTED', retryable: false },
  ],
];

describe('toZohoError', () => {
  it.each(TABLE)('%s', (_label, failure, klass, expected) => {
    const error = toZohoError(failure);
    expect(error).toBeInstanceOf(klass);
    expect(error).toMatchObject(expected);
    expect(error.message).not.toContain('phone=');
  });

  it('describes the request by method and path only', () => {
    const error = toZohoError(response(400, envelope('INVALID_DATA', 'invalid data')));
    expect(error.message).toBe(
      'Zoho API error INVALID_DATA (HTTP 400) on GET /crm/v8/Contacts/search: invalid data',
    );
    expect(error).toMatchObject({ method: 'GET', path: '/crm/v8/Contacts/search' });
  });

  it('quotes a short non-JSON body and only sizes a long one', () => {
    expect(toZohoError(response(502, '<html>Bad Gateway</html>')).message).toContain(
      '<html>Bad Gateway</html>',
    );
    const long = toZohoError(response(500, 'y'.repeat(100_000)));
    expect(long.message).toContain('a non-JSON body of 100000 bytes');
    expect(long.message.length).toBeLessThan(200);
    expect(toZohoError(response(502, '')).message).toContain('an empty body');
    expect(toZohoError(response(400, '{"foo":"bar"}')).message).toContain('an unrecognised JSON body');
  });

  it('scrubs given secrets from paths and messages', () => {
    const error = toZohoError(
      {
        kind: 'response',
        method: 'POST',
        url: 'https://x/crm/v8/s3cr3t-value/y',
        status: 400,
        body: envelope('INVALID_DATA', 'bad s3cr3t-value'),
      },
      ['s3cr3t-value'],
    );
    expect(error.message).not.toContain('s3cr3t-value');
  });

  it('names the network error code', () => {
    const error = toZohoError({
      kind: 'network',
      method: 'GET',
      url: URL,
      cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    });
    expect(error.message).toBe('Network error on GET /crm/v8/Contacts/search (ECONNREFUSED)');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['2', 2000],
    ['0.5', 500],
    ['soon', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value)).toBe(expected);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
});

describe('isRetryableStatus', () => {
  it.each([
    [400, false],
    [401, false],
    [404, false],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
  ])('%i → %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});

it('ErrorCode values equal their keys', () => {
  for (const [key, value] of Object.entries(ErrorCode)) expect(value).toBe(key);
});
