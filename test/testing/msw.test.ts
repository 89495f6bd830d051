/**
 * The emulator scenario suite through msw handlers on Zoho's real hosts (onUnhandledRequest: 'error'),
 * plus what only that transport has: real api_domain/accounts-server values, host → data centre
 * mapping, the baseUrl layout, and one state shared with a node:http server.
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGION_CODES, REGIONS } from '../../src/regions.js';
import { createZohoEmulatorState, startZohoEmulator } from '../../src/testing/index.js';
import { zohoHandlers } from '../../src/testing/msw.js';
import { CLIENT, cleanupAfterEach, type Harness, Scenario, type StartHarness } from './harness.js';
import { runScenarios } from './scenarios/index.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
const cleanups = cleanupAfterEach();

const start: StartHarness = async (options = {}) => {
  const state = createZohoEmulatorState(options);
  server.use(...zohoHandlers(state));
  const harness: Harness = {
    emu: state,
    accountsUrl: (dc) => REGIONS[dc ?? state.dataCenter].accountsUrl,
    apiUrl: (dc) => REGIONS[dc ?? state.dataCenter].apiDomain,
  };
  return harness;
};

describe('emulator through msw handlers', () => {
  runScenarios(start);

  describe('msw transport', () => {
    it("answers on Zoho's real hosts with real api_domain and accounts-server values", async () => {
      const s = new Scenario(await start({ autoConsent: true, dataCenter: 'ca' }));
      const callback = await s.authorize({}, 'US');
      expect(callback.searchParams.get('location')).toBe('ca');
      expect(callback.searchParams.get('accounts-server')).toBe('https://accounts.zohocloud.ca');
      const tokens = (await s.exchange(callback.searchParams.get('code') ?? '')).body;
      expect(tokens.api_domain).toBe('https://www.zohoapis.ca');
      const org = await fetch('https://www.zohoapis.ca/crm/v8/org', {
        headers: { authorization: `Zoho-oauthtoken ${tokens.access_token}` },
      });
      expect(org.status).toBe(200);
      const elsewhere = await fetch('https://www.zohoapis.com.au/crm/v8/org', {
        headers: { authorization: `Zoho-oauthtoken ${tokens.access_token}` },
      });
      expect(elsewhere.status).toBe(401);
    });

    it('intercepts every data centre', async () => {
      await start();
      for (const code of REGION_CODES) {
        const res = await fetch(`${REGIONS[code].accountsUrl}/oauth/serverinfo`);
        expect([code, res.status]).toEqual([code, 200]);
        const api = await fetch(`${REGIONS[code].apiDomain}/crm/v8/org`);
        expect([code, api.status]).toEqual([code, 401]);
      }
    });

    it('serves the node:http URL layout under baseUrl', async () => {
      const state = createZohoEmulatorState({ autoConsent: true, dataCenter: 'jp' });
      server.use(...zohoHandlers(state, { baseUrl: 'http://zoho.test/' }));
      const s = new Scenario({
        emu: state,
        accountsUrl: (dc) => `http://zoho.test/accounts/${(dc ?? 'JP').toLowerCase()}`,
        apiUrl: (dc) => `http://zoho.test/api/${(dc ?? 'JP').toLowerCase()}`,
      });
      const tokens = await s.connect();
      expect(tokens.api_domain).toBe('http://zoho.test/api/jp');
      expect((await s.api('GET', '/org', { token: tokens.access_token })).status).toBe(200);
    });

    it('shares one state with a node:http server', async () => {
      const state = createZohoEmulatorState({ autoConsent: true });
      server.use(...zohoHandlers(state));
      const emu = await startZohoEmulator({ state });
      cleanups.push(() => emu.close());
      expect(emu.state).toBe(state);
      const s = new Scenario({
        emu: state,
        accountsUrl: () => REGIONS.US.accountsUrl,
        apiUrl: () => REGIONS.US.apiDomain,
      });
      const tokens = await s.connect();
      const created = await s.api('POST', '/Leads', {
        token: tokens.access_token,
        body: { data: [{ Last_Name: 'Via msw' }] },
      });
      expect(created.status).toBe(201);
      expect(emu.records('Leads').map((r) => r.Last_Name)).toEqual(['Via msw']);
      expect(emu.stats().requests['POST /crm/v8/Leads']).toBe(1);
      expect(CLIENT.clientId).toBe(state.issueTokens().clientId);
    });
  });
});
