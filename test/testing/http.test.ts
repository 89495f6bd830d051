/**
 * The emulator scenario suite over the node:http server, plus what only that transport has
 * (its URLs, every data centre under one origin, the index page, close()).
 */
import { describe, expect, it } from 'vitest';
import { REGION_CODES } from '../../src/regions.js';
import { createZohoEmulatorState, startZohoEmulator } from '../../src/testing/index.js';
import { cleanupAfterEach, type Harness, type StartHarness } from './harness.js';
import { runScenarios } from './scenarios/index.js';

const cleanups = cleanupAfterEach();

const start: StartHarness = async (options = {}) => {
  const emu = await startZohoEmulator(options);
  cleanups.push(() => emu.close());
  const harness: Harness = {
    emu,
    accountsUrl: (dc) => (dc ? emu.regions[dc].accountsUrl : emu.accountsUrl),
    apiUrl: (dc) => (dc ? emu.regions[dc].apiUrl : emu.apiUrl),
  };
  return harness;
};

describe('emulator over node:http', () => {
  runScenarios(start);

  describe('node:http transport', () => {
    it('listens on 127.0.0.1 on a random port and lays out every data centre under its origin', async () => {
      const emu = await startZohoEmulator({ dataCenter: 'EU' });
      cleanups.push(() => emu.close());
      expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emu.accountsUrl).toBe(`${emu.url}/accounts/eu`);
      expect(emu.apiUrl).toBe(`${emu.url}/api/eu`);
      expect(Object.keys(emu.regions)).toEqual([...REGION_CODES]);
      expect(emu.regions.CA).toEqual({ accountsUrl: `${emu.url}/accounts/ca`, apiUrl: `${emu.url}/api/ca` });
      const index = await fetch(emu.url);
      expect(await index.text()).toContain(emu.accountsUrl);
      const unknown = await fetch(`${emu.url}/elsewhere`);
      expect(unknown.status).toBe(404);
    });

    it('serves a given state, and two servers on one state share it', async () => {
      const state = createZohoEmulatorState({ edition: 'Professional' });
      const a = await startZohoEmulator({ state });
      const b = await startZohoEmulator({ state });
      cleanups.push(
        () => a.close(),
        () => b.close(),
      );
      a.seed('Leads', [{ Last_Name: 'Shared' }]);
      expect(b.records('Leads')).toHaveLength(1);
      expect(b.edition).toBe('Professional');
      state.registerClient({
        clientId: '1000.SHARED',
        clientSecret: 's',
        redirectUris: ['http://localhost/cb'],
      });
      const { accessToken } = state.issueTokens();
      expect(
        (
          await fetch(`${b.apiUrl}/crm/v8/org`, {
            headers: { authorization: `Zoho-oauthtoken ${accessToken}` },
          })
        ).status,
      ).toBe(200);
    });

    it('sends non-ASCII bodies intact (content-length in bytes)', async () => {
      const emu = await startZohoEmulator();
      cleanups.push(() => emu.close());
      emu.registerClient({ clientId: '1000.U', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
      emu.seed('Contacts', [{ First_Name: 'Zoë', Last_Name: 'Ångström 日本', Phone: '+81 3 1234 5678' }]);
      const { accessToken } = emu.issueTokens();
      const res = await fetch(`${emu.apiUrl}/crm/v8/Contacts/search?phone=312345678`, {
        headers: { authorization: `Zoho-oauthtoken ${accessToken}` },
      });
      const body = (await res.json()) as { data: Array<{ Full_Name: string }> };
      expect(body.data[0]?.Full_Name).toBe('Zoë Ångström 日本');
    });

    it('close() stops the server', async () => {
      const emu = await startZohoEmulator();
      await emu.close();
      await emu.close();
      await expect(fetch(emu.url)).rejects.toThrow(TypeError);
    });

    it('refuses bad options with the option name', async () => {
      await expect(startZohoEmulator({ timeZone: 'Mars/Olympus' })).rejects.toThrow(/timeZone/);
      await expect(startZohoEmulator({ edition: 'Gold' as never })).rejects.toThrow(/edition/);
      await expect(startZohoEmulator({ dataCenter: 'xx' as never })).rejects.toThrow();
      await expect(startZohoEmulator({ accessTokenTtlSeconds: 0 })).rejects.toThrow(/accessTokenTtlSeconds/);
    });
  });
});
