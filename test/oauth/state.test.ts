import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { base64url, createStateSigner, fromBase64url } from '../../src/oauth/state.js';

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
});
