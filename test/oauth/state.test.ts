import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { base64url, createStateReader, createStateSigner, fromBase64url } from '../../src/oauth/state.js';

const make = (over: Partial<Parameters<typeof createStateSigner>[0]> = {}) =>
  createStateSigner({ secret: 'client-secret-value', derive: true, connectionId: 'tenant-1', ...over });

async function mismatch(promise: Promise<void>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; reauthorize: boolean },
  );
  expect(error).toMatchObject({ code: ErrorCode.AUTH_STATE_MISMATCH, reauthorize: true });
  return (error as { message: string }).message;
}

describe('OAuth state', () => {
  it('issues a state that verifies once', async () => {
    const signer = make();
    const state = await signer.issue();
    expect(state).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    await expect(signer.verify(state)).resolves.toBeUndefined();
    expect(await mismatch(signer.verify(state))).toContain('already used');
  });

  it('does not carry the connection id or the secret in clear', async () => {
    const state = await make({ connectionId: 'acme-tenant' }).issue();
    const payload = new TextDecoder().decode(fromBase64url(state.split('.')[0] ?? ''));
    expect(payload).not.toContain('acme-tenant');
    expect(state).not.toContain('client-secret-value');
  });

  it('rejects a tampered payload or signature', async () => {
    const signer = make();
    const [payload, signature] = (await signer.issue()).split('.') as [string, string];
    const claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
    const forged = base64url(new TextEncoder().encode(JSON.stringify({ ...claims, e: claims.e + 1e9 })));
    expect(await mismatch(signer.verify(`${forged}.${signature}`))).toContain('signature does not match');
    // Change the first character (all 6 of its bits count): replacing the last two with 'AA' left the
    // signature unchanged whenever it already ended in them (1 run in 4,096; seen under load testing).
    const other = signature.startsWith('A') ? 'B' : 'A';
    expect(await mismatch(signer.verify(`${payload}.${other}${signature.slice(1)}`))).toContain('signature');
    expect(await mismatch(signer.verify(`${payload}.not*base64`))).toContain('signature');
  });

  it('accepts only the canonical spelling of the signature (its last character carries padding bits)', async () => {
    const signer = make();
    const [payload, signature] = (await signer.issue()).split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.slice(-1));
    // 32 bytes in 43 characters: the last one holds 4 data bits and 2 padding bits.
    const sameBytes = alphabet[last ^ 1] as string;
    expect(fromBase64url(signature.slice(0, -1) + sameBytes)).toEqual(fromBase64url(signature));
    expect(await mismatch(signer.verify(`${payload}.${signature.slice(0, -1)}${sameBytes}`))).toContain(
      'signature',
    );
    await expect(signer.verify(`${payload}.${signature}`)).resolves.toBeUndefined();
  });

  it('rejects an expired state', async () => {
    let now = 1_000;
    const signer = make({ now: () => now, ttlMs: 600_000 });
    const state = await signer.issue();
    now += 600_001;
    expect(await mismatch(signer.verify(state))).toContain('expired');
  });

  it("rejects another connection's state (same client secret)", async () => {
    const state = await make({ connectionId: 'tenant-2' }).issue();
    expect(await mismatch(make().verify(state))).toContain('another connection');
  });

  it('rejects a state signed with another secret, derived or explicit', async () => {
    const derived = await make().issue();
    const explicit = createStateSigner({
      secret: 'client-secret-value',
      derive: false,
      connectionId: 'tenant-1',
    });
    expect(await mismatch(explicit.verify(derived))).toContain('signature');
    const other = await make({ secret: 'another-secret' }).issue();
    expect(await mismatch(make().verify(other))).toContain('signature');
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['abc', 'malformed'],
    ['a.b.c', 'malformed'],
  ])('rejects %j as %s', async (state, why) => {
    expect(await mismatch(make().verify(state))).toContain(why);
  });

  it('rejects a validly signed payload that is not a state', async () => {
    const signer = createStateSigner({ secret: 'k'.repeat(32), derive: false, connectionId: 'c' });
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('k'.repeat(32)),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    for (const text of ['not json', JSON.stringify({ v: 2 })]) {
      const payload = base64url(new TextEncoder().encode(text));
      const sig = base64url(
        new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(payload))),
      );
      expect(await mismatch(signer.verify(`${payload}.${sig}`))).toContain('malformed');
    }
  });

  it('forgets used nonces once they expire', async () => {
    let now = 0;
    const signer = make({ now: () => now, ttlMs: 1_000 });
    await signer.verify(await signer.issue());
    now = 5_000;
    await expect(signer.verify(await signer.issue())).resolves.toBeUndefined();
  });

  describe('the connection id inside (registries route by it)', () => {
    const SECRET = 'registry-state-secret-0123456789';
    const signer = (connectionId: string) =>
      createStateSigner({ secret: SECRET, derive: false, connectionId });
    const reader = (over: Partial<Parameters<typeof createStateReader>[0]> = {}) =>
      createStateReader({ secret: SECRET, derive: false, ...over });
    const sign = async (claims: unknown) => {
      const key = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(SECRET),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      const payload = base64url(new TextEncoder().encode(JSON.stringify(claims)));
      const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(payload)));
      return `${payload}.${base64url(sig)}`;
    };
    const claimsOf = (state: string) =>
      JSON.parse(new TextDecoder().decode(fromBase64url(state.split('.')[0] ?? ''))) as Record<
        string,
        unknown
      >;

    it('reads the connection id without consuming the state; the connector still verifies it once', async () => {
      const tenant = signer('tenant-a');
      const state = await tenant.issue();
      expect(await reader()(state)).toBe('tenant-a');
      expect(await reader()(state)).toBe('tenant-a');
      await expect(tenant.verify(state)).resolves.toBeUndefined();
      expect(await mismatch(tenant.verify(state))).toContain('already used');
    });

    it('keeps the id out of the clear text', async () => {
      const state = await signer('acme-tenant').issue();
      expect(JSON.stringify(claimsOf(state))).not.toContain('acme-tenant');
    });

    it('refuses a state signed with another secret, tampered or expired', async () => {
      const foreign = await createStateSigner({
        secret: 'another-secret-0123456789abcdef',
        derive: false,
        connectionId: 'tenant-a',
      }).issue();
      expect(await mismatch(reader()(foreign).then(() => undefined))).toContain('signature');
      const [payload, signature] = (await signer('tenant-a').issue()).split('.') as [string, string];
      expect(
        await mismatch(reader()(`${payload}.${signature.slice(0, -2)}AA`).then(() => undefined)),
      ).toContain('signature');
      let now = 0;
      const state = await createStateSigner({
        secret: SECRET,
        derive: false,
        connectionId: 'tenant-a',
        now: () => now,
        ttlMs: 1_000,
      }).issue();
      now = 1_000;
      expect(await mismatch(reader({ now: () => now })(state).then(() => undefined))).toContain('expired');
      expect(await mismatch(reader()(undefined).then(() => undefined))).toContain('missing');
    });

    it("refuses a signed state whose sealed id does not match its hash (tenant B's id under A's hash)", async () => {
      const a = claimsOf(await signer('tenant-a').issue());
      const b = claimsOf(await signer('tenant-b').issue());
      const spliced = await sign({ ...a, i: b.i });
      expect(await mismatch(reader()(spliced).then(() => undefined))).toContain('malformed');
      const garbage = await sign({ ...a, i: 'AAAA' });
      expect(await mismatch(reader()(garbage).then(() => undefined))).toContain('malformed');
    });

    it('a version 1 state (no id inside) still verifies at its connector, but cannot be routed', async () => {
      const v2 = claimsOf(await signer('tenant-a').issue());
      const v1 = await sign({ v: 1, c: v2.c, n: 'nonce-1', e: Date.now() + 60_000 });
      await expect(signer('tenant-a').verify(v1)).resolves.toBeUndefined();
      expect(await mismatch(reader()(v1).then(() => undefined))).toContain('does not name its connection');
    });
  });
});
