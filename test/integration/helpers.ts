import { ZohoCrmConnector } from '../../src/connector.js';
import type { ConnectorOptions } from '../../src/options.js';
import type { ZohoEmulator } from '../../src/testing/server.js';

export const CLIENT = {
  clientId: '1000.TESTCLIENT',
  clientSecret: 'test-client-secret-0123456789abcdef',
  redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
};

const live = new Set<ZohoCrmConnector>();

/** A connector wired to the emulator's data centres; {@link closeConnectors} closes it. */
export function connectorFor(emu: ZohoEmulator, options: Partial<ConnectorOptions> = {}): ZohoCrmConnector {
  const zoho = new ZohoCrmConnector({
    connectionId: 'tenant-1',
    ...CLIENT,
    endpoints: { regions: emu.regions },
    ...options,
  });
  live.add(zoho);
  return zoho;
}

/** Closes every connector made since the last call (their lookups stop before the next test). */
export async function closeConnectors(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((zoho) => zoho.close()));
}

/** Registers the test client once. */
export function registerClient(emu: ZohoEmulator): void {
  emu.registerClient({
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    redirectUris: [CLIENT.redirectUri],
  });
}

/** The seed's Authorize click with auto-consent: follow Zoho's redirect back to our callback. */
export async function authorize(zoho: ZohoCrmConnector) {
  const { url } = await zoho.authorizationUrl();
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (!location) throw new Error(`the consent step did not redirect (HTTP ${response.status})`);
  return { location, result: await zoho.handleCallback(location) };
}
