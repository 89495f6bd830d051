import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { signPublicLink, verifyPublicLink } from '../../src/journal/public-link.js';

const SECRET = 'a-host-secret-of-32-characters!!';
const NOW = Date.parse('2025-01-10T19:00:00Z');
const URL_ = 'https://pbx.example.com/recordings/7f3a.wav?tenant=42&format=wav';

describe('signPublicLink / verifyPublicLink', () => {
  it('README example: a signed link verifies until it expires', async () => {
    const link = await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 3600, now: NOW });
    const url = new URL(link);
    expect(url.origin + url.pathname).toBe('https://pbx.example.com/recordings/7f3a.wav');
    expect(url.searchParams.get('tenant')).toBe('42');
    expect(url.searchParams.get('expires')).toBe(String(NOW / 1000 + 3600));
    expect(url.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verifyPublicLink(link, { secret: SECRET, now: NOW + 3_599_000 })).toEqual({
      valid: true,
      expiresAt: NOW + 3_600_000,
    });
    expect(await verifyPublicLink(link, { secret: SECRET, now: NOW + 3_600_000 })).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it('accepts the request target alone (req.url), a URL object, a Date clock and byte secrets', async () => {
    const secret = new Uint8Array(32).fill(7);
    const link = await signPublicLink(new URL(URL_), { secret, expiresInSeconds: 60, now: new Date(NOW) });
    const target = link.slice('https://pbx.example.com'.length);
    expect(await verifyPublicLink(target, { secret, now: new Date(NOW) })).toMatchObject({ valid: true });
    expect(await verifyPublicLink(new URL(link), { secret, now: NOW })).toMatchObject({ valid: true });
  });

  it('survives a different host and reordered parameters, but not a changed path, query or expiry', async () => {
    const link = new URL(await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 60, now: NOW }));
    const moved = new URL(link.pathname + link.search, 'http://proxy.internal:8080');
    expect(await verifyPublicLink(moved, { secret: SECRET, now: NOW })).toMatchObject({ valid: true });

    const reordered = new URL(link);
    reordered.search = '';
    for (const key of ['signature', 'format', 'expires', 'tenant']) {
      reordered.searchParams.set(key, link.searchParams.get(key) as string);
    }
    expect(await verifyPublicLink(reordered, { secret: SECRET, now: NOW })).toMatchObject({ valid: true });

    const tampered = (edit: (u: URL) => void) => {
      const copy = new URL(link);
      edit(copy);
      return verifyPublicLink(copy, { secret: SECRET, now: NOW });
    };
    const bad = { valid: false, reason: 'bad-signature' };
    expect(await tampered((u) => (u.pathname = '/recordings/other.wav'))).toEqual(bad);
    expect(await tampered((u) => u.searchParams.set('tenant', '43'))).toEqual(bad);
    expect(await tampered((u) => u.searchParams.append('extra', '1'))).toEqual(bad);
    expect(
      await tampered((u) =>
        u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 86_400)),
      ),
    ).toEqual(bad);
    expect(await verifyPublicLink(link, { secret: `${SECRET}x`, now: NOW })).toEqual(bad);
    // A forged link past its expiry is reported as forged, not as expired.
    expect(await tampered((u) => u.searchParams.set('expires', '1'))).toEqual(bad);
  });

  it('replaces an old signature and expiry when re-signing', async () => {
    const first = await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 60, now: NOW });
    const again = new URL(await signPublicLink(first, { secret: SECRET, expiresInSeconds: 120, now: NOW }));
    expect(again.searchParams.getAll('signature')).toHaveLength(1);
    expect(again.searchParams.getAll('expires')).toEqual([String(NOW / 1000 + 120)]);
    expect(await verifyPublicLink(again, { secret: SECRET, now: NOW + 100_000 })).toMatchObject({
      valid: true,
    });
  });

  it.each([
    ['no signature', (u: URL) => u.searchParams.delete('signature')],
    ['no expiry', (u: URL) => u.searchParams.delete('expires')],
    [
      'two signatures',
      (u: URL) => u.searchParams.append('signature', u.searchParams.get('signature') as string),
    ],
    ['a short signature', (u: URL) => u.searchParams.set('signature', 'abc')],
    ['a non-numeric expiry', (u: URL) => u.searchParams.set('expires', 'soon')],
  ])('reports %s as malformed', async (_label, edit) => {
    const link = new URL(await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 60, now: NOW }));
    edit(link);
    expect(await verifyPublicLink(link, { secret: SECRET, now: NOW })).toEqual({
      valid: false,
      reason: 'malformed',
    });
  });

  it('reports an unparsable URL as malformed and defaults the clock to now', async () => {
    expect(await verifyPublicLink('http://[bad', { secret: SECRET })).toEqual({
      valid: false,
      reason: 'malformed',
    });
    const link = await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 60 });
    expect(await verifyPublicLink(link, { secret: SECRET })).toMatchObject({ valid: true });
  });

  it('throws a ConfigError naming bad options, never their values', async () => {
    const failure = await signPublicLink('recordings/1.wav', { secret: 'short', expiresInSeconds: 0 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).issues.map((i) => i.path)).toEqual(['url', 'secret', 'expiresInSeconds']);
    expect((failure as ConfigError).message).not.toContain('short');
    await expect(
      signPublicLink('ftp://pbx.example.com/1', { secret: SECRET, expiresInSeconds: 1 }),
    ).rejects.toThrow(ConfigError);
    await expect(signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 1.5 })).rejects.toThrow(
      /expiresInSeconds/,
    );
    await expect(verifyPublicLink(URL_, { secret: new Uint8Array(4) })).rejects.toThrow(ConfigError);
  });

  it.each([
    ['a Set', new Set()],
    ['an invalid Date', new Date(Number.NaN)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a date string', '2026-12-03T00:00:00Z'],
  ])('refuses %s as the clock with a ConfigError on "now", signing and verifying', async (_, now) => {
    const clock = now as number;
    const signing = await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 60, now: clock }).catch(
      (error: unknown) => error,
    );
    expect(signing).toBeInstanceOf(ConfigError);
    expect((signing as ConfigError).issues.map((i) => i.path)).toEqual(['now']);
    const link = await signPublicLink(URL_, { secret: SECRET, expiresInSeconds: 60, now: NOW });
    const verifying = await verifyPublicLink(link, { secret: SECRET, now: clock }).catch(
      (error: unknown) => error,
    );
    expect(verifying).toBeInstanceOf(ConfigError);
    expect((verifying as ConfigError).issues.map((i) => i.path)).toEqual(['now']);
  });
});

describe('finding 2: a signed link verifies for its own path only, in exactly one form', () => {
  const signed = async () =>
    new URL(
      await signPublicLink('https://pbx.example.com/rec/1.wav', {
        secret: SECRET,
        expiresInSeconds: 60,
        now: NOW,
      }),
    );
  const verify = (url: string | URL) => verifyPublicLink(url, { secret: SECRET, now: NOW });

  it('accepts the request target of the signed path', async () => {
    const link = await signed();
    expect(await verify(`/rec/1.wav${link.search}`)).toMatchObject({ valid: true });
  });

  it.each([
    ['an authority in place of the path', (search: string) => `//private/rec/1.wav${search}`],
    ['a backslash authority', (search: string) => `/\\private/rec/1.wav${search}`],
    ['a tab that hides an authority', (search: string) => `/\t/private/rec/1.wav${search}`],
    ['dot segments', (search: string) => `/private/../rec/1.wav${search}`],
    ['encoded dot segments', (search: string) => `/private/%2e%2e/rec/1.wav${search}`],
    ['a relative path', (search: string) => `rec/1.wav${search}`],
    ['a scheme-relative absolute URL', (search: string) => `http:/rec/1.wav${search}`],
    ['another scheme', (search: string) => `file:///rec/1.wav${search}`],
  ])('refuses a request target with %s', async (_label, target) => {
    const link = await signed();
    expect(await verify(target(link.search))).toEqual({ valid: false, reason: 'malformed' });
  });

  it('verifies exactly one signature string (the canonical base64url encoding)', async () => {
    const link = await signed();
    const signature = link.searchParams.get('signature') as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const valid: string[] = [];
    for (const last of alphabet) {
      const variant = new URL(link);
      variant.searchParams.set('signature', signature.slice(0, -1) + last);
      if ((await verify(variant)).valid) valid.push(last);
    }
    expect(valid).toEqual([signature.slice(-1)]);
  });
});
