import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isZohoCrmError } from '../../src/errors.js';
import { REGION_CODES } from '../../src/regions.js';
import { createFileStore } from '../../src/stores/file.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { FAKE_TIME } from '../helpers/time.js';
import { authorize, CLIENT, closeConnectors, connectorFor, registerClient } from './helpers.js';

let emu: ZohoEmulator | undefined;
// No ring deadline passes because the machine is slow: time moves only when a test says so.
beforeEach(() => {
  vi.useFakeTimers(FAKE_TIME);
});
afterEach(async () => {
  await closeConnectors();
  vi.useRealTimers();
  await emu?.close();
  emu = undefined;
});

async function emulator(options: Parameters<typeof startZohoEmulator>[0] = {}) {
  emu = await startZohoEmulator({ autoConsent: true, ...options });
  registerClient(emu);
  return emu;
}

describe('authorize → callback → API call', () => {
  it.each(REGION_CODES)('works in the %s data centre', async (region) => {
    const emu = await emulator({ dataCenter: region });
    emu.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
    const zoho = connectorFor(emu, { region });
    const { location, result } = await authorize(zoho);
    expect(new URL(location).searchParams.get('location')).toBe(region.toLowerCase());
    expect(result).toMatchObject({ region, apiDomain: emu.regions[region].apiUrl });
    expect(await zoho.isAuthorized()).toBe(true);
    expect(zoho.region.code).toBe(region);
    const match = await zoho.lookupCaller('+1 415 555 2671');
    expect(match).toMatchObject({ name: 'Ada Lovelace', module: 'Contacts', source: 'zoho' });
    expect(match?.recordUrl?.startsWith(zoho.region.crmWebUrl)).toBe(true);
    expect(emu.stats().tokenGrants).toBe(1);
    await zoho.close();
  });

  it('a callback naming another accounts server switches to it (EU user, US start)', async () => {
    const emu = await emulator({ dataCenter: 'EU' });
    const zoho = connectorFor(emu, { region: 'US' });
    const { url } = await zoho.authorizationUrl();
    expect(url.startsWith(emu.regions.US.accountsUrl)).toBe(true);
    const { location, result } = await authorize(zoho);
    expect(new URL(location).searchParams.get('accounts-server')).toBe(emu.regions.EU.accountsUrl);
    expect(result.region).toBe('EU');
    expect(zoho.region.code).toBe('EU');
    expect(emu.stats().requests).toMatchObject({ 'POST /oauth/v2/token': 1 });
  });

  it('a tampered or replayed state makes no token request', async () => {
    const emu = await emulator();
    const zoho = connectorFor(emu);
    const { url } = await zoho.authorizationUrl();
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '';
    const tampered = location.replace(/state=([^&]+)/, (_m, s: string) => `state=${s.slice(0, -3)}abc`);
    await expect(zoho.handleCallback(tampered)).rejects.toMatchObject({
      code: ErrorCode.AUTH_STATE_MISMATCH,
    });
    await zoho.handleCallback(location);
    await expect(zoho.handleCallback(location)).rejects.toMatchObject({
      code: ErrorCode.AUTH_STATE_MISMATCH,
    });
    expect(emu.stats().requests['POST /oauth/v2/token']).toBe(1);
  });

  it('another tenant cannot use this tenant’s state', async () => {
    const emu = await emulator();
    const a = connectorFor(emu, { connectionId: 'tenant-a' });
    const b = connectorFor(emu, { connectionId: 'tenant-b' });
    const { url } = await a.authorizationUrl();
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '';
    await expect(b.handleCallback(location)).rejects.toMatchObject({ code: ErrorCode.AUTH_STATE_MISMATCH });
  });

  it('a wrong client secret is AUTH_INVALID_CLIENT, an unregistered redirect AUTH_INVALID_REDIRECT_URI', async () => {
    const emu = await emulator();
    const wrong = connectorFor(emu, { clientSecret: 'not-the-secret-value' });
    await expect(authorize(wrong)).rejects.toMatchObject({ code: ErrorCode.AUTH_INVALID_CLIENT });
  });

  it('denying consent is AUTH_ACCESS_DENIED with reauthorize', async () => {
    const emu = await emulator({ autoConsent: false });
    const zoho = connectorFor(emu);
    const { url, state } = await zoho.authorizationUrl();
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toMatch(/Accept/);
    expect(html).toMatch(/Deny/);
    const denied = `${CLIENT.redirectUri}?error=access_denied&state=${state}`;
    await expect(zoho.handleCallback(denied)).rejects.toMatchObject({
      code: ErrorCode.AUTH_ACCESS_DENIED,
      reauthorize: true,
    });
    expect(emu.stats().requests['POST /oauth/v2/token'] ?? 0).toBe(0);
  });

  it('500 concurrent calls on an expired token → exactly 1 refresh at the emulator', async () => {
    const emu = await emulator();
    emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '+14155552671' }]);
    const zoho = connectorFor(emu, { http: { maxConcurrency: 20 } });
    await authorize(zoho);
    emu.advanceTime(3_600_000);
    emu.expireAccessTokens();
    const numbers = Array.from({ length: 500 }, (_, i) => `+1415555${String(3000 + (i % 50))}`);
    await Promise.all(numbers.map((n) => zoho.lookupCaller(n, { timeoutMs: 20_000 })));
    expect(emu.stats().refreshes).toBe(1);
  });

  it('a revoked refresh token → one authorizationLost, at most 1 token request, typed errors after', async () => {
    const emu = await emulator();
    const store = createMemoryStore();
    const zoho = connectorFor(emu, { tokenStore: store });
    const lost: unknown[] = [];
    zoho.on('authorizationLost', (e) => lost.push(e));
    await authorize(zoho);
    const before = emu.stats().requests['POST /oauth/v2/token'] ?? 0;
    expect(emu.revokeRefreshToken((await store.get('tenant-1'))?.refreshToken ?? '')).toBe(true);
    emu.expireAccessTokens();
    emu.advanceTime(3_600_000);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => zoho.searchDirectory('ada').catch((e: unknown) => e)),
    );
    expect(results.every((r) => isZohoCrmError(r) && r.name === 'AuthError')).toBe(true);
    expect(lost).toHaveLength(1);
    expect((emu.stats().requests['POST /oauth/v2/token'] ?? 0) - before).toBeLessThanOrEqual(1);
    await expect(zoho.searchDirectory('ada')).rejects.toMatchObject({ reauthorize: true });
    expect(await zoho.lookupCaller('+14155552671')).toBeNull();
    expect(lost).toHaveLength(1);
    expect(await zoho.isAuthorized()).toBe(false);
  });

  it('revoke() revokes at Zoho and deletes locally; without Zoho it still deletes and says so', async () => {
    const emu = await emulator();
    const zoho = connectorFor(emu);
    await authorize(zoho);
    expect(await zoho.revoke()).toEqual({ revokedAtZoho: true, deletedLocally: true });
    expect(emu.stats().revocations).toBe(1);
    expect(await zoho.isAuthorized()).toBe(false);

    await authorize(zoho);
    emu.faults({ outage: true });
    const result = await zoho.revoke();
    expect(result).toMatchObject({ revokedAtZoho: false, deletedLocally: true });
    expect(await zoho.isAuthorized()).toBe(false);
  });

  it('no token, refresh token, client secret or code leaks into logs, errors or the file store', async () => {
    // Real timers: the HTTP client's retry backoff after the injected 500s has to elapse on its own.
    // The lookups get a deadline no slow machine reaches, so each one logs its whole path.
    vi.useRealTimers();
    const emu = await emulator();
    emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '+14155552671' }]);
    const lines: string[] = [];
    const sink = (level: string) => (obj: unknown, msg: string) =>
      lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
    const dir = mkdtempSync(join(tmpdir(), 'zcc-leak-'));
    const fileStore = createFileStore({ path: dir, encryptionKey: Buffer.alloc(32, 7) });
    const zoho = connectorFor(emu, {
      tokenStore: fileStore,
      logger: { debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') },
    });
    const { location } = await authorize(zoho);
    const code = new URL(location).searchParams.get('code') ?? '';
    const first = await fileStore.get('tenant-1');
    const errors: unknown[] = [];
    await zoho.lookupCaller('+14155552671', { timeoutMs: 60_000 });
    emu.advanceTime(3_600_000);
    emu.expireAccessTokens();
    await zoho.lookupCaller('+14155550000', { timeoutMs: 60_000 });
    emu.faults({ status: 500, rate: 1 });
    errors.push(await zoho.searchDirectory('lovelace').catch((e: unknown) => e));
    emu.faults(null);
    errors.push(await zoho.handleCallback(location).catch((e: unknown) => e));
    const latest = await fileStore.get('tenant-1');
    const secrets = [
      CLIENT.clientSecret,
      code,
      first?.accessToken,
      first?.refreshToken,
      latest?.accessToken,
    ].filter((s): s is string => typeof s === 'string');
    expect(latest?.accessToken).not.toBe(first?.accessToken);
    const issued = [JSON.stringify(emu.requestLog())];
    const stored = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1'));
    const everything = [
      ...lines,
      ...errors.flatMap((e) => [String(e), JSON.stringify(e), inspect(e, { depth: 10 })]),
      ...stored,
    ].join('\n');
    expect(secrets).toHaveLength(5);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(everything).not.toContain(secret);
      expect(issued[0]).not.toContain(secret);
    }
    expect(everything).not.toMatch(/1000\.[0-9a-f]{32}\.[0-9a-f]{32}/);
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe('many tenants in one process', () => {
  it('two tenants in different regions never share tokens or caches', async () => {
    const emuEu = await startZohoEmulator({ autoConsent: true, dataCenter: 'EU' });
    const emuJp = await startZohoEmulator({ autoConsent: true, dataCenter: 'JP' });
    try {
      registerClient(emuEu);
      registerClient(emuJp);
      emuEu.seed('Contacts', [{ Last_Name: 'Europe', Phone: '+14155552671' }]);
      emuJp.seed('Contacts', [{ Last_Name: 'Japan', Phone: '+14155552671' }]);
      const store = createMemoryStore();
      const eu = connectorFor(emuEu, { connectionId: 'eu', region: 'EU', tokenStore: store });
      const jp = connectorFor(emuJp, { connectionId: 'jp', region: 'JP', tokenStore: store });
      await authorize(eu);
      await authorize(jp);
      const [a, b] = await Promise.all([eu.lookupCaller('+14155552671'), jp.lookupCaller('+14155552671')]);
      expect(a?.name).toBe('Europe');
      expect(b?.name).toBe('Japan');
      expect(a?.recordUrl).toContain('crm.zoho.eu');
      expect(b?.recordUrl).toContain('crm.zoho.jp');
      expect((await store.get('eu'))?.region).toBe('EU');
      expect((await store.get('jp'))?.region).toBe('JP');
      expect((await store.get('eu'))?.accessToken).not.toBe((await store.get('jp'))?.accessToken);
    } finally {
      await emuEu.close();
      await emuJp.close();
    }
  });
});
