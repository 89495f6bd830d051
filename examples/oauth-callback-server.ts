/**
 * A minimal PBX admin host (node:http) that serves the two OAuth routes of the seed's setup:
 *   GET /authorize                 → 302 to Zoho's consent page (the admin's "Authorize" button)
 *   GET /api/auth/callback/zoho    → completes authorization; the integration is live at once
 *
 * With ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REGION (and ZOHO_REDIRECT_URI = http://localhost:3000/api/auth/callback/zoho
 * registered in Zoho's API console) it listens on port 3000 until stopped: open http://localhost:3000/authorize.
 * Without them it runs against the embedded emulator and plays the admin's browser itself.
 *
 * Run: npx tsx examples/oauth-callback-server.ts
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isZohoCrmError, ZohoCrmConnector } from 'zoho-crm-connector';
import { startZohoEmulator } from 'zoho-crm-connector/testing';
import { EXAMPLE_CLIENT, realZohoConfigured, realZohoOptions, runIfMain } from './connect.js';

/** The two routes, as a request listener for any connector. */
export function adminRoutes(
  zoho: ZohoCrmConnector,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/authorize') {
        const { url: consent } = await zoho.authorizationUrl();
        res.writeHead(302, { Location: consent }).end();
      } else if (url.pathname === '/api/auth/callback/zoho') {
        const { region } = await zoho.handleCallback(url);
        res
          .writeHead(200, { 'Content-Type': 'text/plain' })
          .end(`Zoho CRM connected (data centre ${region}).\n`);
      } else {
        res.writeHead(404).end();
      }
    } catch (error) {
      // Typed errors carry an admin-readable message and never a secret.
      const message = isZohoCrmError(error) ? `${error.code}: ${error.message}` : 'internal error';
      res.writeHead(isZohoCrmError(error) ? 400 : 500, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
    }
  };
}

export async function main(): Promise<{ authorized: boolean; page: string }> {
  if (realZohoConfigured()) {
    const zoho = new ZohoCrmConnector(realZohoOptions());
    createServer(adminRoutes(zoho)).listen(3000, () =>
      console.log('Open http://localhost:3000/authorize to connect Zoho CRM'),
    );
    return { authorized: false, page: 'listening on :3000' };
  }

  const emulator = await startZohoEmulator({ autoConsent: true, dataCenter: 'EU' });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const redirectUri = `http://127.0.0.1:${port}/api/auth/callback/zoho`;
  emulator.registerClient({ ...EXAMPLE_CLIENT, redirectUris: [redirectUri] });
  const zoho = new ZohoCrmConnector({
    connectionId: 'tenant-42',
    ...EXAMPLE_CLIENT,
    redirectUri,
    region: 'US', // the admin picked US; the org lives in the EU and the callback says so
    endpoints: { regions: emulator.regions },
  });
  server.on('request', adminRoutes(zoho));
  try {
    // The admin's browser: click Authorize, follow Zoho's redirects back to our callback.
    const page = await (await fetch(`http://127.0.0.1:${port}/authorize`)).text();
    console.log(page.trim());
    const authorized = await zoho.isAuthorized();
    console.log(`authorized: ${authorized}, region: ${zoho.region.code}`);
    return { authorized, page };
  } finally {
    await zoho.close();
    await new Promise((resolve) => server.close(resolve));
    await emulator.close();
  }
}

await runIfMain(import.meta, main);
