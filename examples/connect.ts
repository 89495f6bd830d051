/**
 * How every example gets a connector: against a real Zoho CRM org when ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET
 * and ZOHO_REGION are set (the org must have been authorized once with `oauth-callback-server.ts`, which
 * keeps the tokens in ZOHO_TOKEN_DIR encrypted with ZOHO_TOKEN_KEY), otherwise against the embedded Zoho
 * CRM emulator with a few sample records. Not an example of its own.
 */
import { type ConnectorOptions, isRegionCode, ZohoCrmConnector } from 'zoho-crm-connector';
import { createFileStore } from 'zoho-crm-connector/stores/file';
import { startZohoEmulator, type ZohoEmulator } from 'zoho-crm-connector/testing';

/** A connected example: the connector, the emulator when there is one, and a way to shut both down. */
export interface ExampleConnection {
  zoho: ZohoCrmConnector;
  emulator: ZohoEmulator | undefined;
  close(): Promise<void>;
}

export const EXAMPLE_CLIENT = {
  clientId: '1000.EXAMPLECLIENT',
  clientSecret: 'example-client-secret-not-a-real-one',
  redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
};

/** Whether the environment points the examples at a real Zoho org. */
export function realZohoConfigured(env = process.env): boolean {
  return Boolean(env.ZOHO_CLIENT_ID && env.ZOHO_CLIENT_SECRET && env.ZOHO_REGION);
}

/** Options for a real org, from the environment. */
export function realZohoOptions(env = process.env): ConnectorOptions {
  const region = (env.ZOHO_REGION ?? '').toUpperCase();
  if (!isRegionCode(region))
    throw new Error(`ZOHO_REGION must be one of US EU IN AU CN JP CA SA UK, not ${env.ZOHO_REGION}`);
  return {
    connectionId: env.ZOHO_CONNECTION_ID ?? 'example',
    clientId: env.ZOHO_CLIENT_ID ?? '',
    clientSecret: env.ZOHO_CLIENT_SECRET ?? '',
    redirectUri: env.ZOHO_REDIRECT_URI ?? 'http://localhost:3000/api/auth/callback/zoho',
    region,
    tokenStore: createFileStore({
      path: env.ZOHO_TOKEN_DIR ?? '.zoho-tokens',
      encryptionKey: env.ZOHO_TOKEN_KEY ?? '',
    }),
  };
}

/** Sample CRM data the emulator starts with: numbers stored the way people type them. */
export function seedSampleData(emulator: ZohoEmulator): void {
  const [accountId] = emulator.seed('Accounts', [
    { Account_Name: 'Analytical Engines Ltd', Phone: '+44 20 7946 0958' },
  ]);
  emulator.seed('Contacts', [
    {
      First_Name: 'Ada',
      Last_Name: 'Lovelace',
      Phone: '(415) 555-2671',
      Mobile: '+44 7700 900123',
      Email: 'ada@example.com',
      Account_Name: { id: accountId, name: 'Analytical Engines Ltd' },
    },
    { First_Name: 'Charles', Last_Name: 'Babbage', Phone: '0044 20 7946 0018', Email: 'charles@example.com' },
  ]);
  emulator.seed('Leads', [
    { First_Name: 'Grace', Last_Name: 'Hopper', Company: 'Navy Labs', Mobile: '+1 212-555-0147' },
  ]);
}

/**
 * A connector for an example. With the emulator, the client is registered, the sample data seeded and the
 * connector authorized (the emulator consents automatically), so the example can start working at once.
 */
export async function connect(options: Partial<ConnectorOptions> = {}): Promise<ExampleConnection> {
  if (realZohoConfigured()) {
    const zoho = new ZohoCrmConnector({ ...realZohoOptions(), ...options });
    if (!(await zoho.isAuthorized())) {
      throw new Error(
        'This org is not authorized yet: run examples/oauth-callback-server.ts first and click Authorize.',
      );
    }
    return { zoho, emulator: undefined, close: () => zoho.close() };
  }
  const emulator = await startZohoEmulator({ autoConsent: true, edition: 'Enterprise' });
  emulator.registerClient({ ...EXAMPLE_CLIENT, redirectUris: [EXAMPLE_CLIENT.redirectUri] });
  seedSampleData(emulator);
  const zoho = new ZohoCrmConnector({
    connectionId: 'example',
    ...EXAMPLE_CLIENT,
    endpoints: { regions: emulator.regions },
    edition: 'Enterprise',
    ...options,
  });
  const { url } = await zoho.authorizationUrl();
  const consent = await fetch(url, { redirect: 'manual' });
  await zoho.handleCallback(consent.headers.get('location') ?? '');
  return {
    zoho,
    emulator,
    close: async () => {
      await zoho.close();
      await emulator.close();
    },
  };
}

/** Runs `main` when the file is executed directly (`npx tsx examples/<name>.ts`). */
export async function runIfMain(meta: ImportMeta, main: () => Promise<unknown>): Promise<void> {
  const { fileURLToPath } = await import('node:url');
  if (process.argv[1] && fileURLToPath(meta.url) === process.argv[1]) {
    try {
      await main();
    } catch (error) {
      console.error(error);
      process.exitCode = 1;
    }
  }
}
