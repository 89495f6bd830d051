import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, CLIENT, envelope, type StartHarness, scenario } from '../harness.js';

const THROTTLE = {
  error: 'Access Denied',
  error_description: 'You have made too many requests continuously. Please try again after some time.',
};
const TEN_MINUTES = 10 * 60_000;

export function oauthScenarios(start: StartHarness): void {
  describe('accounts server: consent', () => {
    it('renders a consent page with Accept and Deny forms; Accept redirects with code, state, location and accounts-server', async () => {
      const s = await scenario(start);
      const page = await fetch(s.authorizeUrl(), { redirect: 'manual' });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('Scenario PBX');
      expect(html).toContain('ZohoCRM.modules.ALL');
      const forms = [
        ...html.matchAll(/<form method="post" action="([^"]+)" id="(accept|deny)">([\s\S]*?)<\/form>/g),
      ];
      expect(forms.map((f) => f[2])).toEqual(['accept', 'deny']);
      const [, action, , inner] = forms[0] ?? [];
      const fields = Object.fromEntries(
        [...(inner ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
          m[1],
          m[2],
        ]),
      );
      expect(fields.decision).toBe('accept');
      const accepted = await fetch(action?.replace(/&amp;/g, '&') ?? '', {
        method: 'POST',
        body: new URLSearchParams(fields as Record<string, string>),
        redirect: 'manual',
      });
      expect(accepted.status).toBe(302);
      const callback = new URL(accepted.headers.get('location') ?? '');
      expect(`${callback.origin}${callback.pathname}`).toBe(CLIENT.redirectUri);
      expect(callback.searchParams.get('state')).toBe('st-123');
      expect(callback.searchParams.get('code')).toMatch(/^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$/);
      expect(callback.searchParams.get('location')).toBe(s.emu.dataCenter.toLowerCase());
      expect(callback.searchParams.get('accounts-server')).toBe(s.h.accountsUrl());
      // The consent is single-use.
      const again = await fetch(action?.replace(/&amp;/g, '&') ?? '', {
        method: 'POST',
        body: new URLSearchParams(fields as Record<string, string>),
        redirect: 'manual',
      });
      expect(again.status).toBe(400);
    });

    it('Deny redirects with error=access_denied and the state', async () => {
      const s = await scenario(start);
      const html = await (await fetch(s.authorizeUrl())).text();
      const deny = /<form method="post" action="([^"]+)" id="deny">([\s\S]*?)<\/form>/.exec(html);
      const id = /name="consent_id" value="([^"]+)"/.exec(deny?.[2] ?? '')?.[1] ?? '';
      const res = await fetch(deny?.[1] ?? '', {
        method: 'POST',
        body: new URLSearchParams({ consent_id: id, decision: 'deny' }),
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      const callback = new URL(res.headers.get('location') ?? '');
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe('st-123');
      expect(callback.searchParams.has('code')).toBe(false);
    });

    it('autoConsent redirects at once; authorization may start at another data centre', async () => {
      const s = await scenario(start, { autoConsent: true, dataCenter: 'eu' });
      const callback = await s.authorize({}, 'US');
      expect(callback.searchParams.get('location')).toBe('eu');
      expect(callback.searchParams.get('accounts-server')).toBe(s.h.accountsUrl('EU'));
      const res = await s.exchange(callback.searchParams.get('code') ?? '', {}, 'EU');
      expect(res.body.api_domain).toBe(s.h.apiUrl('EU'));
    });

    it('refuses an unknown client or an unregistered redirect URI with an error page, and a bad scope with a redirect', async () => {
      const s = await scenario(start, { autoConsent: true });
      const unknown = await fetch(s.authorizeUrl({ client_id: '1000.NOPE' }), { redirect: 'manual' });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain('Invalid Client');
      const badRedirect = await fetch(s.authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), {
        redirect: 'manual',
      });
      expect(badRedirect.status).toBe(400);
      expect(badRedirect.headers.get('location')).toBeNull();
      const badScope = await s.authorize({ scope: '' });
      expect(badScope.searchParams.get('error')).toBe('invalid_scope');
    });

    it('limits grant codes to 10 per client per 10 minutes (the 11th redirects with access_denied)', async () => {
      const s = await scenario(start, { autoConsent: true });
      for (let i = 0; i < 10; i++) expect((await s.authorize()).searchParams.has('code')).toBe(true);
      const eleventh = await s.authorize();
      expect(eleventh.searchParams.get('error')).toBe('access_denied');
      s.emu.advanceTime(TEN_MINUTES);
      expect((await s.authorize()).searchParams.has('code')).toBe(true);
    });
  });

  describe('accounts server: token endpoint', () => {
    it('exchanges a code for Zoho token keys', async () => {
      const s = await scenario(start, { autoConsent: true });
      const code = (await s.authorize()).searchParams.get('code') ?? '';
      const res = await s.exchange(code);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        ['access_token', 'api_domain', 'expires_in', 'refresh_token', 'scope', 'token_type'].sort(),
      );
      expect(res.body).toMatchObject({ api_domain: s.h.apiUrl(), token_type: 'Bearer', expires_in: 3600 });
      expect(res.body.access_token).toMatch(/^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$/);
      expect(res.body.scope.split(' ')).toEqual(ALL_SCOPES);
      expect(s.emu.stats().tokenGrants).toBe(1);
    });

    it('accepts a multipart body and client credentials in a Basic header', async () => {
      const s = await scenario(start, { autoConsent: true });
      const code = (await s.authorize()).searchParams.get('code') ?? '';
      const form = new FormData();
      form.set('grant_type', 'authorization_code');
      form.set('code', code);
      form.set('redirect_uri', CLIENT.redirectUri);
      const res = await fetch(`${s.h.accountsUrl()}/oauth/v2/token`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Basic ${btoa(`${CLIENT.clientId}:${CLIENT.clientSecret}`)}` },
      });
      expect(((await res.json()) as { token_type: string }).token_type).toBe('Bearer');
    });

    it('honours accessTokenTtlSeconds', async () => {
      const s = await scenario(start, { autoConsent: true, accessTokenTtlSeconds: 60 });
      const tokens = await s.connect();
      expect(tokens.expires_in).toBe(60);
      expect((await s.api('GET', '/org', { token: tokens.access_token })).status).toBe(200);
      s.emu.advanceTime(60_000);
      expect((await s.api('GET', '/org', { token: tokens.access_token })).body).toEqual(
        envelope('INVALID_TOKEN', 'invalid oauth token'),
      );
    });

    it('answers errors with HTTP 200 and {"error": ...}: used, expired and foreign codes, wrong redirect, client or secret', async () => {
      const s = await scenario(start, { autoConsent: true });
      const code = (await s.authorize()).searchParams.get('code') ?? '';
      const wrongRedirect = await s.exchange(code, { redirect_uri: 'https://other.example/cb' });
      expect([wrongRedirect.status, wrongRedirect.body]).toEqual([200, { error: 'invalid_redirect_uri' }]);
      expect((await s.exchange(code)).body.access_token).toBeDefined();
      const reused = await s.exchange(code);
      expect([reused.status, reused.body]).toEqual([200, { error: 'invalid_code' }]);

      const late = (await s.authorize()).searchParams.get('code') ?? '';
      s.emu.advanceTime(120_000);
      expect((await s.exchange(late)).body).toEqual({ error: 'invalid_code' });

      const fresh = (await s.authorize()).searchParams.get('code') ?? '';
      expect((await s.exchange(fresh, { client_id: '1000.UNKNOWN' })).body).toEqual({
        error: 'invalid_client',
      });
      expect((await s.exchange(fresh, { client_secret: 'wrong' })).body).toEqual({ error: 'invalid_client' });
      expect((await s.exchange(fresh, { grant_type: 'password' })).body).toEqual({
        error: 'unsupported_grant_type',
      });
      expect((await s.exchange('1000.00.00')).body).toEqual({ error: 'invalid_code' });
    });

    it('can answer invalid_client_secret for a wrong secret (wrongSecretError)', async () => {
      const s = await scenario(start, { autoConsent: true, wrongSecretError: 'invalid_client_secret' });
      const code = (await s.authorize()).searchParams.get('code') ?? '';
      expect((await s.exchange(code, { client_secret: 'wrong' })).body).toEqual({
        error: 'invalid_client_secret',
      });
    });

    it("answers invalid_client at another data centre's token endpoint (codes and refresh tokens included)", async () => {
      const s = await scenario(start, { autoConsent: true, dataCenter: 'us' });
      const code = (await s.authorize()).searchParams.get('code') ?? '';
      const wrongDc = await s.exchange(code, {}, 'EU');
      expect([wrongDc.status, wrongDc.body]).toEqual([200, { error: 'invalid_client' }]);
      const tokens = (await s.exchange(code)).body;
      expect((await s.refresh(tokens.refresh_token, 'IN')).body).toEqual({ error: 'invalid_client' });
      expect((await s.refresh(tokens.refresh_token)).body.access_token).toBeDefined();
    });

    it('issues a refresh token only with offline access, and again only with prompt=consent', async () => {
      const s = await scenario(start, { autoConsent: true });
      const online = await s.exchange(
        (await s.authorize({ access_type: 'online' })).searchParams.get('code') ?? '',
      );
      expect(online.body.refresh_token).toBeUndefined();
      expect(online.body.access_token).toBeDefined();
      const first = await s.exchange((await s.authorize({ prompt: 'none' })).searchParams.get('code') ?? '');
      expect(first.body.refresh_token).toBeDefined();
      const second = await s.exchange((await s.authorize({ prompt: 'none' })).searchParams.get('code') ?? '');
      expect(second.body.refresh_token).toBeUndefined();
      const forced = await s.exchange((await s.authorize()).searchParams.get('code') ?? '');
      expect(forced.body.refresh_token).toBeDefined();
    });

    it('refreshes without a new refresh token; the 11th refresh within 10 minutes gets the throttle', async () => {
      const s = await scenario(start, { autoConsent: true });
      const tokens = await s.connect();
      for (let i = 0; i < 10; i++) {
        const res = await s.refresh(tokens.refresh_token);
        expect(Object.keys(res.body).sort()).toEqual([
          'access_token',
          'api_domain',
          'expires_in',
          'scope',
          'token_type',
        ]);
      }
      const eleventh = await s.refresh(tokens.refresh_token);
      expect([eleventh.status, eleventh.body]).toEqual([200, THROTTLE]);
      expect(s.emu.stats()).toMatchObject({ refreshes: 10, oauthThrottled: 1 });
      s.emu.advanceTime(TEN_MINUTES - 1_000);
      expect((await s.refresh(tokens.refresh_token)).body).toEqual(THROTTLE);
      s.emu.advanceTime(1_000);
      expect((await s.refresh(tokens.refresh_token)).body.access_token).toBeDefined();
    });

    it('keeps at most 15 live access tokens per refresh token: the 16th invalidates the oldest', async () => {
      const s = await scenario(start, { autoConsent: true });
      const first = await s.connect();
      const minted = [first.access_token];
      for (let i = 0; i < 15; i++) {
        if (i === 9) s.emu.advanceTime(TEN_MINUTES);
        minted.push((await s.refresh(first.refresh_token)).body.access_token);
      }
      expect(minted).toHaveLength(16);
      expect((await s.api('GET', '/org', { token: minted[0] })).status).toBe(401);
      for (const t of [minted[1], minted[15]])
        expect((await s.api('GET', '/org', { token: t })).status).toBe(200);
    });

    it('keeps 20 refresh tokens per user and client: the 21st deletes the oldest and its access tokens', async () => {
      const s = await scenario(start, { autoConsent: true });
      const issued: Array<{ access_token: string; refresh_token: string }> = [];
      for (let i = 0; i < 21; i++) {
        if (i > 0 && i % 10 === 0) s.emu.advanceTime(TEN_MINUTES); // grant-code limit
        issued.push(await s.connect());
      }
      const [oldest, second] = issued;
      expect((await s.refresh(oldest?.refresh_token ?? '')).body).toEqual({ error: 'invalid_code' });
      expect((await s.api('GET', '/org', { token: oldest?.access_token })).status).toBe(401);
      expect((await s.refresh(second?.refresh_token ?? '')).body.access_token).toBeDefined();
      expect((await s.refresh(issued[20]?.refresh_token ?? '')).body.access_token).toBeDefined();
    });

    it('revokes a refresh token (POST /oauth/v2/token/revoke?token=) with its access tokens; unknown tokens get HTTP 400', async () => {
      const s = await scenario(start, { autoConsent: true });
      const tokens = await s.connect();
      const revoke = (token: string) =>
        fetch(`${s.h.accountsUrl()}/oauth/v2/token/revoke?token=${encodeURIComponent(token)}`, {
          method: 'POST',
        });
      const ok = await revoke(tokens.refresh_token);
      expect([ok.status, await ok.json()]).toEqual([200, { status: 'success' }]);
      expect((await s.refresh(tokens.refresh_token)).body).toEqual({ error: 'invalid_code' });
      expect((await s.api('GET', '/org', { token: tokens.access_token })).body).toEqual(
        envelope('INVALID_TOKEN', 'invalid oauth token'),
      );
      const again = await revoke(tokens.refresh_token);
      expect(again.status).toBe(400);
      expect(s.emu.stats().revocations).toBe(1);
    });

    it('lists every data centre at /oauth/serverinfo', async () => {
      const s = await scenario(start);
      const res = await fetch(`${s.h.accountsUrl()}/oauth/serverinfo`);
      const body = (await res.json()) as { result: string; locations: Record<string, string> };
      expect(body.result).toBe('success');
      expect(Object.keys(body.locations).sort()).toEqual([
        'au',
        'ca',
        'cn',
        'eu',
        'in',
        'jp',
        'sa',
        'uk',
        'us',
      ]);
      expect(body.locations.eu).toBe(s.h.accountsUrl('EU'));
    });
  });
}
