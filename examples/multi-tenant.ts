/**
 * A multi-tenant PBX (the seed's PortSIP set-up): every tenant's admin enters its own Zoho Client ID and
 * Secret and picks its region in Integrations > CRM; every tenant authorizes through the SAME redirect URI.
 *   GET /tenants/{id}/authorize   → 302 to the tenant's Zoho consent page (the tenant's Authorize button)
 *   GET /api/auth/callback/zoho   → the one callback route: the signed state says which tenant it is
 *   GET /tenants/{id}/caller?number=…  → caller ID for that tenant
 *
 * It runs against two embedded emulators (a US org and an EU org) with three tenants and plays the admins'
 * browsers itself. Run: npx tsx examples/multi-tenant.ts
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type ConnectorRegistry,
  createConnectorRegistry,
  createMemorySettingsStore,
  createMemoryStore,
  isZohoCrmError,
  type TenantSettings,
} from 'zoho-crm-connector';
import { startZohoEmulator } from 'zoho-crm-connector/testing';
import { runIfMain } from './connect.js';

/** What three tenant admins saved in the PBX's CRM form. */
const TENANTS: Record<string, TenantSettings> = {
  'acme-us': { clientId: '1000.ACMEUS', clientSecret: 'acme-us-secret-example', region: 'US' },
  'globex-eu': {
    clientId: '1000.GLOBEXEU',
    clientSecret: 'globex-eu-secret-example',
    region: 'EU',
    edition: 'Enterprise',
    lookup: { order: ['Leads', 'Contacts'], defaultCountry: 'DE' },
    createRecords: { enabled: true, type: 'Leads' },
  },
  'initech-us': {
    clientId: '1000.INITECHUS',
    clientSecret: 'initech-us-secret-example',
    region: 'US',
    journal: { enabled: true, recordingLink: 'none' },
  },
};

/** The PBX's routes, for any registry. */
export function pbxRoutes(
  zohos: ConnectorRegistry,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, first, tenant, action] = url.pathname.split('/');
    try {
      if (url.pathname === '/api/auth/callback/zoho') {
        const { connectionId, region } = await zohos.handleCallback(url);
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${connectionId}: connected (${region})\n`);
      } else if (first === 'tenants' && tenant && action === 'authorize') {
        const { url: consent } = await zohos.authorizationUrl(tenant);
        res.writeHead(302, { Location: consent }).end();
      } else if (first === 'tenants' && tenant && action === 'caller') {
        const match = await (await zohos.get(tenant)).lookupCaller(url.searchParams.get('number') ?? '');
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ match }));
      } else {
        res.writeHead(404).end();
      }
    } catch (error) {
      // Typed errors: a bad state, an unknown or disabled tenant, Zoho refusing the code. No secret inside.
      const message = isZohoCrmError(error) ? `${error.code}: ${error.message}` : 'internal error';
      res.writeHead(isZohoCrmError(error) ? 400 : 500, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
    }
  };
}

export async function main(): Promise<{ connected: string[]; callers: Record<string, string | null> }> {
  // Two Zoho data centres; each tenant's client is registered with the one redirect URI. (acme-us and
  // initech-us are two clients of one emulated US org here; in production each tenant has its own org.)
  const us = await startZohoEmulator({ autoConsent: true, dataCenter: 'us' });
  const eu = await startZohoEmulator({ autoConsent: true, dataCenter: 'eu' });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const redirectUri = `${origin}/api/auth/callback/zoho`;
  for (const [id, settings] of Object.entries(TENANTS)) {
    const emulator = settings.region === 'EU' ? eu : us;
    emulator.registerClient({
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      redirectUris: [redirectUri],
    });
    console.log(`${id}: client ${settings.clientId} in ${settings.region}`);
  }
  us.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
  eu.seed('Leads', [{ First_Name: 'Karl', Last_Name: 'Weber', Company: 'Globex', Phone: '030 1234567' }]);

  // The host's settings (here in memory; createFileSettingsStore / createRedisSettingsStore persist them).
  const settingsStore = createMemorySettingsStore();
  for (const [id, settings] of Object.entries(TENANTS)) await settingsStore.set(id, settings);

  const zohos = createConnectorRegistry({
    redirectUri,
    stateSecret: randomBytes(32).toString('base64'), // the same on every PBX node
    tokenStore: createMemoryStore(),
    endpoints: { regions: { US: us.regions.US, EU: eu.regions.EU } }, // the emulators instead of Zoho
    settings: (connectionId) => settingsStore.get(connectionId),
  });
  zohos.on('tokenRefreshed', (e) => console.log(`${e.connectionId}: token refreshed`));
  server.on('request', pbxRoutes(zohos));
  try {
    // Each tenant admin clicks Authorize; Zoho sends every browser back to the one callback route.
    const connected: string[] = [];
    for (const id of Object.keys(TENANTS)) {
      const consent = await fetch(`${origin}/tenants/${id}/authorize`, { redirect: 'manual' });
      const zohoPage = consent.headers.get('location') ?? '';
      const back = await fetch(zohoPage, { redirect: 'manual' }); // Zoho's consent, accepted
      const page = await (await fetch(back.headers.get('location') ?? '')).text();
      console.log(page.trim());
      connected.push(page.trim());
    }
    const callers: Record<string, string | null> = {};
    for (const [id, number] of [
      ['acme-us', '+14155552671'],
      ['globex-eu', '030 1234567'],
      ['initech-us', '+14155552671'],
    ] as const) {
      const { match } = (await (
        await fetch(`${origin}/tenants/${id}/caller?number=${encodeURIComponent(number)}`)
      ).json()) as {
        match: { name: string } | null;
      };
      callers[id] = match?.name ?? null;
      console.log(`${id}: ${number} → ${callers[id] ?? 'unknown'}`);
    }
    return { connected, callers };
  } finally {
    await zohos.close();
    await new Promise((resolve) => server.close(resolve));
    await us.close();
    await eu.close();
  }
}

await runIfMain(import.meta, main);
