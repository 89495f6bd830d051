import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConfigError,
  ErrorCode,
  RateLimitError,
  TokenStoreError,
  TransportError,
  ZohoApiError,
  ZohoCrmError,
} from '../../src/errors.js';
import { BodyError, responseForError } from '../../src/server/http.js';

/** Every error the SDK can throw becomes a status a PBX can act on, with our code and no stack. */
describe('the PBX service maps errors to HTTP statuses', () => {
  it.each([
    [new ConfigError([{ path: 'direction', message: 'Invalid option' }], 'PbxCall'), 400, 'CONFIG_INVALID'],
    [new ZohoCrmError(ErrorCode.TENANT_DISABLED, 'disabled'), 403, 'TENANT_DISABLED'],
    [
      new AuthError(ErrorCode.AUTH_NOT_CONNECTED, 'authorize', { reauthorize: true }),
      409,
      'AUTH_NOT_CONNECTED',
    ],
    [
      new AuthError(ErrorCode.AUTH_INVALID_GRANT, 'revoked', { reauthorize: true }),
      409,
      'AUTH_INVALID_GRANT',
    ],
    [new AuthError(ErrorCode.AUTH_STATE_MISMATCH, 'state'), 400, 'AUTH_STATE_MISMATCH'],
    [new RateLimitError('slow down', { status: 429, retryAfterMs: 2_500 }), 429, 'ZOHO_RATE_LIMIT'],
    [new ZohoApiError('zoho failed', { status: 500 }), 502, 'ZOHO_API'],
    [new TransportError(ErrorCode.NETWORK, 'down', {}), 502, 'NETWORK'],
    [new TransportError(ErrorCode.DEADLINE_EXCEEDED, 'late', {}), 504, 'DEADLINE_EXCEEDED'],
    [new TransportError(ErrorCode.TIMEOUT, 'late', {}), 504, 'TIMEOUT'],
    [new ZohoCrmError(ErrorCode.CONNECTOR_CLOSED, 'closed'), 503, 'CONNECTOR_CLOSED'],
    [new TokenStoreError('redis', 'get', 'redis down'), 503, 'TOKEN_STORE'],
    [new BodyError(413, 'BODY_TOO_LARGE', 'big'), 413, 'BODY_TOO_LARGE'],
    [new BodyError(415, 'BODY_UNSUPPORTED_TYPE', 'xml'), 415, 'BODY_UNSUPPORTED_TYPE'],
    [new TypeError('a bug'), 500, 'INTERNAL'],
  ] as const)('%s → %i', async (error, status, code) => {
    const response = responseForError(error);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(JSON.stringify(body)).not.toContain('at '); // no stack
    if (status === 429) expect(response.headers.get('retry-after')).toBe('3');
  });
});
