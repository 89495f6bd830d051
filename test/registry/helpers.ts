import type { ConnectorRegistryOptions } from '../../src/registry/registry.js';
import type { TenantSettings } from '../../src/registry/tenant-settings.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createMemorySettingsStore } from '../../src/stores/settings-memory.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';

export const REDIRECT_URI = 'https://pbx.example.com/api/auth/callback/zoho';
export const STATE_SECRET = 'registry-state-secret-0123456789abcdef';

/** Three tenants, three clients, two data centres (a and c in the US, b in the EU). */
export const TENANTS: Record<'a' | 'b' | 'c', TenantSettings> = {
  a: { clientId: '1000.TENANTA', clientSecret: 'tenant-a-secret-value', region: 'US' },
  b: {
    clientId: '1000.TENANTB',
    clientSecret: 'tenant-b-secret-value',
    region: 'EU',
    lookup: { defaultCountry: 'DE' },
  },
  c: { clientId: '1000.TENANTC', clientSecret: 'tenant-c-secret-value', region: 'US', edition: 'Enterprise' },
};

/** A fetch that counts token requests (code exchanges and refreshes) and can be held. */
export function fetchSpy() {
  const tokenRequests: string[] = [];
  const spy: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('/oauth/v2/token')) tokenRequests.push(url);
    return fetch(input, init);
  };
  return { fetch: spy, tokenRequests };
}

/** One emulator per data centre, each with its tenants' clients registered, and a settings store. */
export async function multiTenantWorld() {
  const us = await startZohoEmulator({ autoConsent: true, dataCenter: 'us', edition: 'Enterprise' });
  const eu = await startZohoEmulator({ autoConsent: true, dataCenter: 'eu', edition: 'Enterprise' });
  for (const [emu, ids] of [
    [us, ['a', 'c']],
    [eu, ['b']],
  ] as const) {
    for (const id of ids) {
      const { clientId, clientSecret } = TENANTS[id];
      emu.registerClient({ clientId, clientSecret, redirectUris: [REDIRECT_URI] });
    }
  }
  const settingsStore = createMemorySettingsStore();
  for (const [id, settings] of Object.entries(TENANTS)) await settingsStore.set(id, settings);
  const tokenStore = createMemoryStore();
  const spy = fetchSpy();
  const base: ConnectorRegistryOptions = {
    redirectUri: REDIRECT_URI,
    stateSecret: STATE_SECRET,
    tokenStore,
    fetch: spy.fetch,
    endpoints: { regions: { US: us.regions.US, EU: eu.regions.EU } },
    settings: (id) => settingsStore.get(id),
  };
  return {
    us,
    eu,
    settingsStore,
    tokenStore,
    spy,
    base,
    close: async () => {
      await us.close();
      await eu.close();
    },
  };
}

/** The admin's browser: open the Authorize URL; Zoho (auto-consent) redirects to the callback URL. */
export async function consent(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (!location) throw new Error(`the consent step did not redirect (HTTP ${response.status})`);
  return location;
}

export type World = Awaited<ReturnType<typeof multiTenantWorld>>;
export type { ZohoEmulator };
