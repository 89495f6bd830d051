/**
 * What the `zoho-crm-connector` commands share: the stores under the data directory (or in Redis) and
 * the connector registry built over them, with the emulator standing in for Zoho when asked.
 *
 * @module
 */
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { EndpointOverrides } from '../options.js';
import { REGION_CODES } from '../regions.js';
import { type ConnectorRegistry, createConnectorRegistry } from '../registry/registry.js';
import { localUrlScheme } from '../testing/emulator/url-scheme.js';

/** Where the stores are and how to open them. @internal */
export interface StoreConfig {
  dataDir: string;
  redisUrl: string | undefined;
  encryptionKey: string;
}

/** The registry's settings. @internal */
export interface RegistryConfig {
  publicUrl: string;
  stateSecret: string;
  publicLinkSecret: string;
  /** An emulator's origin that stands in for Zoho. */
  emulator: string | undefined;
}

/** The opened stores. @internal */
export type CliStores = Awaited<ReturnType<typeof openStores>>;

/** The registry every command uses: tenants' settings from the settings store, tokens and journal beside. @internal */
export function createCliRegistry(
  config: RegistryConfig,
  stores: CliStores,
  logger: Logger,
  /** `0` keeps connectors open however long they run (a long import): see `idleMs` of the registry. */
  idleMs?: number,
): ConnectorRegistry {
  const endpoints: EndpointOverrides | undefined = config.emulator
    ? emulatorEndpoints(config.emulator)
    : undefined;
  return createConnectorRegistry({
    redirectUri: `${config.publicUrl}/api/auth/callback/zoho`,
    stateSecret: config.stateSecret,
    tokenStore: stores.tokens,
    journalStore: stores.journal,
    logger,
    ...(idleMs === undefined ? {} : { idleMs }),
    ...(endpoints ? { endpoints } : {}),
    settings: (id) => stores.settings.get(id),
    connectorOptions: () => ({
      journal: { publicLinks: { secret: config.publicLinkSecret } },
      // A PBX that calls this service has checked its own contacts before it asks.
      pbxContacts: { lookup: () => undefined },
    }),
  });
}

function emulatorEndpoints(origin: string): EndpointOverrides {
  const scheme = localUrlScheme(origin.replace(/\/+$/, ''));
  return {
    regions: Object.fromEntries(
      REGION_CODES.map((code) => [
        code,
        { accountsUrl: scheme.accountsUrl(code), apiUrl: scheme.apiUrl(code) },
      ]),
    ),
  };
}

/** Opens the file stores under the data directory, or the Redis stores. @internal */
export async function openStores(config: StoreConfig) {
  if (config.redisUrl) {
    const [{ Redis }, redisStores] = await Promise.all([import('ioredis'), import('../stores/redis.js')]);
    // Fail fast while Redis is down instead of queueing commands forever.
    const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
    const options = { client, encryptionKey: config.encryptionKey };
    return {
      tokens: redisStores.createRedisStore(options),
      journal: redisStores.createRedisJournalStore(options),
      settings: redisStores.createRedisSettingsStore(options),
      close: async () => {
        await client.quit().catch(() => client.disconnect());
      },
    };
  }
  const fileStores = await import('../stores/file.js');
  const encryptionKey = config.encryptionKey;
  return {
    tokens: fileStores.createFileStore({ path: join(config.dataDir, 'tokens'), encryptionKey }),
    journal: fileStores.createFileJournalStore({ path: join(config.dataDir, 'journal'), encryptionKey }),
    settings: fileStores.createFileSettingsStore({ path: join(config.dataDir, 'settings'), encryptionKey }),
    close: async () => undefined,
  };
}
