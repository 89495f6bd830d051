import { HttpResponse, http } from 'msw';

/** A tiny scripted accounts server for OAuth unit tests (the emulator covers the full behaviour). */
export function fakeAccounts(base = 'https://accounts.zoho.com') {
  const state = {
    tokenRequests: [] as Array<{ url: string; form: URLSearchParams; contentType: string | null }>,
    revokeRequests: [] as string[],
    next: 0,
    respond: undefined as undefined | ((form: URLSearchParams) => Response | Promise<Response>),
    revokeStatus: 200,
    /** Token answers wait for this promise (a slow accounts server, under the test's control). */
    hold: undefined as undefined | Promise<void>,
    /** Hears of each token request as it arrives. */
    onTokenRequest: undefined as undefined | (() => void),
    expiresIn: 3600,
  };
  const handlers = [
    http.post(`${base}/oauth/v2/token`, async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      state.tokenRequests.push({ url: request.url, form, contentType: request.headers.get('content-type') });
      state.onTokenRequest?.();
      if (state.hold) await state.hold;
      if (state.respond) return state.respond(form);
      state.next++;
      const access = `1000.${String(state.next).padStart(32, 'a')}.${'b'.repeat(32)}`;
      return HttpResponse.json({
        access_token: access,
        ...(form.get('grant_type') === 'authorization_code'
          ? { refresh_token: `1000.${'r'.repeat(32)}.${'f'.repeat(32)}` }
          : {}),
        api_domain: 'https://www.zohoapis.com',
        token_type: 'Bearer',
        expires_in: state.expiresIn,
      });
    }),
    http.post(`${base}/oauth/v2/token/revoke`, ({ request }) => {
      state.revokeRequests.push(request.url);
      return state.revokeStatus === 200
        ? HttpResponse.json({ status: 'success' })
        : HttpResponse.json({ status: 'failure' }, { status: state.revokeStatus });
    }),
  ];
  return { state, handlers };
}
