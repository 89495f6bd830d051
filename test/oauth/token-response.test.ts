/**
 * The token endpoint's answers at their edges: expiry units, what a TokenSet shows when printed, which
 * statuses and bodies are errors, and that a secret Zoho echoes back never reaches an error.
 */
import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isZohoCrmError, ZohoApiError } from '../../src/errors.js';
import { exchangeCode } from '../../src/oauth/exchange-code.js';
import { refreshAccessToken } from '../../src/oauth/refresh-token.js';
import { revokeToken } from '../../src/oauth/revoke-token.js';
import { toTokenSet } from '../../src/oauth/token-set.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const ACCOUNTS = 'https://accounts.zoho.com';
const SECRET = 'client-secret-value-123';
const REFRESH = `1000.${'c'.repeat(32)}.${'d'.repeat(32)}`;
const CODE = `1000.${'e'.repeat(32)}.${'f'.repeat(32)}`;
const answer = (body: string, status = 200) =>
  server.use(http.post(`${ACCOUNTS}/oauth/v2/token`, () => new HttpResponse(body, { status })));
const refresh = () =>
  refreshAccessToken({
    accountsUrl: ACCOUNTS,
    clientId: 'c',
    clientSecret: SECRET,
    refreshToken: REFRESH,
  }).catch((e: unknown) => e);

describe('toTokenSet', () => {
  it('reads expires_in as seconds up to a day, as milliseconds beyond, and defaults to an hour', () => {
    const at = (expires: Record<string, number>) =>
      toTokenSet({ access_token: 'a', ...expires }, 1_000).expiresAt - 1_000;
    expect(at({ expires_in: 86_400 })).toBe(86_400_000);
    expect(at({ expires_in: 3_600_000 })).toBe(3_600_000);
    expect(at({ expires_in: 3_600_000, expires_in_sec: 3_600 })).toBe(3_600_000);
    expect(at({})).toBe(3_600_000);
  });

  it('holds only what Zoho sent', () => {
    expect(toTokenSet({ access_token: 'a' }, 0)).toStrictEqual({ accessToken: 'a', expiresAt: 3_600_000 });
    expect({
      ...toTokenSet({ access_token: 'a', refresh_token: 'r', api_domain: 'https://x', scope: 's' }, 0),
    }).toStrictEqual({
      accessToken: 'a',
      refreshToken: 'r',
      apiDomain: 'https://x',
      scope: 's',
      expiresAt: 3_600_000,
    });
  });

  it('prints and serialises with the tokens redacted, and hides how', () => {
    const set = toTokenSet(
      { access_token: 'secret-a', refresh_token: 'secret-r', api_domain: 'https://x' },
      0,
    );
    expect(Object.keys(set)).toEqual(['accessToken', 'expiresAt', 'refreshToken', 'apiDomain']);
    expect(JSON.parse(JSON.stringify(set))).toEqual({
      accessToken: '[REDACTED]',
      refreshToken: '[REDACTED]',
      expiresAt: 3_600_000,
      apiDomain: 'https://x',
    });
    expect(inspect(set)).toBe(
      'TokenSet {"accessToken":"[REDACTED]","refreshToken":"[REDACTED]","expiresAt":3600000,"apiDomain":"https://x"}',
    );
    const bare = toTokenSet({ access_token: 'secret-a' }, 0);
    expect(JSON.parse(JSON.stringify(bare))).toEqual({ accessToken: '[REDACTED]', expiresAt: 3_600_000 });
  });
});

describe('token endpoint answers', () => {
  it.each([
    ['a redirect', '{"access_token":"a"}', 300, ErrorCode.ZOHO_API],
    ['an error body with HTTP 200', '{"error":"invalid_client"}', 200, ErrorCode.AUTH_INVALID_CLIENT],
    ['an empty body', '', 200, ErrorCode.ZOHO_INVALID_RESPONSE],
  ])('%s is an error', async (_what, body, status, code) => {
    answer(body, status);
    const error = await refresh();
    expect(error).toMatchObject({ code });
  });

  it('a wrong body shape names the bad paths and the request', async () => {
    answer('{"access_token":"","expires_in":"soon"}');
    const error = (await refresh()) as ZohoApiError;
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({
      code: ErrorCode.ZOHO_INVALID_RESPONSE,
      method: 'POST',
      path: '/oauth/v2/token',
    });
    expect(error.message).toBe(
      "Zoho's token endpoint answered POST /oauth/v2/token with an unexpected body shape (at access_token, expires_in)",
    );
    answer('[1]');
    expect(((await refresh()) as Error).message).toMatch(/\(at \(root\)\)$/);
  });

  it('a non-JSON 200 says so and names the request', async () => {
    answer('<html>maintenance</html>');
    const error = (await refresh()) as ZohoApiError;
    expect(error.message).toBe("Zoho's token endpoint answered with a non-JSON body on POST /oauth/v2/token");
    expect(error).toMatchObject({ method: 'POST', path: '/oauth/v2/token', status: 200 });
  });

  it('a secret Zoho echoes back never reaches the error', async () => {
    answer(JSON.stringify({ error: `bad ${SECRET} ${REFRESH} ${CODE}` }), 400);
    const views = (error: unknown) =>
      [String(error), JSON.stringify(error), inspect(error, { depth: 10 })].join('\n');
    const refreshed = views(await refresh());
    expect(refreshed).not.toContain(SECRET);
    expect(refreshed).not.toContain(REFRESH);
    const exchanged = views(
      await exchangeCode({
        accountsUrl: ACCOUNTS,
        clientId: 'c',
        clientSecret: SECRET,
        redirectUri: 'https://pbx/cb',
        code: CODE,
      }).catch((e: unknown) => e),
    );
    expect(exchanged).not.toContain(SECRET);
    expect(exchanged).not.toContain(CODE);
  });

  it('sends a form body and asks for JSON', async () => {
    let headers: Headers | undefined;
    server.use(
      http.post(`${ACCOUNTS}/oauth/v2/token`, ({ request }) => {
        headers = request.headers;
        return HttpResponse.json({ access_token: 'a' });
      }),
    );
    await refresh();
    expect(headers?.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(headers?.get('accept')).toBe('application/json');
  });
});

describe('revokeToken', () => {
  const revoke = () => revokeToken({ accountsUrl: ACCOUNTS, refreshToken: REFRESH }).catch((e: unknown) => e);
  const answerRevoke = (body: string, status = 200) =>
    server.use(http.post(`${ACCOUNTS}/oauth/v2/token/revoke`, () => new HttpResponse(body, { status })));

  it('an error body with HTTP 200, or a redirect, is a refusal', async () => {
    answerRevoke('{"error":"invalid_token"}');
    expect(isZohoCrmError(await revoke())).toBe(true);
    answerRevoke('{"status":"success"}', 300);
    expect(await revoke()).toMatchObject({ method: 'POST', status: 300 });
  });

  it('a refusal that echoes the token does not carry it', async () => {
    answerRevoke(JSON.stringify({ error: `unknown token ${REFRESH}` }), 400);
    const error = await revoke();
    expect(inspect(error, { depth: 10 })).not.toContain(REFRESH);
    expect(JSON.stringify(error)).not.toContain(REFRESH);
  });
});
