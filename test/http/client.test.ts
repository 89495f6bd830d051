import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  AuthError,
  ErrorCode,
  RateLimitError,
  TransportError,
  ZohoApiError,
  type ZohoCrmError,
} from '../../src/errors.js';
import { type AccessTokenProvider, createZohoHttp, type ZohoHttpOptions } from '../../src/http/client.js';
import { untilAborted } from '../helpers/msw.js';
import { deferred, FAKE_TIME } from '../helpers/time.js';

const API = 'https://www.zohoapis.com';
const SEARCH = `${API}/crm/v8/Contacts/search`;
const TOKEN_A = '1000.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = '1000.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const envelope = (code: string, message = 'm') => ({ code, details: {}, message, status: 'error' });

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
});
afterAll(() => server.close());

interface TestTokens extends AccessTokenProvider {
  current: string;
  refreshes: number;
}

function tokens(first = TOKEN_A, next = TOKEN_B): TestTokens {
  const provider: TestTokens = {
    current: first,
    refreshes: 0,
    async getAccessToken() {
      return { accessToken: provider.current, apiDomain: API };
    },
    async refreshAfterRejection(rejected: string) {
      if (rejected === provider.current) {
        provider.refreshes++;
        provider.current = next;
      }
      return { accessToken: provider.current, apiDomain: API };
    },
  };
  return provider;
}

function client(overrides: Partial<ZohoHttpOptions> = {}) {
  const provider = tokens();
  const http = createZohoHttp({
    tokens: provider,
    timeoutMs: 2_000,
    deadlineMs: 10_000,
    retries: 3,
    maxConcurrency: 10,
    random: () => 0.5,
    ...overrides,
  });
  return { http, provider };
}

async function failure(promise: Promise<unknown>): Promise<ZohoCrmError> {
  try {
    await promise;
  } catch (error) {
    return error as ZohoCrmError;
  }
  throw new Error('expected the request to fail');
}

describe('createZohoHttp', () => {
  it('rejects (never throws) for a request that cannot even start', async () => {
    const { http: zoho } = client();
    const sent = zoho.request(undefined as never);
    await expect(sent).rejects.toBeInstanceOf(TypeError);
  });

  it('sends the Zoho-oauthtoken header, query and JSON body; parses JSON with the schema', async () => {
    let seen: { auth: string | null; url: string; body: unknown } | undefined;
    server.use(
      http.post(`${API}/crm/v8/Calls`, async ({ request }) => {
        seen = { auth: request.headers.get('authorization'), url: request.url, body: await request.json() };
        return HttpResponse.json({ data: [{ code: 'SUCCESS', details: { id: '1' } }] }, { status: 201 });
      }),
    );
    const { http: zoho } = client();
    const schema = z.object({ data: z.array(z.object({ code: z.string() })) });
    const result = await zoho.request({
      method: 'POST',
      path: '/Calls',
      query: { trigger: 'none', skip: undefined },
      body: { data: [{ Subject: 'x' }] },
      schema,
    });
    expect(result.status).toBe(201);
    expect(result.data).toEqual({ data: [{ code: 'SUCCESS' }] });
    expect(seen).toEqual({
      auth: `Zoho-oauthtoken ${TOKEN_A}`,
      url: `${API}/crm/v8/Calls?trigger=none`,
      body: { data: [{ Subject: 'x' }] },
    });
  });

  it('uses the apiUrl override instead of the grant domain', async () => {
    server.use(http.get('http://127.0.0.1:9/api/us/crm/v8/org', () => HttpResponse.json({ org: [] })));
    const { http: zoho } = client({ apiUrl: 'http://127.0.0.1:9/api/us/' });
    expect((await zoho.request({ method: 'GET', path: '/org' })).data).toEqual({ org: [] });
  });

  it('takes a token the provider holds now without waiting for getAccessToken, and waits when it holds none', async () => {
    const seen: string[] = [];
    server.use(
      http.get(SEARCH, ({ request }) => {
        seen.push(request.headers.get('authorization') ?? '');
        return HttpResponse.json({ data: [] });
      }),
    );
    let held: { accessToken: string; apiDomain: string } | undefined = {
      accessToken: TOKEN_A,
      apiDomain: API,
    };
    const getAccessToken = vi.fn(async () => ({ accessToken: TOKEN_B, apiDomain: API }));
    const { http: zoho } = client({
      tokens: { currentGrant: () => held, getAccessToken, refreshAfterRejection: getAccessToken },
    });
    await zoho.request({ method: 'GET', path: '/Contacts/search' });
    expect(getAccessToken).not.toHaveBeenCalled();
    held = undefined; // e.g. the token is within its refresh margin
    await zoho.request({ method: 'GET', path: '/Contacts/search' });
    expect(getAccessToken).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([`Zoho-oauthtoken ${TOKEN_A}`, `Zoho-oauthtoken ${TOKEN_B}`]);
  });

  it('follows the grant to another API domain (a connection moved data centre)', async () => {
    const EU = 'https://www.zohoapis.eu';
    const hosts: string[] = [];
    server.use(
      http.get(SEARCH, ({ request }) => {
        hosts.push(new URL(request.url).host);
        return HttpResponse.json({ data: [] });
      }),
      http.get(`${EU}/crm/v8/Contacts/search`, ({ request }) => {
        hosts.push(new URL(request.url).host);
        return HttpResponse.json({ data: [] });
      }),
    );
    let apiDomain = `${API}/`;
    const { http: zoho } = client({
      tokens: {
        getAccessToken: async () => ({ accessToken: TOKEN_A, apiDomain }),
        refreshAfterRejection: async () => ({ accessToken: TOKEN_A, apiDomain }),
      },
    });
    await zoho.request({ method: 'GET', path: '/Contacts/search' });
    apiDomain = EU;
    await zoho.request({ method: 'GET', path: '/Contacts/search' });
    expect(hosts).toEqual(['www.zohoapis.com', 'www.zohoapis.eu']);
  });

  it('returns undefined data for 204 No Content (empty search)', async () => {
    server.use(http.get(SEARCH, () => new HttpResponse(null, { status: 204 })));
    const { http: zoho } = client();
    const result = await zoho.request({
      method: 'GET',
      path: '/Contacts/search',
      query: { phone: '4155552671' },
    });
    expect(result).toMatchObject({ status: 204, data: undefined });
  });

  it('returns 207 multi-status bodies for the caller to inspect', async () => {
    server.use(http.post(`${API}/crm/v8/Calls`, () => HttpResponse.json({ data: [] }, { status: 207 })));
    const { http: zoho } = client();
    expect((await zoho.request({ method: 'POST', path: '/Calls', body: {} })).status).toBe(207);
  });

  it('retries a 503 and then succeeds', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json(envelope('INTERNAL_ERROR'), { status: 503 })
          : HttpResponse.json({ data: [] });
      }),
    );
    const { http: zoho } = client({ backoff: { baseDelayMs: 1, maxDelayMs: 1 } });
    expect((await zoho.request({ method: 'GET', path: '/Contacts/search' })).data).toEqual({ data: [] });
    expect(calls).toBe(2);
  });

  it('gives up after the configured retries with the last typed error', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return new HttpResponse('<html>Service Unavailable</html>', { status: 503 });
      }),
    );
    const { http: zoho } = client({ retries: 2, backoff: { baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }));
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({ status: 503 });
    expect(calls).toBe(3);
  });

  it('429 without Retry-After: exponential backoff with full jitter (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const times: number[] = [];
    server.use(
      http.get(SEARCH, () => {
        times.push(Date.now());
        return times.length < 3
          ? HttpResponse.json(envelope('TOO_MANY_REQUESTS'), { status: 429 })
          : HttpResponse.json({ data: [] });
      }),
    );
    const rateLimited: RateLimitError[] = [];
    const { http: zoho } = client({
      backoff: { baseDelayMs: 1_000, maxDelayMs: 8_000 },
      onRateLimited: (e) => rateLimited.push(e),
    });
    const pending = zoho.request({ method: 'GET', path: '/Contacts/search' });
    await vi.advanceTimersByTimeAsync(499);
    expect(times).toHaveLength(1); // first wait: 0.5 × 1000 ms
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(times).toHaveLength(2); // second wait: 0.5 × 2000 ms
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toMatchObject({ status: 200 });
    expect(times).toHaveLength(3);
    expect(rateLimited).toHaveLength(2);
    expect(rateLimited[0]).toMatchObject({ retryAfterMs: undefined, zohoCode: 'TOO_MANY_REQUESTS' });
  });

  it('429 with Retry-After: waits exactly what Zoho asked (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json(envelope('TOO_MANY_REQUESTS'), { status: 429, headers: { 'Retry-After': '7' } })
          : HttpResponse.json({ data: [] });
      }),
    );
    const { http: zoho } = client();
    const pending = zoho.request({ method: 'GET', path: '/Contacts/search' });
    await vi.advanceTimersByTimeAsync(6_999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toMatchObject({ status: 200 });
    expect(calls).toBe(2);
  });

  it('does not wait for a Retry-After longer than allowed: throws RateLimitError at once', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return HttpResponse.json(envelope('TOO_MANY_REQUESTS'), {
          status: 429,
          headers: { 'Retry-After': '3600' },
        });
      }),
    );
    const { http: zoho } = client();
    const error = await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryAfterMs: 3_600_000 });
    expect(calls).toBe(1);
  });

  it('never retries a 400 INVALID_DATA', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return HttpResponse.json(envelope('INVALID_DATA', 'invalid data'), { status: 400 });
      }),
    );
    const { http: zoho } = client();
    const error = await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }));
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({ zohoCode: 'INVALID_DATA', status: 400 });
    expect(calls).toBe(1);
  });

  it('does not resend an insert after a 5xx (it may have been processed), but does after a 429', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/crm/v8/Calls`, () => {
        calls++;
        if (calls === 1)
          return HttpResponse.json(envelope('TOO_MANY_REQUESTS'), {
            status: 429,
            headers: { 'Retry-After': '0' },
          });
        return HttpResponse.json(envelope('INTERNAL_ERROR'), { status: 500 });
      }),
    );
    const { http: zoho } = client();
    const error = await failure(zoho.request({ method: 'POST', path: '/Calls', body: { data: [] } }));
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(calls).toBe(2);
  });

  it('401 INVALID_TOKEN → one refresh → success with the new token', async () => {
    const seen: string[] = [];
    server.use(
      http.get(SEARCH, ({ request }) => {
        const auth = request.headers.get('authorization') ?? '';
        seen.push(auth);
        return auth.endsWith(TOKEN_B)
          ? HttpResponse.json({ data: [] })
          : HttpResponse.json(envelope('INVALID_TOKEN', 'invalid oauth token'), { status: 401 });
      }),
    );
    const { http: zoho, provider } = client();
    await expect(zoho.request({ method: 'GET', path: '/Contacts/search' })).resolves.toMatchObject({
      status: 200,
    });
    expect(provider.refreshes).toBe(1);
    expect(seen).toEqual([`Zoho-oauthtoken ${TOKEN_A}`, `Zoho-oauthtoken ${TOKEN_B}`]);
  });

  it('a second 401 after the refresh → AuthError, no further attempts', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return HttpResponse.json(envelope('INVALID_TOKEN', 'invalid oauth token'), { status: 401 });
      }),
    );
    const { http: zoho, provider } = client();
    const error = await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe(ErrorCode.AUTH_INVALID_TOKEN);
    expect(provider.refreshes).toBe(1);
    expect(calls).toBe(2);
  });

  it('OAUTH_SCOPE_MISMATCH is an AuthError asking to authorize again, without a refresh', async () => {
    server.use(http.get(SEARCH, () => HttpResponse.json(envelope('OAUTH_SCOPE_MISMATCH'), { status: 401 })));
    const { http: zoho, provider } = client();
    const error = await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }));
    expect(error).toMatchObject({ code: 'AUTH_SCOPE_MISMATCH', reauthorize: true });
    expect(provider.refreshes).toBe(0);
  });

  it('deadline exceeded → TransportError DEADLINE_EXCEEDED', async () => {
    vi.useFakeTimers(FAKE_TIME);
    server.use(http.get(SEARCH, ({ request }) => untilAborted(request)));
    const { http: zoho } = client({ deadlineMs: 50 });
    let settled = false;
    const pending = failure(zoho.request({ method: 'GET', path: '/Contacts/search' })).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(49);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending; // at the deadline, not at the 2 s per-attempt timeout
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe(ErrorCode.DEADLINE_EXCEEDED);
  });

  it('a per-attempt timeout is retried; the deadline bounds the whole operation', async () => {
    vi.useFakeTimers(FAKE_TIME);
    let calls = 0;
    server.use(
      http.get(SEARCH, ({ request }) => {
        calls++;
        return calls === 1 ? untilAborted(request) : HttpResponse.json({ data: [] });
      }),
    );
    const { http: zoho } = client({ timeoutMs: 30, backoff: { baseDelayMs: 1, maxDelayMs: 1 } });
    const pending = zoho.request({ method: 'GET', path: '/Contacts/search' });
    await vi.advanceTimersByTimeAsync(29);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // the first attempt times out; the retry waits 0.5 × 1 ms
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toMatchObject({ status: 200 });
    expect(calls).toBe(2);
  });

  it("the caller's abort → TransportError ABORTED, not retried", async () => {
    const arrived = deferred();
    let calls = 0;
    server.use(
      http.get(SEARCH, ({ request }) => {
        calls++;
        arrived.resolve();
        return untilAborted(request);
      }),
    );
    const { http: zoho } = client();
    const controller = new AbortController();
    const pending = failure(
      zoho.request({ method: 'GET', path: '/Contacts/search', signal: controller.signal }),
    );
    await arrived.promise;
    controller.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(calls).toBe(1);
  });

  it("the caller's timeout signal counts as a deadline", async () => {
    const arrived = deferred();
    server.use(
      http.get(SEARCH, ({ request }) => {
        arrived.resolve();
        return untilAborted(request);
      }),
    );
    const { http: zoho } = client();
    const controller = new AbortController();
    const pending = failure(
      zoho.request({ method: 'GET', path: '/Contacts/search', signal: controller.signal }),
    );
    await arrived.promise;
    // What AbortSignal.timeout() aborts with, without waiting for a real timer.
    controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    expect((await pending).code).toBe(ErrorCode.DEADLINE_EXCEEDED);
  });

  it('a network failure is retried, then reported as TransportError NETWORK', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return HttpResponse.error();
      }),
    );
    const { http: zoho } = client({ retries: 1, backoff: { baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }));
    expect(error).toMatchObject({ code: 'NETWORK', path: '/crm/v8/Contacts/search' });
    expect(calls).toBe(2);
  });

  it('an unexpected body shape → ZohoApiError ZOHO_INVALID_RESPONSE with paths, not retried', async () => {
    let calls = 0;
    server.use(
      http.get(SEARCH, () => {
        calls++;
        return HttpResponse.json({ data: 'nope' });
      }),
    );
    const { http: zoho } = client();
    const error = await failure(
      zoho.request({
        method: 'GET',
        path: '/Contacts/search',
        schema: z.object({ data: z.array(z.unknown()) }),
      }),
    );
    expect(error).toMatchObject({ code: 'ZOHO_INVALID_RESPONSE', status: 200 });
    expect(error.message).toContain('(at data)');
    expect(calls).toBe(1);
  });

  it('a 200 with a non-JSON body → ZOHO_INVALID_RESPONSE', async () => {
    server.use(http.get(SEARCH, () => new HttpResponse('<html>login</html>', { status: 200 })));
    const { http: zoho } = client();
    expect((await failure(zoho.request({ method: 'GET', path: '/Contacts/search' }))).code).toBe(
      'ZOHO_INVALID_RESPONSE',
    );
  });

  it('a burst queues behind the edition concurrency gate instead of drawing 429s', async () => {
    let active = 0;
    let peak = 0;
    const full = deferred(); // three requests are at Zoho
    const answer = deferred(); // Zoho answers them all
    server.use(
      http.get(SEARCH, async () => {
        active++;
        peak = Math.max(peak, active);
        if (active === 3) full.resolve();
        await answer.promise;
        active--;
        return HttpResponse.json({ data: [] });
      }),
    );
    const { http: zoho } = client({ maxConcurrency: 3 });
    const burst = Array.from({ length: 20 }, () => zoho.request({ method: 'GET', path: '/Contacts/search' }));
    await full.promise;
    expect(zoho.queued).toBe(17);
    answer.resolve();
    await Promise.all(burst);
    expect(peak).toBe(3);
    expect(zoho.queued).toBe(0);
  });

  it('logs each attempt without tokens or query strings', async () => {
    server.use(http.get(SEARCH, () => HttpResponse.json({ data: [] })));
    const lines: unknown[] = [];
    const logger = { debug: (o: unknown, m: string) => lines.push([o, m]), info() {}, warn() {}, error() {} };
    const { http: zoho } = client({ logger });
    await zoho.request({ method: 'GET', path: '/Contacts/search', query: { phone: '4155552671' } });
    expect(lines).toEqual([
      [expect.objectContaining({ method: 'GET', path: '/Contacts/search', status: 200 }), 'zoho request'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('4155552671');
    expect(JSON.stringify(lines)).not.toContain(TOKEN_A);
  });
});

describe('secrets never leak through errors', () => {
  const CLIENT_SECRET = 'cs-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c';
  // Every way a failure can carry a secret back to us: echoed in the body, in headers, in a non-JSON
  // body, in the Zoho message and details, in an OAuth error description, in the network error.
  const echoes: Array<[string, () => Response]> = [
    [
      'envelope message and details',
      () =>
        HttpResponse.json(
          {
            code: 'INVALID_DATA',
            message: `bad ${TOKEN_A} ${CLIENT_SECRET}`,
            details: { token: TOKEN_A, echo: `Zoho-oauthtoken ${TOKEN_A}`, client_secret: CLIENT_SECRET },
            status: 'error',
          },
          { status: 400 },
        ),
    ],
    [
      'non-JSON body',
      () =>
        new HttpResponse(`error: Authorization: Zoho-oauthtoken ${TOKEN_A} client_secret=${CLIENT_SECRET}`, {
          status: 502,
        }),
    ],
    [
      'OAuth error description',
      () =>
        HttpResponse.json(
          { error: 'weird', error_description: `refresh_token=${TOKEN_A}&client_secret=${CLIENT_SECRET}` },
          { status: 400 },
        ),
    ],
    [
      '429 with details',
      () =>
        HttpResponse.json(
          { code: 'TOO_MANY_REQUESTS', message: TOKEN_A, details: { access_token: TOKEN_A } },
          { status: 429, headers: { 'Retry-After': '999999' } },
        ),
    ],
    [
      '401 echoing the token',
      () =>
        HttpResponse.json(
          { code: 'INVALID_TOKEN', message: `invalid oauth token ${TOKEN_A}`, details: {} },
          { status: 401 },
        ),
    ],
    ['network error', () => HttpResponse.error()],
  ];

  it.each(echoes)('%s', async (_label, respond) => {
    server.use(http.get(`${API}/crm/v8/Secrets/${CLIENT_SECRET}`, () => respond()));
    const provider = tokens(TOKEN_A, TOKEN_A);
    const zoho = createZohoHttp({
      tokens: provider,
      timeoutMs: 1_000,
      deadlineMs: 5_000,
      retries: 0,
      maxConcurrency: 1,
    });
    const error = await failure(
      zoho.request({ method: 'GET', path: `/Secrets/${CLIENT_SECRET}`, query: { refresh_token: TOKEN_A } }),
    );
    const views = [
      String(error),
      error.message,
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      inspect(error.cause, { depth: 10 }),
    ];
    for (const view of views) {
      expect(view).not.toContain(TOKEN_A);
      expect(view).not.toContain(TOKEN_A.slice(5, 37));
    }
    // The client secret appears only because this test put it in the URL path; the path is kept but the
    // value is unknown to the HTTP client, so what matters is that the query string never appears.
    expect(views.join('\n')).not.toMatch(/\?refresh_token=/);
  });
});
